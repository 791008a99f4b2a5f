// Package install installs and uninstalls the CRDs igwctl ships (inference extension and Gateway
// API): pick the manifests (embedded, or fetched from an upstream release), check that applying
// them is safe, apply them server-side, and wait for the result.
package install

import (
	"fmt"

	"github.com/igw-dev/igw/config"
)

// GatewayAPI is the Gateway API channel to install alongside the inference CRDs.
type GatewayAPI string

// The values of --gateway-api.
const (
	GatewayAPIStandard     GatewayAPI = "standard"
	GatewayAPIExperimental GatewayAPI = "experimental"
	GatewayAPINone         GatewayAPI = "none"
)

// GatewayAPIs are the valid channels, as --gateway-api lists them.
func GatewayAPIs() []GatewayAPI {
	return []GatewayAPI{GatewayAPIStandard, GatewayAPIExperimental, GatewayAPINone}
}

// ObjectiveGroup picks the API group(s) of the InferenceObjective CRD.
type ObjectiveGroup string

// The values of --objective-group.
const (
	// ObjectiveLLMD is llm-d.ai/v1alpha2, the group current endpoint pickers (llm-d-router) read.
	ObjectiveLLMD ObjectiveGroup = "llm-d"
	// ObjectiveXK8s is inference.networking.x-k8s.io/v1alpha2, read by EPPs of GIE v1.0-v1.5.
	ObjectiveXK8s ObjectiveGroup = "x-k8s"
	ObjectiveBoth ObjectiveGroup = "both"
	ObjectiveNone ObjectiveGroup = "none"
)

// ObjectiveGroups are the valid groups, as --objective-group lists them.
func ObjectiveGroups() []ObjectiveGroup {
	return []ObjectiveGroup{ObjectiveLLMD, ObjectiveXK8s, ObjectiveBoth, ObjectiveNone}
}

// Selection is which CRDs to install or uninstall.
type Selection struct {
	GatewayAPI GatewayAPI
	Objective  ObjectiveGroup
	// ObjectiveFromRelease, with FromRelease, takes whichever InferenceObjective CRDs the release
	// ships instead of Objective: set when --objective-group was not given, because a release
	// older than v1.6.0 ships x-k8s and none ships llm-d.
	ObjectiveFromRelease bool
	// InferenceVersion is the release of the inference CRDs, e.g. "v1.6.0".
	InferenceVersion string
	// FromRelease fetches the manifests of InferenceVersion (and of the embedded Gateway API
	// version) from GitHub instead of using the embedded ones.
	FromRelease bool
}

// DefaultSelection is what install and uninstall act on without flags, so
// that the same flags undo an install.
func DefaultSelection(bundleVersion string) Selection {
	return Selection{GatewayAPI: GatewayAPIStandard, Objective: ObjectiveLLMD, InferenceVersion: bundleVersion}
}

// Validate checks what the flag types cannot: the version's syntax and that a version other than
// the embedded one is fetched.
func (s Selection) Validate(embedded string) error {
	if err := ValidateVersion(s.InferenceVersion); err != nil {
		return fmt.Errorf("--inference-version: %w", err)
	}
	if !s.FromRelease && s.InferenceVersion != embedded {
		return fmt.Errorf("--inference-version %s needs --from-release: the CRDs built into igwctl are %s, "+
			"and other versions are fetched from the upstream release only when asked to", s.InferenceVersion, embedded)
	}
	return nil
}

// Sets returns the embedded manifest sets the selection names, Gateway API first (the inference
// CRDs are useless without it, so it is installed first and removed last).
func (s Selection) Sets() []config.Set {
	var sets []config.Set
	switch s.GatewayAPI {
	case GatewayAPIStandard:
		sets = append(sets, config.GatewayAPIStandard)
	case GatewayAPIExperimental:
		sets = append(sets, config.GatewayAPIExperimental)
	}
	sets = append(sets, config.InferenceV1)
	return append(sets, s.objectiveSets()...)
}

func (s Selection) objectiveSets() []config.Set {
	switch s.Objective {
	case ObjectiveLLMD:
		return []config.Set{config.LLMDObjective}
	case ObjectiveXK8s:
		return []config.Set{config.XObjective}
	case ObjectiveBoth:
		return []config.Set{config.LLMDObjective, config.XObjective}
	}
	return nil
}
