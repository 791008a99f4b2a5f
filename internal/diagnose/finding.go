// Package diagnose is what igwctl says is wrong, in one shape: a Finding with a stable code, a
// severity, the object it is about, a message and a fix, printed as istioctl analyze prints its
// messages. Install's refusals, provider readiness checks and Helm's errors are findings, so the
// analyzers that diagnose clusters and manifests add codes, not shapes.
package diagnose

import (
	"cmp"
	"fmt"
	"io"
	"slices"
)

// Severity says how much a finding matters.
type Severity string

// Severities, most severe first.
const (
	// Error: something does not work, or igwctl refuses to go on.
	Error Severity = "Error"
	// Warning: it works now, but probably not as meant.
	Warning Severity = "Warning"
	// Info: worth knowing; nothing to fix.
	Info Severity = "Info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Object names the Kubernetes object a finding is about.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind namespace/name", or "Kind name" for a cluster-scoped object.
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Finding is one problem: what is wrong (Message, naming the object), where (Object, when it is a
// Kubernetes object) and what to do about it (Fix).
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Object   Object   `json:"object,omitzero"`
	// Source is where the object was written, "file, document N", when it came from a file.
	Source  string `json:"source,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// String is the finding on one line, as istioctl analyze writes its messages:
// `Error [IGW0102] (GatewayClass gke-l7-rilb) not present; fix: ...`.
func (f Finding) String() string {
	s := fmt.Sprintf("%s [%s]", f.Severity, f.Code)
	switch {
	case f.Object != (Object{}) && f.Source != "":
		s += " (" + f.Object.String() + " in " + f.Source + ")"
	case f.Object != (Object{}):
		s += " (" + f.Object.String() + ")"
	case f.Source != "":
		s += " (" + f.Source + ")"
	}
	s += " " + f.Message
	if f.Fix != "" {
		s += "; fix: " + f.Fix
	}
	return s
}

// Findings are the result of an analysis or a set of checks, printable as text, JSON or YAML.
type Findings []Finding

// Sort orders findings by severity, then code, then object, so output is stable.
func (fs Findings) Sort() {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Object.String(), b.Object.String()),
		)
	})
}

// Has reports whether any finding is at least as severe as s.
func (fs Findings) Has(s Severity) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity.rank() <= s.rank() })
}

// WriteText writes one line per finding, or a line saying there is nothing to report.
func (fs Findings) WriteText(w io.Writer) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "no problems found")
		return err
	}
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return err
		}
	}
	return nil
}
