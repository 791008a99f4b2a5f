package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InferenceObjective gives the requests that name it a priority within an InferencePool.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Inference Pool",type=string,JSONPath=`.spec.poolRef.name`
// +kubebuilder:printcolumn:name="Priority",type=string,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InferenceObjective struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InferenceObjectiveSpec   `json:"spec,omitempty"`
	Status InferenceObjectiveStatus `json:"status,omitempty"`
}

// InferenceObjectiveList is a list of InferenceObjectives.
//
// +kubebuilder:object:root=true
type InferenceObjectiveList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferenceObjective `json:"items"`
}

// InferenceObjectiveSpec is the desired state of an InferenceObjective, owned by whoever runs the
// workload (not the platform admin who owns the pool).
type InferenceObjectiveSpec struct {
	// Priority orders requests of one pool when they must queue: higher is served first,
	// negative values are allowed, and an unset priority counts as 0. Requests of equal priority
	// share fairly.
	//
	// +optional
	Priority *int `json:"priority,omitempty"`

	// PoolRef is the InferencePool, in the same namespace, the objective applies to.
	//
	// +kubebuilder:validation:Required
	PoolRef PoolObjectReference `json:"poolRef"`
}

// PoolObjectReference identifies an InferencePool in the referrer's namespace.
type PoolObjectReference struct {
	// Group is the API group of the pool, "inference.networking.k8s.io" by default.
	//
	// +optional
	// +kubebuilder:default="inference.networking.k8s.io"
	Group Group `json:"group,omitempty"`

	// Kind is the kind of the pool, "InferencePool" by default.
	//
	// +optional
	// +kubebuilder:default="InferencePool"
	Kind Kind `json:"kind,omitempty"`

	// Name is the name of the pool.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`
}

// InferenceObjectiveStatus is the observed state of an InferenceObjective.
type InferenceObjectiveStatus struct {
	// Conditions describe the objective; the known type is Accepted.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:default={{type: "Ready", status: "Unknown", reason:"Pending", message:"Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// InferenceObjectiveConditionType is the type of an InferenceObjective status condition.
type InferenceObjectiveConditionType string

// InferenceObjectiveConditionReason is the reason of an InferenceObjective status condition.
type InferenceObjectiveConditionReason string

const (
	// ObjectiveConditionAccepted says whether the objective was taken into account. Note that the
	// CRD's default status condition has type "Ready", as upstream's does.
	ObjectiveConditionAccepted InferenceObjectiveConditionType = "Accepted"

	// ObjectiveReasonAccepted goes with Accepted=True.
	ObjectiveReasonAccepted InferenceObjectiveConditionReason = "Accepted"
	// ObjectiveReasonPending means no controller has looked at the objective yet.
	ObjectiveReasonPending InferenceObjectiveConditionReason = "Pending"
)
