package diagnose

// InferencePools, their pods and their endpoint picker: what pool.go and poolstatus.go find.
const (
	// PoolSelectsNoPods: the pool's selector matches no pod (or no pod template in the files).
	PoolSelectsNoPods Code = "IGW1101"
	// PoolTargetPortNotExposed: selected pods declare container ports, but not a target port.
	PoolTargetPortNotExposed Code = "IGW1102"
	// PoolMixedModelServers: the pool's pods run different engines or models.
	PoolMixedModelServers Code = "IGW1103"
	// PoolPickerServiceMissing: endpointPickerRef names a Service that does not exist.
	PoolPickerServiceMissing Code = "IGW1104"
	// PoolPickerPortMissing: the picker Service has no port endpointPickerRef.port names.
	PoolPickerPortMissing Code = "IGW1105"
	// PoolPickerExternalName: endpointPickerRef names an ExternalName Service.
	PoolPickerExternalName Code = "IGW1106"
	// PoolPickerNoEndpoints: the picker Service has no ready endpoint (or selects no pod).
	PoolPickerNoEndpoints Code = "IGW1107"
	// PoolFailOpenOneReplica: failureMode FailOpen with a single picker replica.
	PoolFailOpenOneReplica Code = "IGW1108"
	// PoolUnused: no HTTPRoute sends traffic to the pool.
	PoolUnused Code = "IGW1109"
	// PoolNoParents: a route to the pool is accepted, but the pool's status.parents is empty.
	PoolNoParents Code = "IGW1110"
	// PoolNotAccepted: a parent Gateway reports the pool Accepted=False.
	PoolNotAccepted Code = "IGW1111"
	// PoolRefsNotResolved: a parent Gateway reports the pool ResolvedRefs=False.
	PoolRefsNotResolved Code = "IGW1112"
	// PoolNoPickerRef: a v1 pool without endpointPickerRef.
	PoolNoPickerRef Code = "IGW1113"
	// PoolPickerFlagsMismatch: the picker's --pool-name/--pool-namespace/--pool-group name
	// another pool.
	PoolPickerFlagsMismatch Code = "IGW1114"
	// PoolPickerUnavailable: the picker's Deployment has no available replica.
	PoolPickerUnavailable Code = "IGW1115"
	// PoolPickerTLSNoDestinationRule: on Istio, a picker serving TLS without a DestinationRule
	// that makes the gateway originate TLS.
	PoolPickerTLSNoDestinationRule Code = "IGW1116"
	// PoolSelectsPicker: the pool's selector also selects the endpoint picker's own pods.
	PoolSelectsPicker Code = "IGW1117"
	// PoolPodsNotReady: the pool selects pods, and none of them is Ready.
	PoolPodsNotReady Code = "IGW1118"
)
