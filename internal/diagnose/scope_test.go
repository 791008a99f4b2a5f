package diagnose

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/manifest"
)

// routeTo is an HTTPRoute in ns on Gateway gw/inference-gateway with a backendRef to pool poolNS/p.
func routeTo(ns, poolNS string, header bool) *unstructured.Unstructured {
	rule := map[string]any{"backendRefs": []any{map[string]any{"group": groupPool, "kind": kindPool, "name": "p", "namespace": poolNS}}}
	if header {
		rule["matches"] = []any{map[string]any{"headers": []any{map[string]any{"name": hdrInferenceModel, "value": "m"}}}}
	}
	return u("gateway.networking.k8s.io/v1", kindHTTPRoute, ns, "r", map[string]any{"spec": map[string]any{
		"parentRefs": []any{map[string]any{"name": "inference-gateway", "namespace": "gw"}}, "rules": []any{rule}}})
}

// envoyFilter is bbr's glue in ns, calling Service bbr in svcNS.
func envoyFilter(ns, svcNS string) *unstructured.Unstructured {
	return u("networking.istio.io/v1alpha3", "EnvoyFilter", ns, "bbr", map[string]any{"spec": map[string]any{
		"configPatches": []any{map[string]any{"patch": map[string]any{"value": map[string]any{"name": "envoy.filters.http.ext_proc",
			"typed_config": map[string]any{"grpc_service": map[string]any{"envoy_grpc": map[string]any{
				"cluster_name": "outbound|9004||bbr." + svcNS + ".svc.cluster.local"}}}}}}}}})
}

func grantFrom(poolNS, routeNS string) *unstructured.Unstructured {
	return u("gateway.networking.k8s.io/v1beta1", kindRefGrant, poolNS, "g", map[string]any{"spec": map[string]any{
		"from": []any{map[string]any{"group": groupGateway, "kind": kindHTTPRoute, "namespace": routeNS}},
		"to":   []any{map[string]any{"group": groupPool, "kind": kindPool}}}})
}

// Live with -n, an object missing from a namespace that was not listed may exist: the analyzers
// that report an absence (a pool, a Service, glue, routes) stay silent about other namespaces,
// and speak when every namespace was listed.
func TestNamespaceScope(t *testing.T) {
	gateway := u("gateway.networking.k8s.io/v1", kindGateway, "gw", "inference-gateway", map[string]any{"spec": map[string]any{"gatewayClassName": "istio"}})
	for _, tc := range []struct {
		name   string
		objs   []*unstructured.Unstructured
		scope  []string
		want   Code
		report bool
	}{
		{"pool in an unlisted namespace", []*unstructured.Unstructured{routeTo("app", "pools", false), grantFrom("pools", "app"), gateway}, []string{"app"}, RoutePoolMissing, false},
		{"pool missing, all listed", []*unstructured.Unstructured{routeTo("app", "pools", false), grantFrom("pools", "app"), gateway}, nil, RoutePoolMissing, true},
		{"glue in the Gateway's unlisted namespace", []*unstructured.Unstructured{routeTo("app", "app", true), poolObj("app"), gateway}, []string{"app"}, BBRNotInFront, false},
		{"no glue, all listed", []*unstructured.Unstructured{routeTo("app", "app", true), poolObj("app"), gateway}, nil, BBRNotInFront, true},
		{"routes may come from an unlisted namespace", []*unstructured.Unstructured{poolObj("pools"), grantFrom("pools", "app")}, []string{"pools"}, PoolUnused, false},
		{"no grant: routes elsewhere cannot use it", []*unstructured.Unstructured{poolObj("pools")}, []string{"pools"}, PoolUnused, true},
		{"glue calls a Service in an unlisted namespace", []*unstructured.Unstructured{envoyFilter("app", "bbr-system")}, []string{"app"}, BBRGlueServiceMissing, false},
		{"glue calls a missing Service, all listed", []*unstructured.Unstructured{envoyFilter("app", "bbr-system")}, nil, BBRGlueServiceMissing, true},
		{"picker Service of a pool from a file outside the scope", []*unstructured.Unstructured{poolObj("other")}, []string{"app"}, PoolPickerServiceMissing, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codesOf(&Snapshot{Objects: tc.objs, Live: true, Namespaces: tc.scope})
			if slices.Contains(got, tc.want) != tc.report {
				t.Errorf("%v: want %s reported %v", got, tc.want, tc.report)
			}
		})
	}
}

// ReferenceGrants are listed in every namespace: a forbidden list leaves the grant check silent.
func TestGrantsUnlisted(t *testing.T) {
	objs := []*unstructured.Unstructured{routeTo("app", "pools", false), poolObj("pools")}
	if got := codesOf(&Snapshot{Objects: objs, Live: true, Namespaces: []string{"app"}}); !slices.Contains(got, RoutePoolNoReferenceGrant) {
		t.Errorf("grants listed: %v", got)
	}
	s := &Snapshot{Objects: objs, Live: true, Unlisted: map[schema.GroupKind]string{gkRefGrant: "forbidden"}}
	if got := codesOf(s); slices.Contains(got, RoutePoolNoReferenceGrant) {
		t.Errorf("grants not listed: %v", got)
	}
}

