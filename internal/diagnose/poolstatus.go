package diagnose

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/igw-dev/igw/api/v1"
)

// What gateways write in an InferencePool's status.parents, read the same way live and from
// objects saved with their status.

func poolStatusChecks() []Check {
	return []Check{
		{ID: "pool.no-parents", Code: PoolNoParents, Severity: Error, Kinds: []string{kindPool, kindHTTPRoute},
			Title: "a route to the pool is accepted, but the pool has no status from that Gateway",
			Doc: "A gateway that takes a pool on writes an entry for itself in the pool's status.parents. When a " +
				"route to the pool is Accepted by a Gateway and the pool still has no entry for it, that gateway " +
				"does not handle the pool: its inference support is off, it does not support this API version, or " +
				"it failed. Live, or offline when the pool was read from a cluster (it has a resourceVersion).",
			Fix: "check that the gateway's controller has inference support on and reads this pool's API version; its logs name the problem; touching the route makes it try again",
			Run: runPoolNoParents},
		{ID: "pool.not-accepted", Code: PoolNotAccepted, Severity: Error, Kinds: []string{kindPool},
			Title: "a Gateway reports the InferencePool Accepted=False",
			Doc: "The Gateway does not use the pool as a backend; the reason says why: NotSupportedByParent (the " +
				"gateway does not support InferencePool), HTTPRouteNotAccepted (the route to it was rejected), " +
				"EndpointPickerRefMissing (the pool has no endpointPickerRef). Read from status: live, or offline " +
				"from saved status.",
			Fix: "fix what the reason names (the finding says how)",
			Run: runPoolNotAccepted},
		{ID: "pool.refs-not-resolved", Code: PoolRefsNotResolved, Severity: Error, Kinds: []string{kindPool},
			Title: "a Gateway reports the InferencePool ResolvedRefs=False",
			Doc: "InvalidExtensionRef: the gateway cannot use the endpoint picker the pool names (the Service does " +
				"not exist, lacks the port, is ExternalName, or the kind is unsupported). Requests to the pool fail " +
				"with 5xx. Read from status: live, or offline from saved status.",
			Fix: "point endpointPickerRef at the picker's ClusterIP Service and its ext_proc port (9002 by default)",
			Run: runPoolRefsNotResolved},
	}
}

// acceptedParents returns the Gateways that accepted a route to the pool, with the route.
func (ix *index) acceptedParents(p *pool) map[key]*route {
	out := map[key]*route{}
	for _, rt := range ix.routes {
		if !ix.routeUses(rt, p) {
			continue
		}
		for _, ps := range rt.Status.Parents {
			if c := condition(ps.Conditions, "Accepted"); c != nil && c.Status == metav1.ConditionTrue {
				out[key{"", deref(ps.ParentRef.Namespace, rt.Namespace), ps.ParentRef.Name}] = rt
			}
		}
	}
	return out
}

func hasPoolParent(p *pool, gw key) bool {
	return slices.ContainsFunc(p.Status.Parents, func(ps v1.ParentStatus) bool {
		ns := string(ps.ParentRef.Namespace)
		if ns == "" {
			ns = p.Namespace
		}
		return string(ps.ParentRef.Name) == gw.name && ns == gw.ns
	})
}

func runPoolNoParents(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		if !s.Live && p.u.GetResourceVersion() == "" {
			continue
		}
		accepted := ix.acceptedParents(p)
		for _, gw := range sortedKeys(accepted) {
			if !hasPoolParent(p, gw) {
				rt := accepted[gw]
				r.Add(p.u, fmt.Sprintf("HTTPRoute %s/%s to it is accepted by Gateway %s, but status.parents has no entry for that Gateway", rt.Namespace, rt.Name, gw), "")
			}
		}
	}
}

func sortedKeys[V any](m map[key]V) []key {
	var ks []key
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		if a.String() < b.String() {
			return -1
		}
		if a.String() > b.String() {
			return 1
		}
		return 0
	})
	return ks
}

func parentName(p *pool, ps v1.ParentStatus) string {
	ns := string(ps.ParentRef.Namespace)
	if ns == "" {
		ns = p.Namespace
	}
	return ns + "/" + string(ps.ParentRef.Name)
}

func runPoolNotAccepted(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		for _, ps := range p.Status.Parents {
			if c, ok := isFalse(ps.Conditions, "Accepted"); ok {
				r.Add(p.u, fmt.Sprintf("Gateway %s does not accept it: %s", parentName(p, ps), reasonText(c)), notAcceptedPoolFix(c.Reason))
			}
		}
	}
}

func notAcceptedPoolFix(reason string) string {
	switch reason {
	case string(v1.InferencePoolReasonNotSupportedByParent):
		return "turn on the gateway provider's inference support (igwctl install provider NAME sets it), or route the pool through a gateway that supports InferencePool"
	case string(v1.InferencePoolReasonHTTPRouteNotAccepted):
		return "fix the HTTPRoute that sends traffic to the pool; its status says why it was not accepted"
	case string(v1.InferencePoolReasonEndpointPickerRefMissing):
		return "set spec.endpointPickerRef to the picker's Service and port"
	}
	return "fix what the condition's reason names (kubectl get inferencepool NAME -o yaml shows every parent's conditions)"
}

func runPoolRefsNotResolved(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		for _, ps := range p.Status.Parents {
			if c, ok := isFalse(ps.Conditions, "ResolvedRefs"); ok {
				r.Add(p.u, fmt.Sprintf("Gateway %s cannot resolve its endpoint picker: %s", parentName(p, ps), reasonText(c)), "")
			}
		}
	}
}
