package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InferencePool is a group of model server Pods that share compute and an Endpoint Picker, usable
// as an HTTPRoute backend.
//
// +kubebuilder:object:root=true
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=https://github.com/kubernetes-sigs/gateway-api-inference-extension/pull/1173"
// +kubebuilder:resource:shortName=infpool
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
type InferencePool struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the pool.
	//
	// +required
	Spec InferencePoolSpec `json:"spec,omitzero"`

	// Status is the state of the pool as its parents (Gateways) see it.
	//
	// +optional
	Status InferencePoolStatus `json:"status,omitempty"`
}

// InferencePoolList is a list of InferencePools.
//
// +kubebuilder:object:root=true
type InferencePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferencePool `json:"items"`
}

// InferencePoolSpec is the desired state of an InferencePool.
type InferencePoolSpec struct {
	// Selector picks the member Pods by label, in the pool's own namespace only.
	//
	// +required
	Selector LabelSelector `json:"selector,omitzero"`

	// TargetPorts are the ports of the member Pods that serve inference. Each port of each Pod is
	// a separate endpoint (podIP:port) for the Endpoint Picker.
	//
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:XValidation:message="port number must be unique",rule="self.all(p1, self.exists_one(p2, p1.number==p2.number))"
	// +listType=atomic
	// +required
	TargetPorts []Port `json:"targetPorts,omitempty"`

	// AppProtocol is the protocol the target ports speak: "http" (HTTP/1.1, the default) or
	// "kubernetes.io/h2c" (HTTP/2 without TLS, e.g. for gRPC model servers).
	//
	// +kubebuilder:validation:Enum=http;"kubernetes.io/h2c"
	// +kubebuilder:default="http"
	// +optional
	AppProtocol AppProtocol `json:"appProtocol,omitempty"`

	// EndpointPickerRef names the Endpoint Picker that chooses a Pod for each request. Optional in
	// the API, but most gateways still require it (they report EndpointPickerRefMissing).
	//
	// +optional
	EndpointPickerRef *EndpointPickerRef `json:"endpointPickerRef,omitempty"`
}

// Port is a network port of the pool's Pods.
type Port struct {
	// Number is the port number, 1 to 65535.
	//
	// +required
	Number PortNumber `json:"number,omitempty"`
}

// AppProtocol is the application protocol of a pool's target ports.
type AppProtocol string

const (
	// AppProtocolHTTP is HTTP/1.1, the default.
	AppProtocolHTTP AppProtocol = "http"
	// AppProtocolH2C is HTTP/2 over cleartext.
	AppProtocolH2C AppProtocol = "kubernetes.io/h2c"
)

// EndpointPickerRef refers to an Endpoint Picker extension and says how to reach it.
//
// +kubebuilder:validation:XValidation:rule="self.kind != 'Service' || has(self.port)",message="port is required when kind is 'Service' or unspecified (defaults to 'Service')"
type EndpointPickerRef struct {
	// Group is the API group of the referent; "" (the default) is the core group.
	//
	// +optional
	// +kubebuilder:default=""
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the referent, "Service" by default. ExternalName Services must not be
	// supported by implementations.
	//
	// +optional
	// +kubebuilder:default=Service
	Kind Kind `json:"kind,omitempty"`

	// Name is the name of the referent, in the pool's namespace.
	//
	// +required
	Name ObjectName `json:"name,omitempty"`

	// Port is the port of the referent. Required for a Service, where it is the Service's port
	// (not its target port).
	//
	// +optional
	Port *Port `json:"port,omitempty"`

	// FailureMode is what the gateway does when the Endpoint Picker does not answer: FailClose
	// (the default) drops the request, FailOpen sends it to an endpoint the gateway picks.
	//
	// +optional
	// +kubebuilder:default="FailClose"
	FailureMode EndpointPickerFailureMode `json:"failureMode,omitempty"`
}

// EndpointPickerFailureMode is what a gateway does when the Endpoint Picker fails.
//
// +kubebuilder:validation:Enum=FailOpen;FailClose
type EndpointPickerFailureMode string

const (
	// EndpointPickerFailOpen lets the gateway pick an endpoint itself.
	EndpointPickerFailOpen EndpointPickerFailureMode = "FailOpen"
	// EndpointPickerFailClose drops the request.
	EndpointPickerFailClose EndpointPickerFailureMode = "FailClose"
)

// InferencePoolStatus is the observed state of an InferencePool.
type InferencePoolStatus struct {
	// Parents holds one entry per parent (usually a Gateway) that uses the pool, written by the
	// controllers of those parents. Empty means no parent uses the pool.
	//
	// +kubebuilder:validation:MaxItems=32
	// +optional
	// +listType=atomic
	Parents []ParentStatus `json:"parents,omitempty"`
}

