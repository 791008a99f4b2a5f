package diagnose

// CRD versions, Gateway API channels and each provider's inference switch: what version.go finds.
const (
	// CRDBundleOlderThanProvider: the InferencePool CRD's bundle version is older than the one
	// the provider's version was tested with.
	CRDBundleOlderThanProvider Code = "IGW1401"
	// CRDBundleMixed: the inference CRDs come from different releases.
	CRDBundleMixed Code = "IGW1402"
	// GatewayAPIChannelMismatch: the Gateway API CRDs' channel is not the one the provider needs.
	GatewayAPIChannelMismatch Code = "IGW1403"
	// IstioInferenceOff: istiod runs without ENABLE_GATEWAY_API_INFERENCE_EXTENSION.
	IstioInferenceOff Code = "IGW1404"
	// AgentgatewayInferenceOff: the agentgateway controller runs without inference support.
	AgentgatewayInferenceOff Code = "IGW1405"
	// NGINXInferenceOff: NGINX Gateway Fabric runs without its inference extension flag.
	NGINXInferenceOff Code = "IGW1406"
	// LegacyAlphaPool: an InferencePool in the removed alpha API.
	LegacyAlphaPool Code = "IGW1407"
	// ExperimentalKindOnStandard: an object of an experimental-only Gateway API kind while the
	// CRDs are the standard channel.
	ExperimentalKindOnStandard Code = "IGW1408"
)

// GKE and the experimental channel: what version.go finds.
const (
	// GatewayAPIExperimentalOnGKE: GKE Gateways with the experimental channel's CRDs.
	GatewayAPIExperimentalOnGKE Code = "IGW1409"
)
