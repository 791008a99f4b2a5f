package standin

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// The pods, replicas and endpoints a kubelet, the workload controllers and the EndpointSlice
// controller would make.

// replicas is a workload's spec.replicas (1 when unset).
func replicas(u *unstructured.Unstructured) int64 {
	n, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	if !ok {
		return 1
	}
	return n
}

func templateLabels(u *unstructured.Unstructured) map[string]string {
	m, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "labels")
	return m
}

// generatedPods are the pods of each Deployment and StatefulSet, unless the applied objects hold
// pods of its template already (saved pods stand for what the cluster runs).
func (w *world) generatedPods() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, wl := range w.workloads {
		if w.hasGivenPods(wl) {
			continue
		}
		spec, _, _ := unstructured.NestedMap(wl.Object, "spec", "template", "spec")
		for i := range replicas(wl) {
			pod := object("v1", "Pod", wl.GetNamespace(), fmt.Sprintf("%s-%d", wl.GetName(), i))
			pod.SetLabels(templateLabels(wl))
			pod.Object["spec"] = spec
			out = append(out, pod)
		}
	}
	return out
}

// hasGivenPods is called before addPods, when podsByNS holds the given pods only.
func (w *world) hasGivenPods(wl *unstructured.Unstructured) bool {
	return len(w.podsSelected(wl.GetNamespace(), templateLabels(wl))) > 0
}

// addPods takes the pods as created (given and generated) and gives each its IP, in order, so
// statuses written concurrently only read.
func (w *world) addPods(generated []*unstructured.Unstructured) {
	for _, p := range generated {
		w.generated[key(p)] = true
	}
	for _, p := range generated {
		w.podsByNS[p.GetNamespace()] = append(w.podsByNS[p.GetNamespace()], p)
	}
	w.pods = append(w.pods, generated...)
	for _, p := range w.pods {
		ip, _, _ := unstructured.NestedString(w.saved[key(p)], "podIP")
		if ip == "" && w.c.opts.PodIP != nil {
			ip = w.c.opts.PodIP(p.GetNamespace(), p.GetName())
		}
		if ip == "" {
			n := w.c.ips.Add(1) + 10
			ip = fmt.Sprintf("10.244.%d.%d", n/250, n%250)
		}
		w.podIPs[key(p)] = ip
	}
}

// podStatus is a kubelet's: Running and Ready, with the pod's IP.
func (w *world) podStatus(p *unstructured.Unstructured) map[string]any {
	ip := w.podIPs[key(p)]
	ready := condition("Ready", "True", "", p)
	delete(ready, "observedGeneration")
	delete(ready, "reason")
	containersReady := condition("ContainersReady", "True", "", p)
	delete(containersReady, "observedGeneration")
	delete(containersReady, "reason")
	return map[string]any{"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}},
		"conditions": []any{ready, containersReady}}
}

// podReady reads the Ready condition the pod's status has or will have.
func (w *world) podReady(p *unstructured.Unstructured) bool {
	st, saved := w.saved[key(p)]
	if !saved {
		return true
	}
	conds, _, _ := unstructured.NestedSlice(st, "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		if m["type"] == "Ready" {
			return m["status"] == "True"
		}
	}
	return false
}

// podsSelected are the pods in ns a selector selects.
func (w *world) podsSelected(ns string, selector map[string]string) []*unstructured.Unstructured {
	if len(selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(selector)
	var out []*unstructured.Unstructured
	for _, p := range w.podsByNS[ns] {
		if sel.Matches(labels.Set(p.GetLabels())) {
			out = append(out, p)
		}
	}
	return out
}

// workloadStatus is the Deployment or StatefulSet controller's: every replica up when it made
// the pods, else as many as the given pods of its template that are Ready.
func (w *world) workloadStatus(wl *unstructured.Unstructured) map[string]any {
	want, ready := replicas(wl), int64(0)
	for _, p := range w.podsSelected(wl.GetNamespace(), templateLabels(wl)) {
		if w.podReady(p) {
			ready++
		}
	}
	ready = min(ready, want)
	st := map[string]any{"observedGeneration": wl.GetGeneration(), "replicas": want, "readyReplicas": ready,
		"availableReplicas": ready, "updatedReplicas": want}
	if wl.GetKind() == "StatefulSet" {
		st["currentReplicas"] = want
	}
	return st
}

// endpointSlices are the EndpointSlice controller's: one per Service with a selector, its
// endpoints the selected pods, ready as the pods are.
func (w *world) endpointSlices() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, svc := range w.services {
		selector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
		if typ, _, _ := unstructured.NestedString(svc.Object, "spec", "type"); typ == "ExternalName" || len(selector) == 0 {
			continue
		}
		var endpoints []any
		pods := w.podsSelected(svc.GetNamespace(), selector)
		for _, p := range pods {
			endpoints = append(endpoints, map[string]any{"addresses": []any{w.podIPs[key(p)]},
				"conditions": map[string]any{"ready": w.podReady(p)},
				"targetRef":  map[string]any{"kind": "Pod", "namespace": p.GetNamespace(), "name": p.GetName()}})
		}
		es := object("discovery.k8s.io/v1", "EndpointSlice", svc.GetNamespace(), svc.GetName()+"-standin")
		es.SetLabels(map[string]string{"kubernetes.io/service-name": svc.GetName(), "endpointslice.kubernetes.io/managed-by": "standin"})
		es.Object["addressType"] = "IPv4"
		es.Object["endpoints"] = endpoints
		es.Object["ports"] = slicePorts(svc, pods)
		out = append(out, es)
	}
	return out
}

// slicePorts are a Service's ports as its EndpointSlices have them: each port's name and the
// target port number, a named targetPort looked up in the pods' container ports.
func slicePorts(svc *unstructured.Unstructured, pods []*unstructured.Unstructured) []any {
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	var out []any
	for _, p := range ports {
		m := p.(map[string]any)
		number, _ := m["port"].(int64)
		switch t := m["targetPort"].(type) {
		case int64:
			number = t
		case string:
			number = namedPort(t, pods)
		}
		if number == 0 {
			continue
		}
		out = append(out, map[string]any{"name": str(m, "name", ""), "port": number, "protocol": str(m, "protocol", "TCP")})
	}
	return out
}

func namedPort(name string, pods []*unstructured.Unstructured) int64 {
	for _, pod := range pods {
		containers, _, _ := unstructured.NestedSlice(pod.Object, "spec", "containers")
		for _, c := range containers {
			ports, _, _ := unstructured.NestedSlice(c.(map[string]any), "ports")
			for _, p := range ports {
				if m := p.(map[string]any); m["name"] == name {
					n, _ := m["containerPort"].(int64)
					return n
				}
			}
		}
	}
	return 0
}

// serviceAccountOf is the ServiceAccount a pod or a workload's pods run as ("" for the default).
func serviceAccountOf(u *unstructured.Unstructured) string {
	path := []string{"spec", "template", "spec", "serviceAccountName"}
	if u.GetKind() == "Pod" {
		path = path[2:]
	}
	sa, _, _ := unstructured.NestedString(u.Object, path...)
	return strings.TrimSpace(sa)
}
