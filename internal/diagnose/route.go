package diagnose

import (
	"fmt"
	"strings"
)

// poolRef is one backendRef of a route that names an InferencePool, in either API group.
type poolRef struct {
	rule       int
	ref        backendRef
	group, ns  string
	routeNS    string
	resolvedTo *pool // the pool of exactly this group, when it exists
	other      *pool // the pool of the same name in the other group, when it exists
}

// poolRefs returns the route's backendRefs to InferencePools.
func (ix *index) poolRefs(r *route) []poolRef {
	if refs, ok := ix.refsMemo[r]; ok {
		return refs
	}
	refs := ix.findPoolRefs(r)
	ix.refsMemo[r] = refs
	return refs
}

func (ix *index) findPoolRefs(r *route) []poolRef {
	var out []poolRef
	for i, rule := range r.Spec.Rules {
		for _, b := range rule.BackendRefs {
			group := deref(b.Group, "")
			if deref(b.Kind, kindService) != kindPool || (group != groupPool && group != groupAlpha) {
				continue
			}
			ns := deref(b.Namespace, r.Namespace)
			otherGroup := groupAlpha
			if group == groupAlpha {
				otherGroup = groupPool
			}
			out = append(out, poolRef{rule: i, ref: b, group: group, ns: ns, routeNS: r.Namespace,
				resolvedTo: ix.poolByKey[key{group, ns, b.Name}], other: ix.poolByKey[key{otherGroup, ns, b.Name}]})
		}
	}
	return out
}

// parentGateways returns the Gateways a route's parentRefs name (kind Gateway, the default).
func parentGateways(r *route) []key {
	var out []key
	for _, p := range r.Spec.ParentRefs {
		if deref(p.Group, groupGateway) == groupGateway && deref(p.Kind, kindGateway) == kindGateway {
			out = append(out, key{groupGateway, deref(p.Namespace, r.Namespace), p.Name})
		}
	}
	return out
}

func (k key) String() string {
	if k.ns == "" {
		return k.name
	}
	return k.ns + "/" + k.name
}

// absent says how a missing object is missing: from the cluster, or only from the files.
func (s *Snapshot) absent() string {
	if s.Live {
		return "does not exist"
	}
	return "is not in the given files"
}

