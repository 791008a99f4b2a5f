package requestpath

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// The endpoint picker: its Deployment running, its Service answering on the port the pool names.

func (w *poolWalk) pickerDeploymentStep() Step {
	const name = "endpoint picker Deployment available"
	ref := w.p.Spec.EndpointPickerRef
	if ref == nil {
		return fromFindings(name, "", w.fs.about("InferencePool", w.ns, w.name, diag.PoolNoPickerRef))
	}
	if why := unlisted(w.s, gkDeployment, w.ns); why != "" {
		return notRun(name, why)
	}
	if w.p.PickerService == nil {
		return notRun(name, "the picker's Service "+string(ref.Name)+" is not there to find its pods by")
	}
	if len(w.p.PickerDeployments) == 0 {
		return notRun(name, "Service "+w.p.PickerService.Name+" selects no Deployment (the picker may run as another kind)")
	}
	var fs []diag.Finding
	var seen []string
	for _, d := range w.p.PickerDeployments {
		fs = append(fs, w.fs.about("Deployment", d.Namespace, d.Name, diag.PoolPickerUnavailable, diag.PoolPickerFlagsMismatch)...)
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		seen = append(seen, fmt.Sprintf("Deployment %s: %d of %d available", d.Name, d.Status.AvailableReplicas, want))
	}
	fs = append(fs, w.fs.about("InferencePool", w.ns, w.name, diag.PoolFailOpenOneReplica, diag.PoolPickerTLSNoDestinationRule, diag.PoolSelectsPicker)...)
	return fromFindings(name, strings.Join(seen, "; "), fs)
}

func (w *poolWalk) pickerServiceStep() Step {
	ref := w.p.Spec.EndpointPickerRef
	if ref == nil {
		return notRun("endpoint picker Service has ready endpoints", "the pool names no endpoint picker")
	}
	port := int32(0)
	if ref.Port != nil {
		port = int32(ref.Port.Number)
	}
	name := fmt.Sprintf("endpoint picker Service %s has ready endpoints on port %d", ref.Name, port)
	fs := w.fs.about("InferencePool", w.ns, w.name, diag.PoolPickerServiceMissing, diag.PoolPickerPortMissing, diag.PoolPickerExternalName, diag.PoolPickerNoEndpoints)
	if st := fromFindings(name, "", fs); st.Status != Passed {
		return st
	}
	if w.p.PickerService == nil {
		return notRun(name, "the Service was not read: "+or(unlisted(w.s, gkService, w.ns), "endpointPickerRef names another kind"))
	}
	if why := unlisted(w.s, gkSlice, w.ns); why != "" {
		return notRun(name, why)
	}
	sp, ok := servicePort(w.p.PickerService, port)
	if !ok {
		return failed(name, fmt.Sprintf("Service %s has no port %d", ref.Name, port), "set endpointPickerRef.port.number to a port of the Service")
	}
	ready, total := readyOnPort(w.p.PickerSlices, sp.Name)
	if ready == 0 {
		return failed(name, fmt.Sprintf("none of its %d endpoints serving port %d (%s) is ready", total, port, targetText(sp)),
			"check the picker's pods (kubectl get pods -l "+selectorText(w.p.PickerService.Spec.Selector)+"), and that their container port matches the Service's targetPort")
	}
	return passed(name, fmt.Sprintf("%d of %d endpoints ready (%s)", ready, total, targetText(sp)))
}

func servicePort(svc *corev1.Service, port int32) (corev1.ServicePort, bool) {
	for _, sp := range svc.Spec.Ports {
		if sp.Port == port {
			return sp, true
		}
	}
	return corev1.ServicePort{}, false
}

// readyOnPort counts the endpoints of the slices that carry the Service port named portName
// (EndpointSlices name their ports after the Service's), and the ready ones among them.
func readyOnPort(slices []*discoveryv1.EndpointSlice, portName string) (ready, total int) {
	for _, es := range slices {
		has := false
		for _, p := range es.Ports {
			has = has || (p.Name != nil && *p.Name == portName) || (p.Name == nil && portName == "")
		}
		if !has {
			continue
		}
		for _, e := range es.Endpoints {
			total++
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				ready++
			}
		}
	}
	return ready, total
}

func targetText(sp corev1.ServicePort) string {
	if sp.TargetPort.String() == "0" || sp.TargetPort.String() == "" {
		return fmt.Sprintf("targetPort %d", sp.Port)
	}
	return "targetPort " + sp.TargetPort.String()
}

func selectorText(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
