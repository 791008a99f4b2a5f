package standin

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// readable are the resources igwctl reads, by API group.
var readable = map[string][]string{
	"":                              {"services", "configmaps", "pods", "pods/proxy", "namespaces"},
	"apps":                          {"deployments", "statefulsets"},
	"discovery.k8s.io":              {"endpointslices"},
	"apiextensions.k8s.io":          {"customresourcedefinitions"},
	"gateway.networking.k8s.io":     {"gateways", "gatewayclasses", "httproutes", "grpcroutes", "referencegrants"},
	"inference.networking.k8s.io":   {"inferencepools"},
	"inference.networking.x-k8s.io": {"inferencepools", "inferenceobjectives"},
	"llm-d.ai":                      {"inferenceobjectives"},
	"networking.istio.io":           {"envoyfilters", "destinationrules"},
	"networking.gke.io":             {"gcproutingextensions"},
	"agentgateway.dev":              {"agentgatewaypolicies"},
	"leaderworkerset.x-k8s.io":      {"leaderworkersets"},
}

// Reader is the RBAC that lets user get and list what igwctl reads (and get pods/proxy), except
// the resources in cannot: in every namespace when ns is "", else in ns only, the cluster-scoped
// resources aside.
func Reader(user, ns string, cannot ...string) []*unstructured.Unstructured {
	var rules []any
	for group, resources := range readable {
		var allowed []any
		for _, r := range resources {
			if !slices.Contains(cannot, r) {
				allowed = append(allowed, r)
			}
		}
		if len(allowed) > 0 {
			rules = append(rules, map[string]any{"apiGroups": []any{group}, "resources": allowed, "verbs": []any{"get", "list"}})
		}
	}
	name := "igwctl-reader-" + user
	subjects := []any{map[string]any{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}}
	role := object("rbac.authorization.k8s.io/v1", "ClusterRole", "", name)
	role.Object["rules"] = rules
	binding := object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name)
	if ns != "" {
		binding = object("rbac.authorization.k8s.io/v1", "RoleBinding", ns, name)
	}
	binding.Object["subjects"] = subjects
	binding.Object["roleRef"] = map[string]any{"kind": "ClusterRole", "name": name, "apiGroup": "rbac.authorization.k8s.io"}
	out := []*unstructured.Unstructured{role, binding}
	if ns != "" {
		// A RoleBinding grants nothing cluster-scoped: those come from a ClusterRoleBinding.
		cluster := object("rbac.authorization.k8s.io/v1", "ClusterRole", "", name+"-cluster")
		cluster.Object["rules"] = []any{
			map[string]any{"apiGroups": []any{""}, "resources": []any{"namespaces"}, "verbs": []any{"get", "list"}},
			map[string]any{"apiGroups": []any{"apiextensions.k8s.io"}, "resources": []any{"customresourcedefinitions"}, "verbs": []any{"get", "list"}},
			map[string]any{"apiGroups": []any{"gateway.networking.k8s.io"}, "resources": []any{"gatewayclasses", "gateways", "referencegrants"}, "verbs": []any{"get", "list"}},
		}
		clusterBinding := object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name+"-cluster")
		clusterBinding.Object["subjects"] = subjects
		clusterBinding.Object["roleRef"] = map[string]any{"kind": "ClusterRole", "name": name + "-cluster", "apiGroup": "rbac.authorization.k8s.io"}
		out = append(out, cluster, clusterBinding)
	}
	return out
}
