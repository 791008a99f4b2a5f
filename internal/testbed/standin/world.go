package standin

import (
	"maps"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// world is the applied objects as the stand-in controllers see them: what refers to what.
type world struct {
	c *Cluster
	// saved are the statuses the objects were given, by key.
	saved    map[string]map[string]any
	classes  map[string]string // GatewayClass name → controllerName
	gateways map[string]*unstructured.Unstructured
	pools    map[string]bool // "group/ns/name"
	routes   []*unstructured.Unstructured
	services []*unstructured.Unstructured
	// workloads are the Deployments and StatefulSets; pods the pods, given and generated.
	workloads []*unstructured.Unstructured
	pods      []*unstructured.Unstructured
	// podIPs are the pods' IPs, by key; generated are the keys of the pods the stand-in made.
	podIPs    map[string]string
	generated map[string]bool
	podsByNS  map[string][]*unstructured.Unstructured
}

func key(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

func newWorld(objs []*unstructured.Unstructured, c *Cluster) *world {
	w := &world{c: c, saved: map[string]map[string]any{}, classes: map[string]string{}, gateways: map[string]*unstructured.Unstructured{},
		pools: map[string]bool{}, podIPs: map[string]string{}, generated: map[string]bool{},
		podsByNS: map[string][]*unstructured.Unstructured{}}
	for _, u := range objs {
		if st, ok := u.Object["status"].(map[string]any); ok {
			w.saved[key(u)] = st
		}
		group := u.GroupVersionKind().Group
		switch u.GetKind() {
		case "GatewayClass":
			w.classes[u.GetName()], _, _ = unstructured.NestedString(u.Object, "spec", "controllerName")
		case "Gateway":
			w.gateways[u.GetNamespace()+"/"+u.GetName()] = u
		case "InferencePool":
			w.pools[group+"/"+u.GetNamespace()+"/"+u.GetName()] = true
		case "HTTPRoute":
			w.routes = append(w.routes, u)
		case "Service":
			w.services = append(w.services, u)
		case "Pod":
			w.pods = append(w.pods, u)
			w.podsByNS[u.GetNamespace()] = append(w.podsByNS[u.GetNamespace()], u)
		case "Deployment", "StatefulSet":
			if group == "apps" {
				w.workloads = append(w.workloads, u)
			}
		}
	}
	return w
}

// status is what the controller of u writes in its status; nil for kinds no stand-in handles.
func (w *world) status(u *unstructured.Unstructured) map[string]any {
	if st, ok := w.saved[key(u)]; ok {
		return st
	}
	group := u.GroupVersionKind().Group
	switch {
	case u.GetKind() == "GatewayClass":
		return map[string]any{"conditions": []any{condition("Accepted", "True", "Accepted", u)}}
	case u.GetKind() == "Gateway":
		return map[string]any{
			"addresses":  []any{map[string]any{"type": "IPAddress", "value": w.c.opts.GatewayAddress}},
			"conditions": []any{condition("Accepted", "True", "Accepted", u), condition("Programmed", "True", "Programmed", u)},
		}
	case u.GetKind() == "HTTPRoute":
		return w.routeStatus(u)
	case u.GetKind() == "InferencePool":
		return w.poolStatus(u)
	case u.GetKind() == "Pod" && group == "":
		return w.podStatus(u)
	case (u.GetKind() == "Deployment" || u.GetKind() == "StatefulSet") && group == "apps":
		return w.workloadStatus(u)
	}
	return nil
}

func condition(typ, status, reason string, u *unstructured.Unstructured) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": "",
		"observedGeneration": u.GetGeneration(), "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
}

// controllerOf names the controller of a Gateway's class, as it writes in route and pool status.
func (w *world) controllerOf(gw *unstructured.Unstructured) string {
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	if name := w.classes[class]; name != "" {
		return name
	}
	if name, ok := knownControllers[class]; ok {
		return name
	}
	return "example.net/gateway-controller"
}

// providerClasses are the GatewayClasses the providers would create (istiod makes "istio", the
// charts theirs) for the Gateways of a known class that is not among the objects.
func (w *world) providerClasses() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, gw := range w.gateways {
		class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
		controller, known := knownControllers[class]
		if _, given := w.classes[class]; given || !known {
			continue
		}
		w.classes[class] = controller
		gc := object("gateway.networking.k8s.io/v1", "GatewayClass", "", class)
		gc.Object["spec"] = map[string]any{"controllerName": controller}
		out = append(out, gc)
	}
	return out
}

// knownControllers are the controller names of the classes providers create themselves.
var knownControllers = map[string]string{
	"istio":                            "istio.io/gateway-controller",
	"agentgateway":                     "agentgateway.dev/agentgateway",
	"nginx":                            "gateway.nginx.org/nginx-gateway-controller",
	"gke-l7-regional-external-managed": "networking.gke.io/gateway",
	"gke-l7-rilb":                      "networking.gke.io/gateway",
}