func routeChecks() []Check {
	return []Check{
		{ID: "route.pool-missing", Code: RoutePoolMissing, Severity: Error, Kinds: []string{kindHTTPRoute, kindPool},
			Title: "HTTPRoute backendRef to an InferencePool that does not exist",
			Doc: "The gateway cannot resolve the backend: the route shows ResolvedRefs=False/BackendNotFound and its " +
				"requests get 500 (Envoy's \"fault filter abort\"). Offline it is reported only when the files hold " +
				"some InferencePool (otherwise the pools are elsewhere); live, always.",
			Fix: "create the pool, or correct the backendRef's name and namespace",
			Run: runPoolMissing},
		{ID: "route.pool-group", Code: RoutePoolGroupMismatch, Severity: Error, Kinds: []string{kindHTTPRoute, kindPool},
			Title: "HTTPRoute backendRef uses the other InferencePool API group",
			Doc: "A backendRef's group picks the API version: inference.networking.k8s.io is the v1 pool, " +
				"inference.networking.x-k8s.io the alpha one. Guides written for the alpha API still show the old group; " +
				"the gateway then looks for a pool that does not exist (BackendNotFound), or rejects the kind (Istio 1.28 " +
				"and later serve only v1). Offline and live.",
			Fix: "use group inference.networking.k8s.io for a v1 pool (inference.networking.x-k8s.io only names an alpha pool)",
			Run: runPoolGroup},
		{ID: "route.pool-referencegrant", Code: RoutePoolNoReferenceGrant, Severity: Error, Kinds: []string{kindHTTPRoute, kindPool, kindRefGrant},
			Title: "HTTPRoute backendRef to a pool in another namespace without a ReferenceGrant",
			Doc: "A route may send traffic to another namespace only when a ReferenceGrant there allows it; without one " +
				"the route shows ResolvedRefs=False/RefNotPermitted and its requests fail. Reported live, and offline " +
				"when the files hold the pool (so they describe its namespace).",
			Fix: "create a ReferenceGrant in the pool's namespace that allows HTTPRoutes from the route's namespace to refer to InferencePools",
			Run: runPoolGrant},
		{ID: "route.pool-port", Code: RoutePoolPort, Severity: Warning, Kinds: []string{kindHTTPRoute},
			Title: "port on an InferencePool backendRef",
			Doc: "A pool is not a Service: the endpoint picker picks a pod and one of the pool's targetPorts. Gateways " +
				"ignore a backendRef port (the conformance suite requires it), so a port here suggests the author " +
				"expects it to matter. Offline and live.",
			Fix: "remove port from the backendRef; set the model server port in the pool's spec.targetPorts",
			Run: runPoolPort},
		{ID: "route.weights-zero", Code: RouteWeightsAllZero, Severity: Error, Kinds: []string{kindHTTPRoute},
			Title: "every backendRef of a rule has weight 0",
			Doc:   "With all weights 0 the gateway has nowhere to send the rule's requests and answers 500. Offline and live.",
			Fix:   "give at least one backendRef a positive weight (weights are relative; the default is 1)",
			Run:   runWeightsZero},
		{ID: "route.stale-backend-not-found", Code: RouteStaleBackendNotFound, Severity: Error, Kinds: []string{kindHTTPRoute, kindPool},
			Title: "HTTPRoute still BackendNotFound although its pools exist",
			Doc: "A route created before its InferencePool is marked ResolvedRefs=False/BackendNotFound, and some " +
				"controllers do not look at it again when the pool appears, so it stays broken. Read from the route's " +
				"status: live, or offline from objects saved with their status (kubectl get -o yaml).",
			Fix: "touch the route so its controller reconciles it again, e.g. kubectl annotate httproute NAME igw.dev/touch=$(date +%s) --overwrite",
			Run: runStaleBackend},
		{ID: "route.not-accepted", Code: RouteNotAccepted, Severity: Error, Kinds: []string{kindHTTPRoute},
			Title: "a parent Gateway did not accept the HTTPRoute",
			Doc: "The route is not attached to that Gateway, so none of its rules apply there (requests get 404). " +
				"Read from the route's status: live, or offline from saved status.",
			Fix: "fix what the condition's reason names (the finding says how for the common reasons)",
			Run: runNotAccepted},
		{ID: "route.gateway-missing", Code: RouteGatewayMissing, Severity: Error, Kinds: []string{kindHTTPRoute, kindGateway},
			Title: "HTTPRoute parentRef to a Gateway that does not exist",
			Doc: "A route attaches to nothing until its Gateway exists. Offline it is reported only when the files hold " +
				"some Gateway; live, always.",
			Fix: "create the Gateway, or correct the parentRef's name and namespace",
			Run: runGatewayMissing},
		{ID: "route.pool-invalid-kind", Code: RoutePoolKindUnsupported, Severity: Error, Kinds: []string{kindHTTPRoute},
			Title: "the gateway does not know InferencePool as a backend (InvalidKind)",
			Doc: "The route's status says ResolvedRefs=False/InvalidKind for a backendRef to an InferencePool: the " +
				"gateway's controller runs without inference support, or supports only the other API group. Read from " +
				"status: live, or offline from saved status.",
			Fix: "turn on the provider's inference support (Istio: pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true; Agentgateway: inferenceExtension.enabled=true; NGINX Gateway Fabric: nginxGateway.gwAPIInferenceExtension.enable=true; igwctl install provider does this), and use the v1 group inference.networking.k8s.io",
			Run: runInvalidKind},
		{ID: "route.pool-as-service", Code: RoutePoolAsService, Severity: Error, Kinds: []string{kindHTTPRoute, kindPool, kindService},
			Title: "backendRef without group and kind names a pool",
			Doc: "A backendRef's kind defaults to Service and its group to the core group, so a backendRef that gives " +
				"only the pool's name asks for a Service of that name: the pool and its endpoint picker are bypassed, " +
				"or the route is BackendNotFound. Reported when a pool of that name exists and no Service does.",
			Run: runPoolAsService},
		{ID: "route.listener-namespace", Code: RouteNotAllowedByListener, Severity: Error, Kinds: []string{kindHTTPRoute, kindGateway},
			Title: "no listener of the Gateway admits routes from the route's namespace",
			Doc: "A listener admits routes from its own namespace unless allowedRoutes.namespaces says otherwise, so a " +
				"route in another namespace is NotAllowedByListeners and never attached (404). Reported from the " +
				"Gateway's spec when the route has no status for it yet; with status, IGW1007 reports it.",
			Run: runListenerNamespace},
	}
}

