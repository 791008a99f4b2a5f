package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// ownerLabel marks the pods and EndpointSlices the controller made, with what they stand for.
const ownerLabel = "standin.igw.dev/owner"

// runningPod is a pod the controller runs: its IP and the servers listening on it.
type runningPod struct {
	ip    string
	stops []func()
}

func (p *runningPod) stop() {
	for _, s := range p.stops {
		s()
	}
}

func (c *GatewayController) apply(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	gvr := gvrPods
	if u.GetKind() == "EndpointSlice" {
		gvr = gvrSlices
	}
	force := true
	return c.dyn.Resource(gvr).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "standin", Force: &force})
}

// workloads runs each Deployment's replicas as Ready pods, deletes the pods of Deployments and
// Gateways that are gone, and keeps one EndpointSlice per Service.
func (c *GatewayController) workloads(ctx context.Context) error {
	deps, err := c.list(ctx, gvrDeployments)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, d := range deps {
		replicas, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		tmplLabels, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "metadata", "labels")
		podSpec, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
		for i := range replicas {
			name := fmt.Sprintf("%s-%d", d.GetName(), i)
			want[d.GetNamespace()+"/"+name] = true
			if err := c.ensurePod(ctx, d.GetNamespace(), name, tmplLabels, podSpec); err != nil {
				return err
			}
		}
	}
	gws, err := c.list(ctx, gvrGateways)
	if err != nil {
		return err
	}
	for _, gw := range gws {
		want[gw.GetNamespace()+"/"+gw.GetName()+"-proxy"] = true
	}
	if err := c.prunePods(ctx, want); err != nil {
		return err
	}
	return c.endpointSlices(ctx)
}

// ensurePod creates the pod once, Running and Ready with an IP, and starts its servers.
func (c *GatewayController) ensurePod(ctx context.Context, ns, name string, podLabels, spec map[string]any) error {
	key := ns + "/" + name
	c.mu.Lock()
	_, running := c.pods[key]
	c.mu.Unlock()
	if running {
		return nil
	}
	c.mu.Lock()
	c.nextN++
	ip := c.opts.PodIP(c.nextN)
	c.mu.Unlock()
	if spec == nil {
		spec = map[string]any{"containers": []any{map[string]any{"name": "proxy", "image": "standin/proxy"}}}
	}
	l := map[string]any{ownerLabel: "gateway-controller"}
	for k, v := range podLabels {
		l[k] = v
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": l}, "spec": spec}}
	created, err := c.apply(ctx, pod)
	if err != nil {
		return fmt.Errorf("pod %s: %w", key, err)
	}
	ready := map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": c.start.UTC().Format("2006-01-02T15:04:05Z")}
	if err := c.writeStatus(ctx, gvrPods, created, map[string]any{
		"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}}, "conditions": []any{ready},
	}); err != nil {
		return fmt.Errorf("pod %s status: %w", key, err)
	}
	rp := &runningPod{ip: ip}
	if err := c.startServers(rp, ns, name, spec); err != nil {
		rp.stop()
		return err
	}
	c.mu.Lock()
	c.pods[key] = rp
	c.mu.Unlock()
	return nil
}

func (c *GatewayController) prunePods(ctx context.Context, want map[string]bool) error {
	pods, err := c.dyn.Resource(gvrPods).Namespace("").List(ctx, metav1.ListOptions{LabelSelector: ownerLabel})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		key := p.GetNamespace() + "/" + p.GetName()
		if want[key] {
			continue
		}
		if err := c.dyn.Resource(gvrPods).Namespace(p.GetNamespace()).Delete(ctx, p.GetName(), metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil && !isNotFound(err) {
			return err
		}
		c.mu.Lock()
		if rp, ok := c.pods[key]; ok {
			rp.stop()
			delete(c.pods, key)
		}
		c.mu.Unlock()
	}
	return nil
}

// endpointSlices writes, for each Service with a selector, one slice of its Ready pods, and
// deletes the slices of Services that are gone.
func (c *GatewayController) endpointSlices(ctx context.Context) error {
	svcs, err := c.list(ctx, gvrServices)
	if err != nil {
		return err
	}
	pods, err := c.list(ctx, gvrPods)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, svc := range svcs {
		sel, ok, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
		if !ok || len(sel) == 0 {
			continue
		}
		name := svc.GetName() + "-standin"
		keep[svc.GetNamespace()+"/"+name] = true
		var eps []any
		for _, p := range pods {
			ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP")
			if p.GetNamespace() != svc.GetNamespace() || ip == "" || !labels.SelectorFromSet(sel).Matches(labels.Set(p.GetLabels())) {
				continue
			}
			eps = append(eps, map[string]any{"addresses": []any{ip}, "conditions": map[string]any{"ready": true},
				"targetRef": map[string]any{"kind": "Pod", "namespace": p.GetNamespace(), "name": p.GetName()}})
		}
		var ports []any
		svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
		for _, sp := range svcPorts {
			m := sp.(map[string]any)
			port := m["port"]
			if tp, ok := m["targetPort"].(int64); ok {
				port = tp
			}
			ports = append(ports, map[string]any{"name": m["name"], "port": port, "protocol": "TCP"})
		}
		slice := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
			"metadata":    map[string]any{"name": name, "namespace": svc.GetNamespace(), "labels": map[string]any{"kubernetes.io/service-name": svc.GetName(), ownerLabel: "gateway-controller"}},
			"addressType": "IPv4", "endpoints": eps, "ports": ports}}
		if eps == nil {
			slice.Object["endpoints"] = []any{}
		}
		old, err := c.dyn.Resource(gvrSlices).Namespace(svc.GetNamespace()).Get(ctx, name, metav1.GetOptions{})
		if err == nil && reflect.DeepEqual(old.Object["endpoints"], slice.Object["endpoints"]) && reflect.DeepEqual(old.Object["ports"], slice.Object["ports"]) {
			continue
		}
		if _, err := c.apply(ctx, slice); err != nil {
			return fmt.Errorf("EndpointSlice %s/%s: %w", svc.GetNamespace(), name, err)
		}
	}
	slices, err := c.dyn.Resource(gvrSlices).Namespace("").List(ctx, metav1.ListOptions{LabelSelector: ownerLabel})
	if err != nil {
		return err
	}
	for _, sl := range slices.Items {
		if !keep[sl.GetNamespace()+"/"+sl.GetName()] {
			if err := c.dyn.Resource(gvrSlices).Namespace(sl.GetNamespace()).Delete(ctx, sl.GetName(), metav1.DeleteOptions{}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// containerArg returns the value after flag in a container's args.
func containerArg(container map[string]any, flag string) string {
	args, _, _ := unstructured.NestedStringSlice(container, "args")
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func containerEnv(container map[string]any, name string) string {
	env, _, _ := unstructured.NestedSlice(container, "env")
	for _, e := range env {
		m := e.(map[string]any)
		if m["name"] == name {
			v, _ := m["value"].(string)
			return strings.TrimSpace(v)
		}
	}
	return ""
}
