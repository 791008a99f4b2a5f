// Package validate checks Kubernetes objects offline the way the apiserver checks them on
// create, against the CRDs igwctl embeds (config): InferencePool v1 and the legacy alpha pool,
// InferenceObjective in both groups, and the Gateway API CRDs of one channel.
//
// It calls the packages the apiserver itself calls for custom resources
// (k8s.io/apiextensions-apiserver: structural schema, pruning, defaulting, OpenAPI validation,
// list types, CEL), in the apiserver's order, so a message and its field path are the ones
// `kubectl create` (strict field validation, kubectl's default) would print. The differential
// test against a real kube-apiserver holds it to that.
//
// Gateway API ships a ValidatingAdmissionPolicy with its CRDs (safe-upgrades.gateway.networking.k8s.io).
// Its bindings match only CustomResourceDefinitions (apiextensions.k8s.io) of the group
// gateway.networking.k8s.io: it guards installs and upgrades of the CRDs themselves (no
// experimental over standard, no release before v1.5), never the Gateways, routes or policies
// users write. So validate has nothing to evaluate it on; `igwctl install crds` makes the
// same checks before it applies CRDs.
package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/igw-dev/igw/config"
	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// Channel is the Gateway API release channel whose CRDs objects are checked against.
type Channel string

// The channels.
const (
	Standard     Channel = "standard"
	Experimental Channel = "experimental"
)

// Channels lists the valid channels, standard first.
func Channels() []Channel { return []Channel{Standard, Experimental} }

// Stage is where on a create the apiserver would find a problem.
type Stage int

const (
	// StageKind: before the request is sent, no endpoint serves the kind (kubectl: "no matches
	// for kind"), or igwctl has no schema for it.
	StageKind Stage = iota
	// StageDecode: decoding the request body fails (400 Bad Request): unknown or duplicate
	// fields under strict field validation, or a body that is no object.
	StageDecode
	// StageValidate: the decoded object is invalid (422 Unprocessable Entity): metadata, schema,
	// CEL rules.
	StageValidate
	// StageAdvice: not an apiserver error; something igwctl knows the schema does not check.
	StageAdvice
)

// Problem is one thing found in one object.
type Problem struct {
	Code     diagnose.Code
	Severity diagnose.Severity
	Stage    Stage
	// Field is the path of the field, e.g. "spec.targetPorts[0].number"; empty for the object.
	Field string
	// Message is the apiserver's own text: "spec.targetPorts: Invalid value: ...: port number
	// must be unique", `unknown field "spec.extensionRef"`.
	Message string
	Fix     string
	// Type is the kind of a validation error (Required, Invalid, ...); empty for the others.
	Type field.ErrorType
}

// Options choose the CRDs a Validator checks against.
type Options struct {
	// GatewayAPI is the channel of the Gateway API CRDs; standard when empty.
	GatewayAPI Channel
}

// Validator checks objects against one selection of embedded CRDs. Build one per run: it
// compiles each CRD version's schema and CEL rules the first time an object needs them and keeps
// them for the objects after. It is safe for concurrent use.
type Validator struct {
	channel Channel
	crds    *catalog
	// experimental is Gateway API's experimental channel when standard is selected, read only
	// for hints ("this field exists in the experimental channel"), and only once one is needed.
	experimentalOnce sync.Once
	experimental     *catalog
}

// New reads the embedded CRDs.
func New(o Options) (*Validator, error) {
	if o.GatewayAPI == "" {
		o.GatewayAPI = Standard
	}
	if !slices.Contains(Channels(), o.GatewayAPI) {
		return nil, fmt.Errorf("unknown Gateway API channel %q: use standard or experimental", o.GatewayAPI)
	}
	inference := []config.Set{config.InferenceV1, config.AlphaPool, config.XObjective, config.LLMDObjective}
	gw := config.GatewayAPIStandard
	if o.GatewayAPI == Experimental {
		gw = config.GatewayAPIExperimental
	}
	crds, err := loadCatalog(append(inference, gw)...)
	if err != nil {
		return nil, err
	}
	return &Validator{channel: o.GatewayAPI, crds: crds}, nil
}

// experimentalCRDs returns the experimental channel's CRDs when the standard channel is
// selected, nil otherwise (experimental includes standard, so there is nothing more to hint at).
func (v *Validator) experimentalCRDs() *catalog {
	if v.channel != Standard {
		return nil
	}
	v.experimentalOnce.Do(func() {
		// Built-in files that the tests read for both channels: this cannot fail at run time.
		v.experimental, _ = loadCatalog(config.GatewayAPIExperimental)
	})
	return v.experimental
}

// Check finds the problems of one object, as a create of it would.
func (v *Validator) Check(ctx context.Context, obj manifest.Object) []Problem {
	gvk := obj.GroupVersionKind()
	cv := v.crds.lookup(gvk)
	if cv == nil {
		return v.unresolved(obj)
	}
	problems := create(ctx, cv, obj.Raw)
	if cv.deprecated {
		problems = append(problems, Problem{Code: diagnose.DeprecatedVersion, Severity: diagnose.Warning, Stage: StageAdvice,
			Message: cv.warning, Fix: fmt.Sprintf("change apiVersion to a version that is not deprecated (served: %s)", strings.Join(v.crds.servedVersions(gvk.GroupKind()), ", "))})
	}
	problems = append(problems, selectorKeys(gvk, obj.Object)...)
	v.addFixes(cv, obj, problems)
	return problems
}

// Findings checks every object and returns what it found as findings naming the object and
// where it was written.
func (v *Validator) Findings(ctx context.Context, objs []manifest.Object) diagnose.Findings {
	out := diagnose.Findings{}
	for _, obj := range objs {
		if ctx.Err() != nil {
			break
		}
		object := diagnose.Object{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		for _, p := range v.Check(ctx, obj) {
			out = append(out, diagnose.Finding{Code: p.Code, Severity: p.Severity, Object: object,
				Source: obj.Source.String(), Message: p.Message, Fix: p.Fix})
		}
	}
	return out
}
