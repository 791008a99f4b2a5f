package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InferencePool is the legacy alpha form of the InferencePool, replaced by
// inference.networking.k8s.io/v1: a flat selector, one target port and an extensionRef.
//
// +kubebuilder:object:root=true
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=unapproved, experimental-only"
// +kubebuilder:resource:shortName=xinfpool
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
type InferencePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec InferencePoolSpec `json:"spec,omitempty"`

	// Status is the state of the pool as its Gateways see it. A new pool gets one placeholder
	// parent, kind Status name default, meaning no Gateway has taken it yet.
	//
	// +kubebuilder:default={parent: {{parentRef: {kind: "Status", name: "default"}, conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}}}
	Status InferencePoolStatus `json:"status,omitempty"`
}

// InferencePoolList is a list of alpha InferencePools.
//
// +kubebuilder:object:root=true
type InferencePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferencePool `json:"items"`
}

// InferencePoolSpec is the desired state of an alpha InferencePool.
type InferencePoolSpec struct {
	// Selector is the labels (all of them, equality only) of the member Pods, in the pool's
	// namespace: a Service-style map, not a LabelSelector.
	//
	// +kubebuilder:validation:Required
	Selector map[LabelKey]LabelValue `json:"selector"`

	// TargetPortNumber is the port of the member Pods that serves inference.
	//
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Required
	TargetPortNumber int32 `json:"targetPortNumber"`

	// ExtensionRef is the Endpoint Picker extension of the pool.
	//
	// +kubebuilder:validation:Required
	ExtensionRef *Extension `json:"extensionRef,omitempty"`
}

// Extension refers to an Endpoint Picker extension and says how to reach it.
type Extension struct {
	// Group is the API group of the referent; "" (the default) is the core group.
	//
	// +optional
	// +kubebuilder:default=""
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the referent, "Service" by default.
	//
	// +optional
	// +kubebuilder:default=Service
	Kind *Kind `json:"kind,omitempty"`

	// Name is the name of the referent.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`

	// PortNumber is the port of the referent; implementations assume 9002 for a Service when
	// it is unset.
	//
	// +optional
	PortNumber *PortNumber `json:"portNumber,omitempty"`

	// FailureMode is what the gateway does when the extension does not answer, FailClose by
	// default.
	//
	// +optional
	// +kubebuilder:default="FailClose"
	FailureMode *ExtensionFailureMode `json:"failureMode,omitempty"`
}

// ExtensionFailureMode is what a gateway does when the extension fails.
//
// +kubebuilder:validation:Enum=FailOpen;FailClose
type ExtensionFailureMode string

const (
	// FailOpen lets the gateway pick an endpoint itself.
	FailOpen ExtensionFailureMode = "FailOpen"
	// FailClose drops the request.
	FailClose ExtensionFailureMode = "FailClose"
)

// InferencePoolStatus is the observed state of an alpha InferencePool.
type InferencePoolStatus struct {
	// Parents holds one entry per Gateway that uses the pool (the JSON name is singular,
	// "parent", as upstream). An entry with kind Status and name default means none does.
	//
	// +kubebuilder:validation:MaxItems=32
	Parents []PoolStatus `json:"parent,omitempty"`
}

// PoolStatus is the state of an alpha InferencePool as one Gateway sees it.
type PoolStatus struct {
	// GatewayRef identifies the Gateway.
	GatewayRef ParentGatewayReference `json:"parentRef"`

	// Conditions are the Gateway's conditions on the pool, e.g. Accepted and ResolvedRefs.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:default={{type: "Accepted", status: "Unknown", reason:"Pending", message:"Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ParentGatewayReference identifies a parent of an alpha InferencePool, a Gateway by default.
type ParentGatewayReference struct {
	// Group is the API group of the parent, "gateway.networking.k8s.io" by default.
	//
	// +optional
	// +kubebuilder:default="gateway.networking.k8s.io"
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the parent, "Gateway" by default.
	//
	// +optional
	// +kubebuilder:default=Gateway
	Kind *Kind `json:"kind,omitempty"`

	// Name is the name of the parent.
	Name ObjectName `json:"name"`

	// Namespace is the namespace of the parent, the pool's own when unset.
	//
	// +optional
	Namespace *Namespace `json:"namespace,omitempty"`
}

// InferencePoolConditionType is the type of an alpha InferencePool status condition.
type InferencePoolConditionType string

// InferencePoolReason is the reason of an alpha InferencePool status condition.
type InferencePoolReason string

const (
	// InferencePoolConditionAccepted is True when the Gateway accepts the pool as a backend.
	InferencePoolConditionAccepted InferencePoolConditionType = "Accepted"
	// InferencePoolReasonAccepted goes with Accepted=True.
	InferencePoolReasonAccepted InferencePoolReason = "Accepted"
	// InferencePoolReasonNotSupportedByGateway goes with Accepted=False: the Gateway cannot use
	// InferencePools as backends.
	InferencePoolReasonNotSupportedByGateway InferencePoolReason = "NotSupportedByGateway"
	// InferencePoolReasonHTTPRouteNotAccepted goes with Accepted=False: the referring HTTPRoute
	// was rejected.
	InferencePoolReasonHTTPRouteNotAccepted InferencePoolReason = "HTTPRouteNotAccepted"
	// InferencePoolReasonPending goes with Accepted=Unknown: not reconciled yet.
	InferencePoolReasonPending InferencePoolReason = "Pending"

	// InferencePoolConditionResolvedRefs is True when every reference of the pool resolved.
	InferencePoolConditionResolvedRefs InferencePoolConditionType = "ResolvedRefs"
	// InferencePoolReasonResolvedRefs goes with ResolvedRefs=True.
	InferencePoolReasonResolvedRefs InferencePoolReason = "ResolvedRefs"
	// InferencePoolReasonInvalidExtensionRef goes with ResolvedRefs=False.
	InferencePoolReasonInvalidExtensionRef InferencePoolReason = "InvalidExtensionRef"
)

// DefaultParentKind and DefaultParentName make the placeholder parent a new alpha pool's status
// starts with.
const (
	DefaultParentKind = "Status"
	DefaultParentName = "default"
)
