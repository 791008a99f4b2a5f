package diagnose

// HTTPRoutes and their backendRefs to InferencePools: what the analyzers in route.go find.
const (
	// RoutePoolMissing: a backendRef names an InferencePool that does not exist.
	RoutePoolMissing Code = "IGW1001"
	// RoutePoolGroupMismatch: a backendRef's group is the other API version's (alpha
	// inference.networking.x-k8s.io for a v1 pool, or the reverse).
	RoutePoolGroupMismatch Code = "IGW1002"
	// RoutePoolNoReferenceGrant: a backendRef to a pool in another namespace that no
	// ReferenceGrant allows.
	RoutePoolNoReferenceGrant Code = "IGW1003"
	// RoutePoolPort: a port on an InferencePool backendRef, which the pool's targetPorts override.
	RoutePoolPort Code = "IGW1004"
	// RouteWeightsAllZero: every backendRef of a rule has weight 0.
	RouteWeightsAllZero Code = "IGW1005"
	// RouteStaleBackendNotFound: the route's status still says BackendNotFound for pools that
	// exist now.
	RouteStaleBackendNotFound Code = "IGW1006"
	// RouteNotAccepted: a parent Gateway did not accept the route.
	RouteNotAccepted Code = "IGW1007"
	// RouteGatewayMissing: a parentRef names a Gateway that does not exist.
	RouteGatewayMissing Code = "IGW1008"
	// RoutePoolKindUnsupported: the gateway answered InvalidKind for an InferencePool backendRef.
	RoutePoolKindUnsupported Code = "IGW1009"
	// RoutePoolAsService: a backendRef without group and kind names a pool, so it means a Service.
	RoutePoolAsService Code = "IGW1010"
	// RouteNotAllowedByListener: no listener of the parent Gateway admits routes from the
	// route's namespace.
	RouteNotAllowedByListener Code = "IGW1011"
)
