// Package conformance runs the checks of the Gateway API Inference Extension's "Gateway"
// conformance profile against a live cluster, from Go objects igwctl builds itself: the base the
// upstream suite sets up, each check's routes and pools, the waits and the traffic, and a
// ConformanceReport in the shape upstream projects submit. Check names, assertions and timeouts
// follow the upstream suite so reports compare.
package conformance

// The names the upstream suite gives its base objects; checks and reports refer to them, and a
// person comparing a run with upstream's finds the same objects in the cluster.
const (
	InfraNamespace   = "inference-conformance-infra"
	AppNamespace     = "inference-conformance-app-backend"
	PrimaryGateway   = "conformance-primary"
	SecondaryGateway = "conformance-secondary"
	// SecondaryHostname is the only host the secondary Gateway's listener takes.
	SecondaryHostname = "secondary.example.com"

	PrimaryPool     = "primary-inference-pool"
	SecondaryPool   = "secondary-inference-pool"
	AppProtoHTTP    = "appprotocol-http-inference-pool"
	AppProtoH2C     = "appprotocol-h2c-inference-pool"
	DataParallelism = "dp-inference-pool"

	PrimaryPodPrefix   = "primary-inference-model-server-deployment"
	SecondaryPodPrefix = "secondary-inference-model-server-deployment"
	appProtoPodPrefix  = "appprotocol-inference-model-server-deployment"
	dpPodPrefix        = "dp-inference-model-server-deployment"
)

// The test picker's contract (upstream's lwepp): the request header that names the endpoints it
// may pick, and the response header through which it reports what the gateway says it served.
const (
	SelectionHeader      = "test-epp-endpoint-selection"
	ServedEndpointHeader = "x-conformance-test-served-endpoint"
)

// Default images: those of the upstream base manifests; --image-echo and --image-picker take
// mirrors.
const (
	DefaultEchoImage   = "gcr.io/k8s-staging-gateway-api/echo-basic:v20251106-v1.3.0-263-g47c3435c"
	DefaultPickerImage = "us-central1-docker.pkg.dev/k8s-staging-images/gateway-api-inference-extension/lwepp:main"
)

// The annotations the CRD bundles carry their version and channel in.
const (
	inferenceBundleVersion = "inference.networking.k8s.io/bundle-version"
	gatewayBundleVersion   = "gateway.networking.k8s.io/bundle-version"
	gatewayChannel         = "gateway.networking.k8s.io/channel"
)

// ProfileName is the one profile the upstream suite defines.
const ProfileName = "Gateway"

const (
	poolGroup   = "inference.networking.k8s.io"
	poolVersion = "v1"
	gwGroup     = "gateway.networking.k8s.io"
)
