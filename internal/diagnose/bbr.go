package diagnose

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The headers a body router sets, lower case as Envoy carries them: bbr's, and upstream BBR's
// (X-Gateway-Model-Name, X-Gateway-Base-Model-Name).
const (
	hdrInferenceModel = "x-gateway-inference-model"
	hdrModelName      = "x-gateway-model-name"
	hdrBaseModel      = "x-gateway-base-model-name"
)

// bodyRouter is a body based router's Deployment and the headers it sets.
type bodyRouter struct {
	w        *workload
	upstream bool
	headers  []string
}

// bodyRouters finds body routers among the Deployments: bbr (any image named bbr), upstream BBR
// and the llm-d payload processor, and reads the headers each sets from its arguments.
func (ix *index) bodyRouters() []bodyRouter {
	if ix.routers == nil {
		rs := ix.findBodyRouters()
		ix.routers = &rs
	}
	return *ix.routers
}

func (ix *index) findBodyRouters() []bodyRouter {
	var out []bodyRouter
	for _, w := range ix.deployments {
		for _, c := range w.spec.Containers {
			router, upstream := bodyRouterImage(c.Image)
			if !router {
				continue
			}
			out = append(out, bodyRouter{w: w, upstream: upstream, headers: routerHeaders(command(c), upstream)})
		}
	}
	return out
}

// bodyRouterImage reports whether an image is a body router's, and whether upstream's (upstream
// BBR, the llm-d payload processor) rather than bbr.
func bodyRouterImage(image string) (router, upstream bool) {
	repo := strings.ToLower(imageRepo(image))
	upstream = strings.Contains(repo, "gateway-api-inference-extension/bbr") || strings.Contains(repo, "payload-processor")
	return upstream || repo == "bbr" || strings.HasSuffix(repo, "/bbr"), upstream
}

// routerHeaders reads the headers a body router sets: any --plugin replaces the default pipeline
// (upstream's rule, which bbr follows); otherwise bbr's --model-header (both names by default) and
// --base-model-header, or upstream's two fixed headers.
func routerHeaders(args []string, upstream bool) []string {
	if plugins, found := flagValues(args, "plugin"); found {
		var hs []string
		for _, p := range plugins {
			hs = append(hs, pluginHeader(p)...)
		}
		return hs
	}
	if upstream {
		return []string{hdrModelName, hdrBaseModel}
	}
	hs := []string{hdrInferenceModel, hdrModelName}
	if v, found := flagValues(args, "model-header"); found {
		hs = nil
		for _, s := range v {
			for _, h := range strings.Split(s, ",") {
				if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
					hs = append(hs, h)
				}
			}
		}
	}
	base, found := flagValue(args, "base-model-header")
	if !found {
		base = hdrBaseModel
	}
	if base != "" {
		hs = append(hs, strings.ToLower(base))
	}
	return hs
}

// pluginHeader reads one --plugin TYPE:NAME[:JSON]: body-field-to-header for the model field
// sets its headerName; base-model-to-header sets the base model header.
func pluginHeader(p string) []string {
	parts := strings.SplitN(p, ":", 3)
	switch strings.TrimSpace(parts[0]) {
	case "base-model-to-header":
		return []string{hdrBaseModel}
	case "body-field-to-header":
		if len(parts) < 3 {
			return nil
		}
		var params struct{ FieldName, HeaderName string }
		if json.Unmarshal([]byte(parts[2]), &params) == nil && params.FieldName == "model" && params.HeaderName != "" {
			return []string{strings.ToLower(params.HeaderName)}
		}
	}
	return nil
}

// modelHeaderMatch is one header match of a route rule on a header a body router sets.
type modelHeaderMatch struct {
	rt          *route
	rule, match int
	name, value string
}

// modelHeaderMatches returns the route's matches on body router headers: the three known names
// and any header a router in the snapshot is configured to set.
func (ix *index) modelHeaderMatches(rt *route) []modelHeaderMatch {
	known := []string{hdrInferenceModel, hdrModelName, hdrBaseModel}
	for _, br := range ix.bodyRouters() {
		known = append(known, br.headers...)
	}
	var out []modelHeaderMatch
	for i, rule := range rt.Spec.Rules {
		for j, m := range rule.Matches {
			for _, h := range m.Headers {
				if slices.Contains(known, strings.ToLower(h.Name)) {
					out = append(out, modelHeaderMatch{rt, i, j, strings.ToLower(h.Name), h.Value})
				}
			}
		}
	}
	return out
}