func runPoolMissing(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for _, p := range ix.poolRefs(rt) {
			if p.resolvedTo == nil && p.other == nil && s.CoversIn(p.ns, gkPool, gkAlphaPool) {
				r.Add(rt.u, fmt.Sprintf("backendRef to InferencePool %s/%s (%s), which %s", p.ns, p.ref.Name, p.group, s.absent()), "")
			}
		}
	}
}

func runPoolGroup(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for _, p := range ix.poolRefs(rt) {
			if p.resolvedTo != nil || p.other == nil {
				continue
			}
			if p.group == groupAlpha {
				r.Add(rt.u, fmt.Sprintf("backendRef to InferencePool %s/%s uses the alpha group %s, but the pool is v1 (%s)", p.ns, p.ref.Name, groupAlpha, groupPool),
					"set group: "+groupPool+" on the backendRef")
			} else {
				r.Add(rt.u, fmt.Sprintf("backendRef to InferencePool %s/%s uses group %s, but the pool is the alpha %s/v1alpha2 one", p.ns, p.ref.Name, groupPool, groupAlpha),
					"convert the pool to v1 (igwctl convert -f FILE) and apply it; keep group: "+groupPool)
			}
		}
	}
}

func runPoolGrant(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for _, p := range ix.poolRefs(rt) {
			if p.ns == p.routeNS || (!s.Live && p.resolvedTo == nil && p.other == nil) || (s.Live && !s.listed(gkRefGrant)) || ix.granted(p) {
				continue
			}
			r.Add(rt.u, fmt.Sprintf("backendRef to InferencePool %s/%s in another namespace, and no ReferenceGrant in %s allows HTTPRoutes from %s", p.ns, p.ref.Name, p.ns, p.routeNS),
				fmt.Sprintf("create a ReferenceGrant in namespace %s with from: [{group: %s, kind: HTTPRoute, namespace: %s}] and to: [{group: %s, kind: InferencePool}]", p.ns, groupGateway, p.routeNS, p.group))
		}
	}
}

// granted reports whether a ReferenceGrant in the pool's namespace lets the route refer to it.
func (ix *index) granted(p poolRef) bool {
	for _, g := range ix.grants {
		if g.Namespace != p.ns {
			continue
		}
		from, to := false, false
		for _, f := range g.Spec.From {
			from = from || (f.Group == groupGateway && f.Kind == kindHTTPRoute && f.Namespace == p.routeNS)
		}
		for _, t := range g.Spec.To {
			to = to || (t.Group == p.group && t.Kind == kindPool && (t.Name == nil || *t.Name == p.ref.Name))
		}
		if from && to {
			return true
		}
	}
	return false
}

func runPoolPort(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for _, p := range ix.poolRefs(rt) {
			if p.ref.Port != nil {
				r.Add(rt.u, fmt.Sprintf("backendRef to InferencePool %s/%s sets port %d, which gateways ignore for a pool", p.ns, p.ref.Name, *p.ref.Port), "")
			}
		}
	}
}

func runWeightsZero(s *Snapshot, r *Report) {
	for _, rt := range s.index().routes {
		for i, rule := range rt.Spec.Rules {
			zero := len(rule.BackendRefs) > 0
			for _, b := range rule.BackendRefs {
				zero = zero && b.Weight != nil && *b.Weight == 0
			}
			if zero {
				r.Add(rt.u, fmt.Sprintf("rule %d: every backendRef has weight 0, so its requests get 500", i+1), "")
			}
		}
	}
}

