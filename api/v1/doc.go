// Package v1 is the InferencePool API, inference.networking.k8s.io/v1, with the wire format and
// validation of the Gateway API Inference Extension release named by api.BundleVersion.
//
// +kubebuilder:object:generate=true
// +groupName=inference.networking.k8s.io
package v1
