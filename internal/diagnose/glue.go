package diagnose

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/bbr/adapters"
)

// What puts a body router in front of a Gateway's route matching, per provider, as the bbr chart
// (charts/bbr) renders it.
var (
	gkEnvoyFilter      = schema.GroupKind{Group: "networking.istio.io", Kind: "EnvoyFilter"}
	gkRoutingExtension = schema.GroupKind{Group: "networking.gke.io", Kind: "GCPRoutingExtension"}
	gkAgwPolicy        = schema.GroupKind{Group: "agentgateway.dev", Kind: "AgentgatewayPolicy"}
)

// glueKinds are the kinds that can carry a provider's glue; all three for an unknown provider.
func glueKinds(p provider) []schema.GroupKind {
	switch p {
	case istio:
		return []schema.GroupKind{gkEnvoyFilter}
	case gke:
		return []schema.GroupKind{gkRoutingExtension}
	case agentgateway:
		return []schema.GroupKind{gkAgwPolicy}
	}
	return []schema.GroupKind{gkEnvoyFilter, gkRoutingExtension, gkAgwPolicy}
}

func glueWanted(p provider) string {
	switch p {
	case istio:
		return "no EnvoyFilter with an ext_proc filter targets it"
	case gke:
		return "no GCPRoutingExtension targets it"
	case agentgateway:
		return "no AgentgatewayPolicy runs ext_proc or a transformation in its PreRouting phase"
	}
	return "no EnvoyFilter, GCPRoutingExtension or AgentgatewayPolicy targets it"
}

// hasGlue reports whether some object calls a body router for gw before route matching.
func (ix *index) hasGlue(gw *gateway) bool {
	for _, gk := range glueKinds(ix.providerOf(gw)) {
		for _, u := range ix.other[gk] {
			if u.GetNamespace() == gw.Namespace && targetsGateway(u, gw.Name) && glueCallsRouter(gk, u) {
				return true
			}
		}
	}
	return false
}

// glueKnown reports whether the snapshot can say that no glue for a provider's Gateway in ns
// exists: offline the Gateway in the files is enough (the analyzer's Doc says so); live, each kind
// that could carry the glue must have been listed there.
func (s *Snapshot) glueKnown(p provider, ns string) bool {
	if !s.Live {
		return true
	}
	for _, gk := range glueKinds(p) {
		if !s.listedIn(gk, ns) {
			return false
		}
	}
	return true
}

// targetsGateway reports whether a policy's targetRefs (or an EnvoyFilter's workloadSelector, by
// the label Gateway API puts on a Gateway's pods) name the Gateway.
func targetsGateway(u *unstructured.Unstructured, name string) bool {
	refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "targetRefs")
	for _, ref := range refs {
		m, _ := ref.(map[string]any)
		if m["kind"] == kindGateway && m["name"] == name {
			return true
		}
	}
	sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "workloadSelector", "labels")
	return sel["gateway.networking.k8s.io/gateway-name"] == name
}

func glueCallsRouter(gk schema.GroupKind, u *unstructured.Unstructured) bool {
	switch gk {
	case gkEnvoyFilter:
		data, _ := json.Marshal(u.Object["spec"])
		return strings.Contains(string(data), "ext_proc")
	case gkAgwPolicy:
		phase, _, _ := unstructured.NestedString(u.Object, "spec", "traffic", "phase")
		_, ext, _ := unstructured.NestedMap(u.Object, "spec", "traffic", "extProc")
		_, tr, _ := unstructured.NestedMap(u.Object, "spec", "traffic", "transformation")
		return phase == "PreRouting" && (ext || tr)
	}
	return true
}

// glueServices returns the Services a glue object sends requests to, as namespace/name keys.
func glueServices(gk schema.GroupKind, u *unstructured.Unstructured) []key {
	var refs []map[string]any
	switch gk {
	case gkRoutingExtension:
		chains, _, _ := unstructured.NestedSlice(u.Object, "spec", "extensionChains")
		for _, c := range chains {
			exts, _, _ := unstructured.NestedSlice(c.(map[string]any), "extensions")
			for _, e := range exts {
				if ref, ok, _ := unstructured.NestedMap(e.(map[string]any), "backendRef"); ok {
					refs = append(refs, ref)
				}
			}
		}
	case gkAgwPolicy:
		if ref, ok, _ := unstructured.NestedMap(u.Object, "spec", "traffic", "extProc", "backendRef"); ok {
			refs = append(refs, ref)
		}
	case gkEnvoyFilter:
		return envoyFilterServices(u)
	}
	var out []key
	for _, ref := range refs {
		if kind, _ := ref["kind"].(string); kind != "" && kind != kindService {
			continue
		}
		ns, _ := ref["namespace"].(string)
		if ns == "" {
			ns = u.GetNamespace()
		}
		name, _ := ref["name"].(string)
		out = append(out, key{"", ns, name})
	}
	return out
}