// parentGateways are the Gateways among the applied objects that a route's parentRefs name, with
// the parentRef each came from.
func (w *world) parentGateways(rt *unstructured.Unstructured) (refs []map[string]any, gws []*unstructured.Unstructured) {
	parents, _, _ := unstructured.NestedSlice(rt.Object, "spec", "parentRefs")
	for _, p := range parents {
		ref, _ := p.(map[string]any)
		if kind, ok := ref["kind"].(string); ok && kind != "Gateway" {
			continue
		}
		ns, _ := ref["namespace"].(string)
		if ns == "" {
			ns = rt.GetNamespace()
		}
		name, _ := ref["name"].(string)
		if gw := w.gateways[ns+"/"+name]; gw != nil {
			refs, gws = append(refs, maps.Clone(ref)), append(gws, gw)
		}
	}
	return refs, gws
}

// routeStatus is what a gateway writes for a route: Accepted unless no listener admits the
// route's namespace, ResolvedRefs unless an InferencePool it names does not exist.
func (w *world) routeStatus(rt *unstructured.Unstructured) map[string]any {
	refs, gws := w.parentGateways(rt)
	if len(gws) == 0 {
		return nil
	}
	resolved := condition("ResolvedRefs", "True", "ResolvedRefs", rt)
	if !w.poolsExist(rt) {
		resolved = condition("ResolvedRefs", "False", "BackendNotFound", rt)
		resolved["message"] = "an InferencePool the route names does not exist"
	}
	var parents []any
	for i, gw := range gws {
		accepted := condition("Accepted", "True", "Accepted", rt)
		if !admits(gw, rt.GetNamespace()) {
			accepted = condition("Accepted", "False", "NotAllowedByListeners", rt)
			accepted["message"] = "no listener admits routes from namespace " + rt.GetNamespace()
		}
		parents = append(parents, map[string]any{"parentRef": refs[i], "controllerName": w.controllerOf(gw), "conditions": []any{accepted, resolved}})
	}
	return map[string]any{"parents": parents}
}

// poolsExist reports whether every InferencePool a route's backendRefs name was applied.
func (w *world) poolsExist(rt *unstructured.Unstructured) bool {
	for _, b := range backendRefs(rt) {
		if b.kind == "InferencePool" && !w.pools[b.group+"/"+b.ns+"/"+b.name] {
			return false
		}
	}
	return true
}

type backend struct{ group, kind, ns, name string }

func backendRefs(rt *unstructured.Unstructured) []backend {
	var out []backend
	rules, _, _ := unstructured.NestedSlice(rt.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
		for _, ref := range refs {
			m := ref.(map[string]any)
			b := backend{group: str(m, "group", ""), kind: str(m, "kind", "Service"), ns: str(m, "namespace", rt.GetNamespace()), name: str(m, "name", "")}
			out = append(out, b)
		}
	}
	return out
}

func str(m map[string]any, k, def string) string {
	if v, ok := m[k].(string); ok && v != "" {
		return v
	}
	return def
}

// admits reports whether a listener of gw admits routes from ns: Same (the default) or All; a
// Selector is taken to admit.
func admits(gw *unstructured.Unstructured, ns string) bool {
	listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	for _, l := range listeners {
		from, _, _ := unstructured.NestedString(l.(map[string]any), "allowedRoutes", "namespaces", "from")
		if from == "All" || from == "Selector" || ns == gw.GetNamespace() {
			return true
		}
	}
	return false
}

// poolStatus is what gateways write for a pool a route of theirs sends traffic to: one parent
// per Gateway, Accepted and ResolvedRefs. Failures come from statuses the objects carry.
// (The alpha pool's ParentGatewayReference has the same fields.)
func (w *world) poolStatus(p *unstructured.Unstructured) map[string]any {
	var parents []any
	seen := map[string]bool{}
	for _, rt := range w.routes {
		if !namesPool(rt, p) {
			continue
		}
		_, gws := w.parentGateways(rt)
		for _, gw := range gws {
			if seen[key(gw)] {
				continue
			}
			seen[key(gw)] = true
			ref := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gw.GetName(), "namespace": gw.GetNamespace()}
			parents = append(parents, map[string]any{"parentRef": ref, "controllerName": w.controllerOf(gw),
				"conditions": []any{condition("Accepted", "True", "Accepted", p), condition("ResolvedRefs", "True", "ResolvedRefs", p)}})
		}
	}
	if parents == nil {
		return nil
	}
	if p.GroupVersionKind().Group == "inference.networking.x-k8s.io" {
		return map[string]any{"parent": parents} // the alpha pool's name for it
	}
	return map[string]any{"parents": parents}
}

func namesPool(rt *unstructured.Unstructured, p *unstructured.Unstructured) bool {
	for _, b := range backendRefs(rt) {
		if b.kind == "InferencePool" && b.group == p.GroupVersionKind().Group && b.ns == p.GetNamespace() && b.name == p.GetName() {
			return true
		}
	}
	return false
}
