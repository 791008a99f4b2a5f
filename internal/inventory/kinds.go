package inventory

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/diagnose"
)

// where says which namespaces a kind is listed in.
type where int

const (
	// cluster: a cluster-scoped kind.
	cluster where = iota
	// everywhere: all namespaces whatever the scope, since objects anywhere refer to these. With
	// -n, a user who may not list them everywhere gets the scope's namespace and a note.
	everywhere
	// scoped: the namespaces asked for.
	scoped
)

// kind is one kind the analyzers read, and how to list it.
type kind struct {
	gk       schema.GroupKind
	resource string
	where    where
	// selectors are label selectors, one LIST each; none lists every object.
	selectors []string
	// keep says which listed objects go into the snapshot; nil keeps all.
	keep func(u *unstructured.Unstructured, s Scope) bool
	// slim drops what no analyzer reads, to hold less.
	slim func(u *unstructured.Unstructured)
	// outsideOptional says a kind listed everywhere is complete enough in the scope's namespace:
	// no check claims its objects elsewhere are missing, so failing to list them there is a
	// note, not an Unlisted kind.
	outsideOptional bool
}

func gk(group, k string) schema.GroupKind { return schema.GroupKind{Group: group, Kind: k} }

// kinds are every kind diagnose and verify read: the request's path from Gateway to pod, the
// endpoint picker, objectives, body routing and its glue, and the versions of it all.
func kinds() []kind {
	return []kind{
		{gk: gk("apiextensions.k8s.io", "CustomResourceDefinition"), resource: "customresourcedefinitions", where: cluster, keep: ourCRD, slim: dropSchemas},
		{gk: gk(gatewayGroup, "GatewayClass"), resource: "gatewayclasses", where: cluster},
		{gk: gk("", "Namespace"), resource: "namespaces", where: cluster},
		{gk: gk(gatewayGroup, "Gateway"), resource: "gateways", where: everywhere},
		{gk: gk(gatewayGroup, "ReferenceGrant"), resource: "referencegrants", where: everywhere},
		// Deployments in every namespace for the providers' controllers and body routers, which run
		// in their own namespaces (istio-system, agentgateway-system, nginx-gateway, ...).
		{gk: gk("apps", "Deployment"), resource: "deployments", where: everywhere, keep: inScopeOrClusterWide, outsideOptional: true},
		{gk: gk(gatewayGroup, "HTTPRoute"), resource: "httproutes", where: scoped},
		{gk: gk(gatewayGroup, "GRPCRoute"), resource: "grpcroutes", where: scoped},
		{gk: gk("inference.networking.k8s.io", "InferencePool"), resource: "inferencepools", where: scoped},
		{gk: gk("inference.networking.x-k8s.io", "InferencePool"), resource: "inferencepools", where: scoped},
		{gk: gk("inference.networking.x-k8s.io", "InferenceObjective"), resource: "inferenceobjectives", where: scoped},
		{gk: gk("llm-d.ai", "InferenceObjective"), resource: "inferenceobjectives", where: scoped},
		{gk: gk("", "Service"), resource: "services", where: scoped},
		{gk: gk("discovery.k8s.io", "EndpointSlice"), resource: "endpointslices", where: scoped},
		{gk: gk("", "Pod"), resource: "pods", where: scoped},
		{gk: gk("apps", "StatefulSet"), resource: "statefulsets", where: scoped},
		{gk: gk("leaderworkerset.x-k8s.io", "LeaderWorkerSet"), resource: "leaderworkersets", where: scoped},
		// Only bbr's adapter mappings: a label selector each, rather than every ConfigMap.
		{gk: gk("", "ConfigMap"), resource: "configmaps", where: scoped, selectors: adapterSelectors()},
		{gk: gk("networking.istio.io", "EnvoyFilter"), resource: "envoyfilters", where: scoped},
		{gk: gk("networking.istio.io", "DestinationRule"), resource: "destinationrules", where: scoped},
		{gk: gk("networking.gke.io", "GCPRoutingExtension"), resource: "gcproutingextensions", where: scoped},
		{gk: gk("agentgateway.dev", "AgentgatewayPolicy"), resource: "agentgatewaypolicies", where: scoped},
	}
}

const gatewayGroup = "gateway.networking.k8s.io"

// ourGroups are the API groups whose CRDs the analyzers read (versions, channels, objectives).
var ourGroups = []string{"inference.networking.k8s.io", "inference.networking.x-k8s.io", "llm-d.ai", gatewayGroup, "gateway.networking.x-k8s.io"}

func ourCRD(u *unstructured.Unstructured, _ Scope) bool {
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	return slices.Contains(ourGroups, group)
}

// dropSchemas removes the CRD's schemas (most of its bytes); the analyzers read its names,
// annotations and status.
func dropSchemas(u *unstructured.Unstructured) {
	versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	for _, v := range versions {
		if m, ok := v.(map[string]any); ok {
			delete(m, "schema")
		}
	}
	_ = unstructured.SetNestedSlice(u.Object, versions, "spec", "versions")
}

func inScopeOrClusterWide(u *unstructured.Unstructured, s Scope) bool {
	return s.All || u.GetNamespace() == s.Namespace || diagnose.ClusterWide(u)
}

func adapterSelectors() []string {
	var out []string
	for _, l := range adapters.Labels {
		out = append(out, l+"=true")
	}
	return out
}
