package pool

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	apiv1 "github.com/igw-dev/igw/api/v1"
)

// Use is a route rule that still sends requests to a pool.
type Use struct {
	Route  string // namespace/name
	Rule   int
	Weight int64
	// Share is the pool's part of the rule's weight, 0..1.
	Share float64
}

func (u Use) String() string {
	return fmt.Sprintf("HTTPRoute %s rule %d sends %.0f%% of its requests to it (weight %d)", u.Route, u.Rule, u.Share*100, u.Weight)
}

// InUse finds the rules of routes igwctl did not create for the pool that send it traffic:
// removing a pool under them turns that share of requests into 500s, which is why uninstall
// refuses. Routes of every namespace are read when allowed (a ReferenceGrant lets others use
// the pool), else those of the pool's namespace.
func InUse(ctx context.Context, dyn dynamic.Interface, ns, name string) ([]Use, error) {
	list, err := dyn.Resource(RouteGVR).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		list, err = dyn.Resource(RouteGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, nil // no Gateway API, no routes
	}
	if err != nil {
		return nil, fmt.Errorf("listing HTTPRoutes: %w", err)
	}
	var uses []Use
	for i := range list.Items {
		r := &list.Items[i]
		if Owned(r, name) {
			continue // deleted with the pool
		}
		uses = append(uses, routeUses(r, ns, name)...)
	}
	slices.SortFunc(uses, func(a, b Use) int {
		if a.Route != b.Route {
			return strings.Compare(a.Route, b.Route)
		}
		return a.Rule - b.Rule
	})
	return uses, nil
}

// routeUses reads the rules of one route whose backendRefs name the pool with a weight
// above 0 (an absent weight is 1, as Gateway API defaults it).
func routeUses(r *unstructured.Unstructured, ns, name string) []Use {
	rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
	var uses []Use
	for i, rule := range rules {
		refs, _, _ := unstructured.NestedSlice(asMap(rule), "backendRefs")
		var total, mine int64
		for _, ref := range refs {
			m := asMap(ref)
			w, found, _ := unstructured.NestedInt64(m, "weight")
			if !found {
				w = 1
			}
			total += w
			if names(m, r.GetNamespace(), ns, name) {
				mine += w
			}
		}
		if mine > 0 {
			uses = append(uses, Use{Route: r.GetNamespace() + "/" + r.GetName(), Rule: i, Weight: mine, Share: float64(mine) / float64(total)})
		}
	}
	return uses
}

// names says a backendRef of a route in routeNS points at InferencePool ns/name (v1 group).
func names(ref map[string]any, routeNS, ns, name string) bool {
	group, _, _ := unstructured.NestedString(ref, "group")
	kind, _, _ := unstructured.NestedString(ref, "kind")
	refName, _, _ := unstructured.NestedString(ref, "name")
	refNS, found, _ := unstructured.NestedString(ref, "namespace")
	if !found {
		refNS = routeNS
	}
	return group == apiv1.GroupVersion.Group && kind == "InferencePool" && refName == name && refNS == ns
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
