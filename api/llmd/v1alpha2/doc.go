// Package v1alpha2 is InferenceObjective as llm-d ships it, llm-d.ai/v1alpha2: the same schema as
// inference.networking.x-k8s.io/v1alpha2 (api/x/v1alpha2), under llm-d's group. When both groups
// are installed, llm-d's Endpoint Picker reads only this one.
//
// +kubebuilder:object:generate=true
// +groupName=llm-d.ai
package v1alpha2