// Provider controllers and body routers are kept from every namespace; other Deployments are not.
func TestClusterWide(t *testing.T) {
	dep := func(image string) *unstructured.Unstructured {
		return u("apps/v1", "Deployment", "x", "d", map[string]any{"spec": map[string]any{"template": map[string]any{
			"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}}}}})
	}
	for image, want := range map[string]bool{
		"docker.io/istio/pilot:1.30.1": true, "ghcr.io/nginx/nginx-gateway-fabric:2.6.0": true, "ghcr.io/igw-dev/bbr:v0.1.0": true,
		"registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0": true, "vllm/vllm-openai:v0.10.0": false, "nginx:1.27": false,
	} {
		if got := ClusterWide(dep(image)); got != want {
			t.Errorf("%s: %v, want %v", image, got, want)
		}
	}
}

// Live, a picker Service selects its Deployment's template and its pods alike; asking for the
// picker's Deployments again and again must not change what the next check sees.
func TestPickerPodsAndTemplate(t *testing.T) {
	pod := u("v1", "Pod", "llm", "p-epp-0", map[string]any{"metadata": map[string]any{"name": "p-epp-0", "namespace": "llm",
		"labels": map[string]any{"app": "p-epp"}}, "spec": map[string]any{"containers": []any{map[string]any{"name": "epp", "image": "epp"}}}})
	svc := u("v1", "Service", "llm", "p-epp", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "p-epp"},
		"ports": []any{map[string]any{"port": int64(9002)}}}})
	s := &Snapshot{Objects: []*unstructured.Unstructured{poolObj("llm"), pod, deployment("llm", "p-epp", map[string]any{"app": "p-epp"}, 1), svc}, Live: true}
	codesOf(s)
	if deps := s.index().pickerDeployments(s.index().pools[0]); len(deps) != 1 || deps[0] == nil {
		t.Errorf("picker Deployments after the analysis: %v", deps)
	}
}

// Live, templates make no pods: with the pods not listed, a Deployment of the pool's template
// does not let the analyzers judge the pool's pods.
func TestUnlistedPodsWithTemplates(t *testing.T) {
	objs := []*unstructured.Unstructured{poolObj("llm"), deployment("llm", "vllm", map[string]any{"app": "vllm"}, 1)}
	s := &Snapshot{Objects: objs, Live: true, Unlisted: map[schema.GroupKind]string{gkPod: "forbidden"}}
	if got := codesOf(s); slices.Contains(got, PoolSelectsNoPods) {
		t.Errorf("%v", got)
	}
}

// Files over a live snapshot: an object of the same kind, namespace and name replaces the live
// one, with its file as the source; others are added; the listing stays live.
func TestOverlay(t *testing.T) {
	live := &Snapshot{Objects: []*unstructured.Unstructured{poolObj("llm"), deployment("llm", "vllm", map[string]any{"app": "vllm"}, 1)},
		Live: true, Namespaces: []string{"llm"}, Unlisted: map[schema.GroupKind]string{gkPod: "forbidden"}}
	fixed := poolObj("")
	_ = unstructured.SetNestedField(fixed.Object, "other", "spec", "endpointPickerRef", "name")
	route := routeTo("", "llm", false)
	s := Overlay(live, []manifest.Object{{Unstructured: fixed, Source: manifest.Source{File: "p.yaml", Doc: 1}},
		{Unstructured: route, Source: manifest.Source{File: "p.yaml", Doc: 2}}}, "llm")
	if len(s.Objects) != 3 || !s.Live || s.Unlisted[gkPod] == "" || !slices.Equal(s.Namespaces, []string{"llm"}) {
		t.Fatalf("%d objects, live %v, unlisted %v", len(s.Objects), s.Live, s.Unlisted)
	}
	pools := s.OfKind(gkPool)
	if name, _, _ := unstructured.NestedString(pools[0].Object, "spec", "endpointPickerRef", "name"); len(pools) != 1 || name != "other" ||
		s.Sources[pools[0]] != "p.yaml, document 1" {
		t.Errorf("the file's pool should replace the live one: %v %q", pools, s.Sources[pools[0]])
	}
	if r := s.OfKind(gkHTTPRoute); len(r) != 1 || r[0].GetNamespace() != "llm" {
		t.Errorf("route %v", r)
	}
	if fixed.GetNamespace() != "" || live.Objects[0].GetNamespace() != "llm" {
		t.Error("Overlay changed its inputs")
	}
}
