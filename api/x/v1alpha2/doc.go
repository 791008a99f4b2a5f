// Package v1alpha2 is the experimental inference.networking.x-k8s.io/v1alpha2 API: InferenceObjective
// (last shipped by the Gateway API Inference Extension in v1.5.0) and the legacy alpha InferencePool
// (removed in v1.5.0), kept so old clusters and old manifests can still be read. New pools are v1
// (package api/v1; see api/convert); new objectives are llm-d.ai (package api/llmd/v1alpha2).
//
// +kubebuilder:object:generate=true
// +groupName=inference.networking.x-k8s.io
package v1alpha2
