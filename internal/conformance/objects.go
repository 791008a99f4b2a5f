package conformance

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// managedLabel marks every object igwctl conformance creates, so a person (and cleanup) can find
// them: kubectl get all -A -l app.kubernetes.io/managed-by=igwctl-conformance.
const (
	managedLabel = "app.kubernetes.io/managed-by"
	managedValue = "igwctl-conformance"
)

func object(apiVersion, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name, "labels": map[string]any{managedLabel: managedValue}}
	if ns != "" {
		meta["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
	if spec != nil {
		o["spec"] = spec
	}
	return &unstructured.Unstructured{Object: o}
}

// backend is one backendRef of a route rule: an InferencePool, with an optional weight and port
// (port 0: unset).
type backend struct {
	pool   string
	weight int
	port   int
}

// rule is one HTTPRoute rule: a path prefix and its backends.
type rule struct {
	path     string
	backends []backend
}

// httpRoute builds an HTTPRoute in the app namespace attached to gateway (in the infra
// namespace), with parentRef.namespace written out as upstream's routes have it.
func httpRoute(name, gateway string, hostnames []string, rules ...rule) *unstructured.Unstructured {
	var rs []any
	for _, r := range rules {
		var refs []any
		for _, b := range r.backends {
			ref := map[string]any{"group": poolGroup, "kind": "InferencePool", "name": b.pool}
			if b.weight > 0 {
				ref["weight"] = int64(b.weight)
			}
			if b.port > 0 {
				ref["port"] = int64(b.port)
			}
			refs = append(refs, ref)
		}
		rs = append(rs, map[string]any{
			"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": r.path}}},
			"backendRefs": refs,
		})
	}
	spec := map[string]any{
		"parentRefs": []any{map[string]any{"group": gwGroup, "kind": "Gateway", "name": gateway, "namespace": InfraNamespace}},
		"rules":      rs,
	}
	if len(hostnames) > 0 {
		hs := make([]any, len(hostnames))
		for i, h := range hostnames {
			hs[i] = h
		}
		spec["hostnames"] = hs
	}
	return object(gwGroup+"/v1", "HTTPRoute", AppNamespace, name, spec)
}

// poolSpec describes one InferencePool of the base or of a check.
type poolSpec struct {
	name        string
	app         string // the pods' app label
	ports       []int
	appProtocol string // "" leaves the API default
	picker      string // the picker Service; "" writes no endpointPickerRef
	failOpen    bool
}

func inferencePool(p poolSpec) *unstructured.Unstructured {
	var ports []any
	for _, n := range p.ports {
		ports = append(ports, map[string]any{"number": int64(n)})
	}
	spec := map[string]any{
		"selector":    map[string]any{"matchLabels": map[string]any{"app": p.app}},
		"targetPorts": ports,
	}
	if p.appProtocol != "" {
		spec["appProtocol"] = p.appProtocol
	}
	if p.picker != "" {
		mode := "FailClose"
		if p.failOpen {
			mode = "FailOpen"
		}
		spec["endpointPickerRef"] = map[string]any{
			"name": p.picker, "port": map[string]any{"number": int64(9002)}, "failureMode": mode,
		}
	}
	return object(poolGroup+"/"+poolVersion, "InferencePool", AppNamespace, p.name, spec)
}
