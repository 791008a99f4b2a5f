package diagnose

// The body based router in front of a Gateway, its headers and its adapter ConfigMaps: what
// bbr.go finds.
const (
	// BBRNotInFront: routes match a header only a body router sets, and nothing runs one before
	// the Gateway's route matching.
	BBRNotInFront Code = "IGW1301"
	// BBRNoHook: routes match a body router's header on a gateway that cannot call one before
	// route matching (NGINX Gateway Fabric).
	BBRNoHook Code = "IGW1302"
	// BBRHeaderNotSet: routes match a model header that the deployed body router does not set.
	BBRHeaderNotSet Code = "IGW1303"
	// BBRDuplicateMatch: two routes on one Gateway match the same model header value.
	BBRDuplicateMatch Code = "IGW1304"
	// AdapterConfigMapInvalid: a ConfigMap with the adapter label that bbr cannot read.
	AdapterConfigMapInvalid Code = "IGW1305"
	// AdapterTwoBaseModels: one adapter name mapped to two base models.
	AdapterTwoBaseModels Code = "IGW1306"
	// BBRGlueServiceMissing: the glue that calls the body router names a Service that does not
	// exist.
	BBRGlueServiceMissing Code = "IGW1307"
	// BaseModelUnknown: a route matches a base model no adapter ConfigMap names.
	BaseModelUnknown Code = "IGW1308"
)