func runStaleBackend(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		refs := ix.poolRefs(rt)
		if len(refs) == 0 || !ix.allBackendsExist(rt) {
			continue
		}
		for _, ps := range rt.Status.Parents {
			if c, ok := isFalse(ps.Conditions, "ResolvedRefs"); ok && c.Reason == "BackendNotFound" {
				r.Add(rt.u, fmt.Sprintf("status from Gateway %s still says ResolvedRefs=False/BackendNotFound, but every InferencePool it names exists now",
					key{"", deref(ps.ParentRef.Namespace, rt.Namespace), ps.ParentRef.Name}), "")
			}
		}
	}
}

// allBackendsExist reports whether every backendRef of the route names a pool or Service in the
// snapshot; another kind cannot be checked, so it counts as missing.
func (ix *index) allBackendsExist(rt *route) bool {
	for _, rule := range rt.Spec.Rules {
		for _, b := range rule.BackendRefs {
			ns, group, kind := deref(b.Namespace, rt.Namespace), deref(b.Group, ""), deref(b.Kind, kindService)
			switch {
			case kind == kindPool && ix.poolByKey[key{group, ns, b.Name}] != nil:
			case kind == kindService && group == "" && ix.services[key{"", ns, b.Name}] != nil:
			default:
				return false
			}
		}
	}
	return true
}

func runNotAccepted(s *Snapshot, r *Report) {
	for _, rt := range s.index().routes {
		for _, ps := range rt.Status.Parents {
			if c, ok := isFalse(ps.Conditions, "Accepted"); ok {
				gw := key{"", deref(ps.ParentRef.Namespace, rt.Namespace), ps.ParentRef.Name}
				r.Add(rt.u, fmt.Sprintf("Gateway %s did not accept the route: %s: %s", gw, c.Reason, strings.TrimSuffix(c.Message, ".")), notAcceptedFix(c.Reason))
			}
		}
	}
}

func notAcceptedFix(reason string) string {
	switch reason {
	case "NotAllowedByListeners":
		return "allow the route's namespace in the listener's allowedRoutes.namespaces (from: All, or a Selector), or move the route to the Gateway's namespace"
	case "NoMatchingListenerHostname":
		return "make the route's hostnames match a listener's hostname, or drop them"
	case "NoMatchingParent":
		return "correct the parentRef's sectionName or port to name a listener of the Gateway"
	}
	return "fix what the condition's reason names (kubectl describe httproute NAME shows every parent's conditions)"
}

func runGatewayMissing(s *Snapshot, r *Report) {
	if !s.Covers(gkGateway) {
		return
	}
	ix := s.index()
	for _, rt := range ix.routes {
		for _, gw := range parentGateways(rt) {
			if ix.gateways[gw] == nil {
				r.Add(rt.u, fmt.Sprintf("parentRef to Gateway %s, which %s", gw, s.absent()), "")
			}
		}
	}
}

func runInvalidKind(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		if len(ix.poolRefs(rt)) == 0 {
			continue
		}
		for _, ps := range rt.Status.Parents {
			if c, ok := isFalse(ps.Conditions, "ResolvedRefs"); ok && c.Reason == "InvalidKind" {
				r.Add(rt.u, fmt.Sprintf("Gateway %s (controller %s) rejects the InferencePool backend as InvalidKind: its controller runs without inference support",
					key{"", deref(ps.ParentRef.Namespace, rt.Namespace), ps.ParentRef.Name}, orUnknown(ps.ControllerName)), "")
			}
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func runPoolAsService(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for _, rule := range rt.Spec.Rules {
			for _, b := range rule.BackendRefs {
				if deref(b.Kind, kindService) != kindService || deref(b.Group, "") != "" {
					continue
				}
				ns := deref(b.Namespace, rt.Namespace)
				p := ix.poolByKey[key{groupPool, ns, b.Name}]
				if p == nil {
					p = ix.poolByKey[key{groupAlpha, ns, b.Name}]
				}
				if p == nil || ix.services[key{"", ns, b.Name}] != nil || (s.Live && !s.listedIn(gkService, ns)) {
					continue
				}
				g := groupPool
				if p.alpha {
					g = groupAlpha
				}
				r.Add(rt.u, fmt.Sprintf("backendRef %q has no group and kind, so it names a Service, not InferencePool %s/%s", b.Name, ns, b.Name),
					fmt.Sprintf("add group: %s and kind: InferencePool to the backendRef", g))
			}
		}
	}
}