// envoyFilterServices reads Istio cluster names "outbound|PORT||NAME.NS.svc.cluster.local" from
// an EnvoyFilter's ext_proc grpc_service.
func envoyFilterServices(u *unstructured.Unstructured) []key {
	data, _ := json.Marshal(u.Object["spec"])
	var out []key
	for _, part := range strings.Split(string(data), `"cluster_name":"`)[1:] {
		cluster, _, _ := strings.Cut(part, `"`)
		fields := strings.Split(cluster, "|")
		if len(fields) != 4 || !strings.HasSuffix(fields[3], ".svc.cluster.local") {
			continue
		}
		host := strings.Split(strings.TrimSuffix(fields[3], ".svc.cluster.local"), ".")
		if len(host) == 2 {
			out = append(out, key{"", host[1], host[0]})
		}
	}
	return out
}

func runGlueService(s *Snapshot, r *Report) {
	ix := s.index()
	for _, gk := range []schema.GroupKind{gkEnvoyFilter, gkRoutingExtension, gkAgwPolicy} {
		for _, u := range ix.other[gk] {
			for _, k := range glueServices(gk, u) {
				if ix.services[k] == nil && s.CoversIn(k.ns, gkService) {
					r.Add(u, fmt.Sprintf("sends requests to Service %s, which %s", k, s.absent()), "")
				}
			}
		}
	}
}

// matchSignature is what makes two route matches the same: hostnames, path, method, headers and
// query parameters, normalised.
func matchSignature(rt *route, m routeMatch) string {
	hosts := append([]string(nil), rt.Spec.Hostnames...)
	sort.Strings(hosts)
	path := "PathPrefix:/"
	if m.Path != nil {
		path = deref(m.Path.Type, "PathPrefix") + ":" + deref(m.Path.Value, "/")
	}
	var hs []string
	for _, h := range m.Headers {
		hs = append(hs, deref(h.Type, "Exact")+":"+strings.ToLower(h.Name)+"="+h.Value)
	}
	sort.Strings(hs)
	var qs []string
	for _, q := range m.QueryParams {
		qs = append(qs, deref(q.Type, "Exact")+":"+q.Name+"="+q.Value)
	}
	sort.Strings(qs)
	return strings.Join(hosts, ",") + "|" + path + "|" + deref(m.Method, "") + "|" + strings.Join(hs, ",") + "|" + strings.Join(qs, ",")
}

func runBBRDuplicateMatch(s *Snapshot, r *Report) {
	ix := s.index()
	type claim struct {
		m  modelHeaderMatch
		gw key
	}
	first := map[string]claim{}
	for _, rt := range byPrecedence(ix.routes) {
		for _, m := range ix.modelHeaderMatches(rt) {
			sig := matchSignature(rt, rt.Spec.Rules[m.rule].Matches[m.match])
			for _, gw := range parentGateways(rt) {
				c, ok := first[gw.String()+"#"+sig]
				if !ok {
					first[gw.String()+"#"+sig] = claim{m, gw}
					continue
				}
				if c.m.rt != rt {
					r.Add(rt.u, fmt.Sprintf("rule %d matches %s: %s on Gateway %s exactly as HTTPRoute %s/%s does, which takes precedence, so this rule gets none of those requests",
						m.rule+1, m.name, m.value, gw, c.m.rt.Namespace, c.m.rt.Name), "")
				}
			}
		}
	}
}

// byPrecedence orders routes as Gateway API breaks ties between equal matches: oldest first, then
// by namespace/name.
func byPrecedence(routes []*route) []*route {
	out := append([]*route(nil), routes...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return out
}

func runAdapterConfigMap(s *Snapshot, r *Report) {
	for _, cm := range s.index().configMaps {
		if _, err := adapters.ParseConfigMapData(cm.Data); err != nil {
			r.Add(cm.u, "has the adapter label, but bbr cannot read it: "+err.Error(), "")
		}
	}
}

func runAdapterTwoBases(s *Snapshot, r *Report) {
	type owner struct{ base, cm string }
	seen := map[key]owner{}
	for _, cm := range s.index().configMaps {
		e, err := adapters.ParseConfigMapData(cm.Data)
		if err != nil {
			continue
		}
		for _, a := range e.Adapters {
			k := key{"", cm.Namespace, a}
			if o, ok := seen[k]; ok && o.base != e.BaseModel {
				r.Add(cm.u, fmt.Sprintf("maps adapter %s to base model %s, but ConfigMap %s maps it to %s", a, e.BaseModel, o.cm, o.base), "")
				continue
			}
			seen[k] = owner{e.BaseModel, cm.Name}
		}
	}
}

func runBaseModelUnknown(s *Snapshot, r *Report) {
	ix := s.index()
	known := map[string]bool{}
	for _, cm := range ix.configMaps {
		if e, err := adapters.ParseConfigMapData(cm.Data); err == nil {
			known[e.BaseModel] = true
		}
	}
	if len(known) == 0 {
		return
	}
	for _, rt := range ix.routes {
		for _, m := range ix.modelHeaderMatches(rt) {
			h := rt.Spec.Rules[m.rule].Matches[m.match].Headers
			exact := true
			for _, hm := range h {
				if strings.ToLower(hm.Name) == m.name {
					exact = deref(hm.Type, "Exact") == "Exact"
				}
			}
			if m.name == hdrBaseModel && exact && !known[m.value] {
				r.Add(rt.u, fmt.Sprintf("rule %d matches %s: %s, but no adapter ConfigMap has baseModel %s, so bbr never sets that value", m.rule+1, m.name, m.value, m.value), "")
			}
		}
	}
}