func bbrChecks() []Check {
	return []Check{
		{ID: "bbr.not-in-front", Code: BBRNotInFront, Severity: Error, Kinds: []string{kindHTTPRoute, kindGateway, "EnvoyFilter", "GCPRoutingExtension", "AgentgatewayPolicy"},
			Title: "routes match a model header, and no body router runs before the Gateway's route matching",
			Doc: "Clients send the model in the JSON body; only a body based router running before route matching " +
				"turns it into the header the route matches (bbr strips a client's own copy). Without one, no request " +
				"matches and they fall to another rule or 404. bbr is in front when the Gateway has its glue: an Istio " +
				"EnvoyFilter with an ext_proc filter, a GKE GCPRoutingExtension, or an Agentgateway PreRouting policy. " +
				"Reported for Gateways in the snapshot (offline: in the files).",
			Fix: "install bbr with the glue for the Gateway's provider: igwctl install bbr --provider istio|gke|agentgateway",
			Run: runBBRNotInFront},
		{ID: "bbr.no-hook", Code: BBRNoHook, Severity: Error, Kinds: []string{kindHTTPRoute, kindGateway},
			Title: "routes match a model header on a gateway that cannot call a body router",
			Doc: "NGINX Gateway Fabric has no ext_proc hook before route matching, so nothing can set a model header " +
				"from the body and these rules never match. Reported for NGINX Gateway Fabric Gateways in the snapshot.",
			Fix: "route by path or a header the client sends, or serve these models through a gateway that supports body based routing (Istio, GKE, Agentgateway)",
			Run: runBBRNoHook},
		{ID: "bbr.header-not-set", Code: BBRHeaderNotSet, Severity: Error, Kinds: []string{kindHTTPRoute, "Deployment"},
			Title: "routes match a model header the deployed body router does not set",
			Doc: "Upstream BBR sets only X-Gateway-Model-Name (and X-Gateway-Base-Model-Name). " +
				"bbr sets x-gateway-inference-model and x-gateway-model-name by default, or what bbr's --model-header " +
				"and bbr's --base-model-header say. A rule matching another header never matches. Reported when a " +
				"body router's Deployment is in the snapshot.",
			Fix: "match a header the body router sets, or have it set the one the route matches",
			Run: runBBRHeaderNotSet},
		{ID: "bbr.duplicate-match", Code: BBRDuplicateMatch, Severity: Warning, Kinds: []string{kindHTTPRoute},
			Title: "two routes on one Gateway match the same model header value",
			Doc: "When two HTTPRoutes attached to one Gateway have identical matches, Gateway API gives the requests " +
				"to one of them only (the oldest route, then the first by namespace and name), so the other's backends " +
				"never see that model. Split traffic with weights in one rule instead. Offline and live.",
			Fix: "keep one rule per model header value on a Gateway; to split traffic, list several backendRefs with weights in that rule",
			Run: runBBRDuplicateMatch},
		{ID: "bbr.adapter-configmap", Code: AdapterConfigMapInvalid, Severity: Error, Kinds: []string{kindConfigMap},
			Title: "adapter ConfigMap that bbr cannot read",
			Doc: "A ConfigMap labelled inference.networking.k8s.io/bbr-managed=true (or inference.llm-d.ai/ipp-managed=true) " +
				"must hold data.baseModel and, optionally, data.adapters as a YAML list of names. bbr keeps its " +
				"previous mapping when one is invalid, so its adapters never route by base model. Offline and live.",
			Fix: "give the ConfigMap data.baseModel and, optionally, data.adapters as a YAML list of adapter names",
			Run: runAdapterConfigMap},
		{ID: "bbr.adapter-two-bases", Code: AdapterTwoBaseModels, Severity: Error, Kinds: []string{kindConfigMap},
			Title: "one LoRA adapter mapped to two base models",
			Doc: "An adapter name listed under two different baseModels (in ConfigMaps of one namespace) makes its base " +
				"model header depend on which ConfigMap bbr read last. Offline and live.",
			Fix: "list each adapter under the one base model it was trained on",
			Run: runAdapterTwoBases},
		{ID: "bbr.glue-service", Code: BBRGlueServiceMissing, Severity: Error, Kinds: []string{"EnvoyFilter", "GCPRoutingExtension", "AgentgatewayPolicy", kindService},
			Title: "the glue calls a body router Service that does not exist",
			Doc: "The EnvoyFilter, GCPRoutingExtension or Agentgateway policy that puts bbr in front of the Gateway names " +
				"a Service that is not there: every request fails at the gateway (bbr's glue does not fail open). " +
				"Offline it is reported only when the files hold some Service; live, always.",
			Fix: "install bbr (igwctl install bbr) in the namespace the glue names, or correct the glue",
			Run: runGlueService},
		{ID: "bbr.base-model-unknown", Code: BaseModelUnknown, Severity: Warning, Kinds: []string{kindHTTPRoute, kindConfigMap},
			Title: "a route matches a base model that no adapter ConfigMap names",
			Doc: "bbr sets x-gateway-base-model-name only for models its adapter ConfigMaps know (an adapter, or a " +
				"baseModel itself), so a rule matching another base model never matches. Reported when the snapshot " +
				"holds adapter ConfigMaps.",
			Fix: "add a ConfigMap with data.baseModel set to the value the route matches, or correct the route's value",
			Run: runBaseModelUnknown},
	}
}

