package pool

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/providers"
)

// Groups and resources the pool commands read and write.
const (
	PoolGroup   = "inference.networking.k8s.io"
	LLMDGroup   = "llm-d.ai"
	LegacyGroup = "inference.networking.x-k8s.io"
	PoolCRD     = "inferencepools." + PoolGroup
	// PoolLabel names the pool an HTTPRoute or InferenceObjective igwctl created belongs to, so
	// uninstall finds exactly those.
	PoolLabel = "igw.dev/pool"
)

var (
	PoolGVR  = schema.GroupVersionResource{Group: PoolGroup, Version: "v1", Resource: "inferencepools"}
	RouteGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// BaseModelHeader is the header bbr sets to an adapter's base model, which a --base-model route
// matches.
const BaseModelHeader = bbr.HeaderBaseModelName

// ObjectiveGVR is the InferenceObjective resource in group (llm-d.ai or the legacy group; both
// serve v1alpha2).
func ObjectiveGVR(group string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1alpha2", Resource: "inferenceobjectives"}
}

// Labels mark what igwctl creates next to the release as its own and as this pool's.
func Labels(pool string) map[string]any {
	return map[string]any{providers.ManagedByLabel: providers.ManagedBy, PoolLabel: pool}
}

// OwnedSelector selects what igwctl created for pool.
func OwnedSelector(pool string) string {
	return providers.ManagedByLabel + "=" + providers.ManagedBy + "," + PoolLabel + "=" + pool
}

// RouteSpec is the HTTPRoute --route asks for.
type RouteSpec struct {
	Gateway, GatewayNamespace string
	// BaseModel, when set, restricts the route to requests whose base model header (set by bbr
	// from the adapter mapping) names it.
	BaseModel string
	// Provider gke takes the timeout from a GCPBackendPolicy and rejects it on the route.
	Provider string
}

// Route is the pool's HTTPRoute, as the charts' own route (experimentalHttpRoute / httpRoute)
// renders it: named after the pool, path prefix / (and the base model header), the pool as
// backend, a 300 s request timeout except on GKE.
func Route(s Spec, r RouteSpec) map[string]any {
	parent := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": r.Gateway}
	if r.GatewayNamespace != "" && r.GatewayNamespace != s.Namespace {
		parent["namespace"] = r.GatewayNamespace
	}
	match := map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"}}
	if r.BaseModel != "" {
		match["headers"] = []any{map[string]any{"type": "Exact", "name": BaseModelHeader, "value": r.BaseModel}}
	}
	rule := map[string]any{
		"backendRefs": []any{map[string]any{"group": PoolGroup, "kind": "InferencePool", "name": s.Name}},
		"matches":     []any{match},
	}
	if r.Provider != string(providers.GKE) {
		rule["timeouts"] = map[string]any{"request": "300s"}
	}
	return map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1",
		"kind":       "HTTPRoute",
		"metadata":   map[string]any{"name": s.Name, "namespace": s.Namespace, "labels": Labels(s.Name)},
		"spec":       map[string]any{"parentRefs": []any{parent}, "rules": []any{rule}},
	}
}

// Objective is one --objective NAME=PRIORITY for the pool, in group.
type Objective struct {
	Name     string `json:"name"`
	Priority int64  `json:"priority"`
}

// ObjectiveObject is the InferenceObjective for o in group.
func ObjectiveObject(s Spec, o Objective, group string) map[string]any {
	return map[string]any{
		"apiVersion": group + "/v1alpha2",
		"kind":       "InferenceObjective",
		"metadata":   map[string]any{"name": o.Name, "namespace": s.Namespace, "labels": Labels(s.Name)},
		"spec": map[string]any{
			"poolRef":  map[string]any{"group": PoolGroup, "kind": "InferencePool", "name": s.Name},
			"priority": o.Priority,
		},
	}
}
