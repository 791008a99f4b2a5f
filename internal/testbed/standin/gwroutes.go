package standin

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func isConflict(err error) bool { return apierrors.IsConflict(err) }
func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// routeParent is one Gateway a route attaches to.
type routeParent struct{ ns, name string }

// parentsOf lists the Gateways of the snapshot that route's parentRefs name.
func parentsOf(route *unstructured.Unstructured, gws []unstructured.Unstructured) ([]routeParent, []any) {
	refs, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs")
	var out []routeParent
	var raw []any
	for _, r := range refs {
		m, _ := r.(map[string]any)
		ns, _ := m["namespace"].(string)
		if ns == "" {
			ns = route.GetNamespace()
		}
		name, _ := m["name"].(string)
		if slices.ContainsFunc(gws, func(g unstructured.Unstructured) bool { return g.GetNamespace() == ns && g.GetName() == name }) {
			out = append(out, routeParent{ns, name})
			raw = append(raw, m)
		}
	}
	return out, raw
}

// poolRefs lists the InferencePool names a route's rules refer to.
func poolRefs(route *unstructured.Unstructured) []string {
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	var out []string
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
		for _, b := range refs {
			m, _ := b.(map[string]any)
			if m["kind"] == "InferencePool" {
				out = append(out, m["name"].(string))
			}
		}
	}
	return out
}

func findObj(objs []unstructured.Unstructured, ns, name string) *unstructured.Unstructured {
	for i := range objs {
		if objs[i].GetNamespace() == ns && objs[i].GetName() == name {
			return &objs[i]
		}
	}
	return nil
}

// routeStatuses writes each route's parents (Accepted; ResolvedRefs unless a pool is missing),
// then each pool's parents: the Gateways of the routes that refer to it.
func (c *GatewayController) routeStatuses(ctx context.Context, s *snapshot) error {
	f := c.opts.Faults
	poolParents := map[string][]routeParent{} // namespace/pool
	for i := range s.routes {
		route := &s.routes[i]
		parents, raw := parentsOf(route, s.gateways)
		if len(parents) == 0 {
			continue
		}
		gen := route.GetGeneration()
		if f.NoRouteObservedGeneration {
			gen = -1
		}
		resolved := c.condition("ResolvedRefs", "True", "ResolvedRefs", gen)
		for _, p := range poolRefs(route) {
			if findObj(s.pools, route.GetNamespace(), p) == nil {
				reason := "BackendNotFound"
				if f.WrongBackendNotFoundReason {
					reason = "InvalidBackend"
				}
				resolved = c.condition("ResolvedRefs", "False", reason, gen)
				continue
			}
			key := route.GetNamespace() + "/" + p
			for _, parent := range parents {
				if !slices.Contains(poolParents[key], parent) {
					poolParents[key] = append(poolParents[key], parent)
				}
			}
		}
		var st []any
		for _, r := range raw {
			st = append(st, map[string]any{
				"parentRef":      r,
				"controllerName": c.opts.ControllerName,
				"conditions":     []any{c.condition("Accepted", "True", "Accepted", gen), resolved},
			})
		}
		if err := c.writeStatus(ctx, gvrHTTPRoutes, route, map[string]any{"parents": st}); err != nil {
			return err
		}
	}
	for i := range s.pools {
		pool := &s.pools[i]
		var st []any
		for _, p := range poolParents[pool.GetNamespace()+"/"+pool.GetName()] {
			gen := pool.GetGeneration()
			resolved := c.condition("ResolvedRefs", "True", "ResolvedRefs", gen)
			if svc, ok, _ := unstructured.NestedString(pool.Object, "spec", "endpointPickerRef", "name"); ok && findObj(s.services, pool.GetNamespace(), svc) == nil {
				resolved = c.condition("ResolvedRefs", "False", "InvalidExtensionRef", gen)
			}
			ref := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": p.ns, "name": p.name}
			if c.opts.Faults.NoPoolParentNamespace {
				delete(ref, "namespace")
			}
			st = append(st, map[string]any{
				"parentRef":      ref,
				"controllerName": c.opts.ControllerName,
				"conditions":     []any{c.condition("Accepted", "True", "Accepted", gen), resolved},
			})
		}
		status := map[string]any{}
		if len(st) > 0 {
			status["parents"] = st
		}
		if pool.Object["status"] == nil && len(st) == 0 {
			continue
		}
		if err := c.writeStatus(ctx, gvrPools, pool, status); err != nil {
			return err
		}
	}
	return nil
}