// eachModelRouteGateway calls f for every Gateway in the snapshot that a route matching a model
// header attaches to, with the route's first such match.
func (ix *index) eachModelRouteGateway(f func(rt *route, m modelHeaderMatch, k key, gw *gateway)) {
	for _, rt := range ix.routes {
		ms := ix.modelHeaderMatches(rt)
		if len(ms) == 0 {
			continue
		}
		for _, k := range parentGateways(rt) {
			if gw := ix.gateways[k]; gw != nil {
				f(rt, ms[0], k, gw)
			}
		}
	}
}

func runBBRNotInFront(s *Snapshot, r *Report) {
	ix := s.index()
	ix.eachModelRouteGateway(func(rt *route, m modelHeaderMatch, k key, gw *gateway) {
		if p := ix.providerOf(gw); p != nginx && !ix.hasGlue(gw) && s.glueKnown(p, gw.Namespace) {
			r.Add(rt.u, fmt.Sprintf("matches header %s, but nothing runs a body router before route matching on Gateway %s (%s)", m.name, k, glueWanted(p)), "")
		}
	})
}

func runBBRNoHook(s *Snapshot, r *Report) {
	ix := s.index()
	ix.eachModelRouteGateway(func(rt *route, m modelHeaderMatch, k key, gw *gateway) {
		if ix.providerOf(gw) == nginx {
			r.Add(rt.u, fmt.Sprintf("matches header %s on Gateway %s, but NGINX Gateway Fabric cannot run a body router before route matching, so the rule never matches", m.name, k), "")
		}
	})
}

func runBBRHeaderNotSet(s *Snapshot, r *Report) {
	ix := s.index()
	routers := ix.bodyRouters()
	if len(routers) == 0 {
		return
	}
	var set, names []string
	for _, br := range routers {
		set = append(set, br.headers...)
		names = append(names, "Deployment "+br.w.u.GetNamespace()+"/"+br.w.u.GetName())
	}
	for _, rt := range ix.routes {
		for _, m := range ix.modelHeaderMatches(rt) {
			if slices.Contains(set, m.name) {
				continue
			}
			r.Add(rt.u, fmt.Sprintf("rule %d matches header %s, which the body router (%s) does not set; it sets %s", m.rule+1, m.name, strings.Join(names, ", "), orNone(set)),
				headerFix(m.name, routers))
		}
	}
}

func orNone(hs []string) string {
	if len(hs) == 0 {
		return "no model header"
	}
	hs = slices.Clone(hs)
	sort.Strings(hs)
	return strings.Join(slices.Compact(hs), ", ")
}

func headerFix(h string, routers []bodyRouter) string {
	if slices.ContainsFunc(routers, func(b bodyRouter) bool { return b.upstream }) {
		return fmt.Sprintf("match %s (upstream BBR's header) in the route, or replace upstream BBR with bbr (igwctl install bbr), which sets both names", hdrModelName)
	}
	return fmt.Sprintf("add the header to bbr's model headers (chart value modelHeaders: [%s, ...]) or match one it sets", h)
}
