package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
)

// Report is the upstream suite's report: gateway-api's ConformanceReport with the inference
// extension's version beside it. Upstream's field has no JSON tag, so its key is the Go name,
// and igwctl writes it the same way so reports compare.
type Report struct {
	GatewayAPIInferenceExtensionVersion string
	confv1.ConformanceReport            `json:",inline"`
}

// Versions are what the cluster's CRDs say about the bundles installed.
type Versions struct {
	Inference         string `json:"inferenceExtension"`
	GatewayAPI        string `json:"gatewayAPI"`
	GatewayAPIChannel string `json:"gatewayAPIChannel"`
}

// ReadVersions reads the bundle versions from the CRDs' annotations. The inference CRDs that
// carry one must agree, as upstream requires; a Gateway API CRD without annotations is skipped.
func (s *Suite) ReadVersions(ctx context.Context) (Versions, error) {
	crds, err := s.dyn.Resource(gvrCRD).List(ctx, metav1.ListOptions{})
	if err != nil {
		return Versions{}, fmt.Errorf("reading the CRDs' bundle versions: %w", err)
	}
	var v Versions
	inference := map[string][]string{}
	for _, c := range crds.Items {
		ann := c.GetAnnotations()
		if iv := ann[inferenceBundleVersion]; iv != "" {
			inference[iv] = append(inference[iv], c.GetName())
		}
		if strings.HasSuffix(c.GetName(), "."+gwGroup) && ann[gatewayBundleVersion] != "" && v.GatewayAPI == "" {
			v.GatewayAPI, v.GatewayAPIChannel = ann[gatewayBundleVersion], ann[gatewayChannel]
		}
	}
	switch len(inference) {
	case 0:
		return v, fmt.Errorf("no CRD carries the %s annotation: are the inference extension's CRDs installed? (igwctl install crds)", inferenceBundleVersion)
	case 1:
		for iv := range inference {
			v.Inference = iv
		}
	default:
		var parts []string
		for iv, names := range inference {
			parts = append(parts, fmt.Sprintf("%s (%s)", iv, strings.Join(names, ", ")))
		}
		slices.Sort(parts)
		return v, fmt.Errorf("the inference extension's CRDs come from different releases: %s; install one bundle (igwctl install crds)", strings.Join(parts, "; "))
	}
	if v.GatewayAPI == "" {
		return v, fmt.Errorf("no Gateway API CRD carries the %s annotation: are the Gateway API CRDs installed? (igwctl install crds)", gatewayBundleVersion)
	}
	return v, nil
}

// BuildReport makes the report of a run from its results.
func BuildReport(cfg Config, v Versions, results []CheckResult, date time.Time) Report {
	var st confv1.Status
	for _, r := range results {
		switch r.Outcome {
		case Passed:
			st.Passed++
		case Failed:
			st.Failed++
			st.FailedTests = append(st.FailedTests, r.Name)
		case Skipped:
			st.Skipped++
			st.SkippedTests = append(st.SkippedTests, r.Name)
		}
	}
	var summary string
	switch {
	case st.Failed > 0:
		st.Result = confv1.Failure
		summary = fmt.Sprintf("Core tests failed with %d test failures.", st.Failed)
	case st.Skipped > 0:
		st.Result = confv1.Partial
		summary = fmt.Sprintf("Core tests partially succeeded with %d test skips.", st.Skipped)
	default:
		st.Result = confv1.Success
		summary = "Core tests succeeded."
	}
	for _, c := range Checks() {
		ran := slices.ContainsFunc(results, func(r CheckResult) bool { return r.Name == c.Name && r.Outcome != Skipped })
		if c.Differs != "" && ran {
			summary += fmt.Sprintf(" Note: %s differs from upstream: %s.", c.Name, c.Differs)
		}
	}
	mode := cfg.Mode
	if mode == "" {
		mode = "default"
	}
	return Report{
		GatewayAPIInferenceExtensionVersion: v.Inference,
		ConformanceReport: confv1.ConformanceReport{
			TypeMeta:          metav1.TypeMeta{APIVersion: confv1.GroupVersion.String(), Kind: "ConformanceReport"},
			Implementation:    cfg.Implementation,
			Date:              date.UTC().Format(time.RFC3339),
			GatewayAPIVersion: v.GatewayAPI,
			GatewayAPIChannel: v.GatewayAPIChannel,
			Mode:              mode,
			ProfileReports:    []confv1.ProfileReport{{Name: ProfileName, Summary: summary, Core: st}},
		},
	}
}
