// Package install is what `igwctl install` and `igwctl uninstall` do to a cluster: pick the
// manifests (embedded, or fetched from an upstream release), check that applying them is safe,
// apply them server-side, and wait for the result.
package install

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/config"
)

// FieldManager is the server-side apply field manager igwctl writes as; its entries in an
// object's managedFields are how igwctl recognises what it installed.
const FieldManager = "igwctl"

// enumValue is a pflag.Value that accepts only the listed values, so a bad value fails at parse
// time with an error naming the flag and the valid values.
type enumValue struct {
	value *string
	valid []string
}

func (e enumValue) String() string { return *e.value }
func (e enumValue) Type() string   { return "string" }
func (e enumValue) Set(s string) error {
	for _, v := range e.valid {
		if s == v {
			*e.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(e.valid, ", "))
}

// GatewayAPI is the Gateway API channel to install alongside the inference CRDs.
type GatewayAPI string

// The values of --gateway-api.
const (
	GatewayAPIStandard     GatewayAPI = "standard"
	GatewayAPIExperimental GatewayAPI = "experimental"
	GatewayAPINone         GatewayAPI = "none"
)

// Value returns a pflag.Value that sets g.
func (g *GatewayAPI) Value() pflag.Value {
	return enumValue{value: (*string)(g), valid: []string{"standard", "experimental", "none"}}
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

// Value returns a pflag.Value that sets o.
func (o *ObjectiveGroup) Value() pflag.Value {
	return enumValue{value: (*string)(o), valid: []string{"llm-d", "x-k8s", "both", "none"}}
}

// DryRun says whether and where changes are only simulated.
type DryRun string

// The values of --dry-run.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// Value returns a pflag.Value that sets d.
func (d *DryRun) Value() pflag.Value {
	return enumValue{value: (*string)(d), valid: []string{"none", "client", "server"}}
}

// suffix is what kubectl appends to a result line in this mode.
func (d DryRun) suffix() string {
	switch d {
	case DryRunClient:
		return " (dry run)"
	case DryRunServer:
		return " (server dry run)"
	}
	return ""
}

// Output is the format of a command's result on stdout.
type Output string

// The values of -o/--output.
const (
	OutputText Output = "text"
	OutputJSON Output = "json"
	OutputYAML Output = "yaml"
)

// Value returns a pflag.Value that sets o.
func (o *Output) Value() pflag.Value {
	return enumValue{value: (*string)(o), valid: []string{"text", "json", "yaml"}}
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
