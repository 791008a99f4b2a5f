package diagnose

// Code identifies a kind of finding. A code keeps its meaning once released, so scripts and
// documentation can rely on it; new problems get new codes. The hundreds group them: 01 gateway
// and provider readiness, 02 the CRDs igwctl installs, 03 Helm charts and releases.
type Code string

// Gateway and provider readiness.
const (
	// GatewayAPINotServed: the cluster does not serve the Gateway API resources a gateway needs.
	GatewayAPINotServed Code = "IGW0101"
	// GatewayClassMissing: the GatewayClass a Gateway would use does not exist.
	GatewayClassMissing Code = "IGW0102"
	// InferencePoolNotServed: the cluster does not serve InferencePool (inference.networking.k8s.io/v1).
	InferencePoolNotServed Code = "IGW0103"
)

// The CRDs igwctl installs.
const (
	// CRDDowngrade: the installed CRD's bundle version is newer than the one to apply.
	CRDDowngrade Code = "IGW0201"
	// CRDVersionUnknown: the installed CRD's bundle version cannot be compared.
	CRDVersionUnknown Code = "IGW0202"
	// GatewayAPIChannelSwitch: applying the standard channel over an experimental install.
	GatewayAPIChannelSwitch Code = "IGW0203"
	// CRDManagedByHelm: a Helm release owns the CRD.
	CRDManagedByHelm Code = "IGW0204"
	// CRDManagedByOther: another field manager (kubectl, a provider) owns the CRD's spec.
	CRDManagedByOther Code = "IGW0205"
	// CRDObjectsExist: objects of the CRD still exist, and deleting it deletes them.
	CRDObjectsExist Code = "IGW0206"
)

// Helm charts and releases.
const (
	ChartNotFound          Code = "IGW0301" // no chart at the reference, path or repository
	ChartVersionNotFound   Code = "IGW0302" // the chart exists, not in the version asked for
	ChartSourceUnreachable Code = "IGW0303" // the registry or repository cannot be reached or verified
	ChartAccessDenied      Code = "IGW0304" // the registry or repository refused the credentials
	BadValues              Code = "IGW0305" // values files, --set or the chart's schema
	Forbidden              Code = "IGW0306" // RBAC denied an operation the install needs
	KindNotServed          Code = "IGW0307" // the chart renders a kind the cluster does not serve
	ReleaseNotFound        Code = "IGW0308" // no such Helm release
	ReleaseBusy            Code = "IGW0309" // the release is pending from an earlier operation
	ClusterUnreachable     Code = "IGW0310" // the API server cannot be reached
	NamespaceMissing       Code = "IGW0311" // the release namespace does not exist
	ObjectConflict         Code = "IGW0312" // an object exists outside the release
)
