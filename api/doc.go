// Package api holds what the typed API packages below it share: the release of the Gateway API
// Inference Extension whose CRDs they reproduce.
//
//   - v1: InferencePool, inference.networking.k8s.io/v1 (GA).
//   - x/v1alpha2: InferenceObjective and the legacy InferencePool, inference.networking.x-k8s.io/v1alpha2.
//   - llmd/v1alpha2: InferenceObjective as llm-d ships it, llm-d.ai/v1alpha2.
//   - convert: reading the legacy InferencePool as a v1 one.
//
// The CRDs generated from these types live in config/crd (hack/generate.sh writes them).
package api

// BundleVersion is the upstream release the CRDs in config/crd reproduce. hack/generate.sh writes
// it into every CRD's BundleVersionAnnotation; change it here only.
const BundleVersion = "v1.6.0"

// BundleVersionAnnotation is the CRD annotation upstream uses to tell which release of the
// inference extension installed a CRD (its conformance suite refuses mixed versions).
const BundleVersionAnnotation = "inference.networking.k8s.io/bundle-version"
