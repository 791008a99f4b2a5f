package diagnose

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Check is one analyzer: a code with its severity, the kinds it reads, and a pure function from
// the snapshot to findings. Its Title, Doc and Fix are what docs/findings.md says about the code,
// so the documentation is generated from the analyzer itself.
type Check struct {
	// ID names the analyzer, "family.what", e.g. "route.pool-missing".
	ID       string
	Code     Code
	Severity Severity
	// Title is the problem in a few words.
	Title string
	// Doc says what the finding means for traffic, and when the analyzer can decide: offline
	// (objects from files), live (objects and status listed from a cluster), or both.
	Doc string
	// Fix is the general fix; a finding's own Fix may be more specific.
	Fix string
	// Kinds are the kinds the analyzer reads.
	Kinds []string
	// Run reports the analyzer's findings on r.
	Run func(s *Snapshot, r *Report)
}

// Name is the analyzer's ID.
func (c Check) Name() string { return c.ID }

// Analyze runs the check over s.
func (c Check) Analyze(s *Snapshot) []Finding {
	r := &Report{check: c, s: s, seen: map[Finding]bool{}}
	c.Run(s, r)
	return r.findings
}

// Report collects one check's findings, each once.
type Report struct {
	check    Check
	s        *Snapshot
	seen     map[Finding]bool
	findings []Finding
}

// Add reports a finding about u with the check's code and severity; fix "" means the check's Fix.
func (r *Report) Add(u *unstructured.Unstructured, message, fix string) {
	if fix == "" {
		fix = r.check.Fix
	}
	f := Finding{Code: r.check.Code, Severity: r.check.Severity, Message: message, Fix: fix}
	if u != nil {
		f.Object = Object{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
		f.Source = r.s.Sources[u]
	}
	if r.seen[f] {
		return
	}
	r.seen[f] = true
	r.findings = append(r.findings, f)
}

// Checks returns every analyzer igwctl runs, family by family, built afresh on each call.
func Checks() []Check {
	var all []Check
	for _, family := range [][]Check{routeChecks(), poolChecks(), pickerChecks(), poolStatusChecks(), objectiveChecks(),
		bbrChecks(), versionChecks(), gatewayChecks()} {
		all = append(all, family...)
	}
	return all
}

// Analyzers returns Checks as Analyzers, for Analyze.
func Analyzers() []Analyzer {
	var out []Analyzer
	for _, c := range Checks() {
		out = append(out, c)
	}
	return out
}
