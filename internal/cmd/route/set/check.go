package set

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/routing"
)

var (
	gkGateway   = schema.GroupKind{Group: routing.GatewayGroup, Kind: "Gateway"}
	gkPool      = schema.GroupKind{Group: PoolGroup, Kind: "InferencePool"}
	gkAlphaPool = schema.GroupKind{Group: "inference.networking.x-k8s.io", Kind: "InferencePool"}
)

// bodyRouterCodes are the analyzers that tell whether requests will carry the route's header:
// a body router in front of the Gateway, one that can be, and one that sets that header.
var bodyRouterCodes = []diag.Code{diag.BBRNotInFront, diag.BBRNoHook, diag.BBRHeaderNotSet}

// check lists what stops the route from working (problems, refused without --force) and what
// the user should know (warnings). The body router questions go to diagnose's analyzers, run on
// the cluster as it will be once the route is applied.
func check(snap *diag.Snapshot, want, before *unstructured.Unstructured, gwNS, gwName string, pools []PoolWeight) (problems, warnings []string) {
	ns := want.GetNamespace()
	if before != nil && !ours(before) {
		problems = append(problems, fmt.Sprintf("HTTPRoute %s/%s exists and igwctl did not create it (%s); --force takes it over",
			ns, before.GetName(), managers(before)))
	}
	if !has(snap, gkGateway, gwNS, gwName) && snap.ListedIn(gkGateway, gwNS) {
		problems = append(problems, fmt.Sprintf("no Gateway %s/%s; create it with igwctl install provider PROVIDER --gateway %s (kubectl get gateways -A lists them)", gwNS, gwName, gwName))
	}
	for _, p := range pools {
		switch {
		case has(snap, gkPool, ns, p.Pool) || !snap.ListedIn(gkPool, ns):
		case has(snap, gkAlphaPool, ns, p.Pool):
			problems = append(problems, fmt.Sprintf("InferencePool %s/%s exists only in the alpha group %s, which current gateways do not route to; "+
				"convert it: kubectl get inferencepools.%s %s -n %s -o yaml | igwctl convert -f - | kubectl apply -f -",
				ns, p.Pool, gkAlphaPool.Group, gkAlphaPool.Group, p.Pool, ns))
		default:
			problems = append(problems, fmt.Sprintf("no InferencePool %s/%s (%s); create the pool first (kubectl get inferencepools -n %s lists them)", ns, p.Pool, PoolGroup, ns))
		}
	}
	after := diag.Overlay(snap, []manifest.Object{{Unstructured: want}}, ns)
	self := diag.Object{Kind: "HTTPRoute", Namespace: ns, Name: want.GetName()}
	for _, c := range diag.Checks() {
		isRouter := slices.Contains(bodyRouterCodes, c.Code)
		if !isRouter && c.Code != diag.BBRDuplicateMatch {
			continue
		}
		for _, f := range c.Analyze(after) {
			if f.Object != self {
				continue
			}
			line := fmt.Sprintf("[%s] HTTPRoute %s/%s %s; fix: %s", f.Code, ns, want.GetName(), f.Message, f.Fix)
			if isRouter {
				problems = append(problems, line)
			} else {
				warnings = append(warnings, line)
			}
		}
	}
	return problems, warnings
}

func has(snap *diag.Snapshot, gk schema.GroupKind, ns, name string) bool {
	return slices.ContainsFunc(snap.OfKind(gk), func(u *unstructured.Unstructured) bool { return u.GetNamespace() == ns && u.GetName() == name })
}

// ours tells whether igwctl created the route: its label, or its server-side apply entry.
func ours(u *unstructured.Unstructured) bool {
	return u.GetLabels()[ManagedByLabel] == "igwctl" || install.AppliedByIgwctl(u.GetManagedFields())
}

// managers says who manages a route igwctl did not create, for the refusal.
func managers(u *unstructured.Unstructured) string {
	if rel, ok := install.HelmRelease(u); ok {
		return "Helm release " + rel + " manages it"
	}
	if by := u.GetLabels()[ManagedByLabel]; by != "" {
		return "labelled managed by " + by
	}
	if ms := install.SpecManagers(u.GetManagedFields()); len(ms) > 0 {
		return "field managers " + strings.Join(ms, ", ")
	}
	return "no field manager recorded"
}