// ParentStatus is the state of an InferencePool as one parent sees it.
type ParentStatus struct {
	// Conditions are the parent's conditions on the pool, e.g. Accepted and ResolvedRefs.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ParentRef identifies the parent.
	//
	// +required
	ParentRef ParentReference `json:"parentRef,omitzero"`

	// ControllerName is the controller that wrote this entry, as DOMAIN/PATH (for a Gateway, its
	// GatewayClass's controllerName).
	//
	// +optional
	ControllerName ControllerName `json:"controllerName,omitempty"`
}

// ControllerName is a domain-prefixed path naming a controller, e.g. "example.com/gateway".
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$`
type ControllerName string

// InferencePoolConditionType is the type of an InferencePool status condition.
type InferencePoolConditionType string

// InferencePoolReason is the reason of an InferencePool status condition.
type InferencePoolReason string

// The Accepted condition: did the parent take the pool as a backend?
const (
	// InferencePoolConditionAccepted is True when the parent accepts the pool as a backend.
	InferencePoolConditionAccepted InferencePoolConditionType = "Accepted"

	// InferencePoolReasonAccepted goes with Accepted=True.
	InferencePoolReasonAccepted InferencePoolReason = "Accepted"
	// InferencePoolReasonNotSupportedByParent goes with Accepted=False: the parent cannot use
	// InferencePools as backends.
	InferencePoolReasonNotSupportedByParent InferencePoolReason = "NotSupportedByParent"
	// InferencePoolReasonHTTPRouteNotAccepted goes with Accepted=False: the HTTPRoute that
	// refers to the pool was rejected; its own status says why.
	InferencePoolReasonHTTPRouteNotAccepted InferencePoolReason = "HTTPRouteNotAccepted"
	// InferencePoolReasonEndpointPickerRefMissing goes with Accepted=False: endpointPickerRef
	// is unset and the implementation needs it.
	InferencePoolReasonEndpointPickerRefMissing InferencePoolReason = "EndpointPickerRefMissing"
	// InferencePoolReasonPending goes with Accepted=Unknown: not reconciled yet.
	InferencePoolReasonPending InferencePoolReason = "Pending"
)

// The ResolvedRefs condition: could the parent resolve the pool's references?
const (
	// InferencePoolConditionResolvedRefs is True when every reference of the pool resolved.
	InferencePoolConditionResolvedRefs InferencePoolConditionType = "ResolvedRefs"

	// InferencePoolReasonResolvedRefs goes with ResolvedRefs=True.
	InferencePoolReasonResolvedRefs InferencePoolReason = "ResolvedRefs"
	// InferencePoolReasonInvalidExtensionRef goes with ResolvedRefs=False: the Endpoint Picker
	// reference has an unsupported group or kind, or its referent does not exist.
	InferencePoolReasonInvalidExtensionRef InferencePoolReason = "InvalidExtensionRef"
)

// The Exported condition: was the pool exported to other clusters?
const (
	// InferencePoolConditionExported is True when the pool was exported as requested.
	InferencePoolConditionExported InferencePoolConditionType = "Exported"

	// InferencePoolReasonExported goes with Exported=True.
	InferencePoolReasonExported InferencePoolReason = "Exported"
	// InferencePoolReasonNotRequested goes with Exported=False: no export was asked for.
	InferencePoolReasonNotRequested InferencePoolReason = "NotRequested"
	// InferencePoolReasonNotSupported goes with Exported=False: export was asked for but the
	// implementation cannot do it.
	InferencePoolReasonNotSupported InferencePoolReason = "NotSupported"
)

// ExportAnnotation, set to ExportClusterSet on an InferencePool, asks for it to be exported to
// the other clusters of its ClusterSet.
const (
	ExportAnnotation = "inference.networking.x-k8s.io/export"
	ExportClusterSet = "ClusterSet"
)

// ParentReference identifies a parent of an InferencePool, usually a Gateway.
type ParentReference struct {
	// Group is the API group of the parent, "gateway.networking.k8s.io" by default.
	//
	// +optional
	// +kubebuilder:default="gateway.networking.k8s.io"
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the parent, "Gateway" by default.
	//
	// +optional
	// +kubebuilder:default=Gateway
	Kind Kind `json:"kind,omitempty"`

	// Name is the name of the parent.
	//
	// +required
	Name ObjectName `json:"name,omitempty"`

	// Namespace is the namespace of the parent, the pool's own when unset. A parent in another
	// namespace needs a ReferenceGrant there.
	//
	// +optional
	Namespace Namespace `json:"namespace,omitempty"`
}
