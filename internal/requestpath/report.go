// Package requestpath walks the path a request takes to an InferencePool, from the CRDs and the
// Gateway through the routes, the pool's status and its endpoint picker to the model server pods,
// their ports and metrics, body based routing, and optionally one real request, and says for
// each step whether it passed, failed (why, and the fix), or did not run (why). A step that asks
// what an analyzer asks shows the analyzer's finding; the I/O it needs (the pods through the API
// server's proxy, the probe to the Gateway) comes in through interfaces.
package requestpath

import (
	"fmt"
	"io"
	"slices"
	"strings"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// Status is a step's outcome.
type Status string

// A step passed, failed, or did not run: a check that did not run never counts as passed.
const (
	Passed Status = "passed"
	Failed Status = "failed"
	NotRun Status = "not run"
)

// Step is one check on the path.
type Step struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is what was seen when it passed, why it failed, or why it did not run.
	Detail string    `json:"detail,omitempty"`
	Fix    string    `json:"fix,omitempty"`
	Code   diag.Code `json:"code,omitempty"`
	// Notes are what else is worth knowing: warnings, the pods that did not answer.
	Notes []string `json:"notes,omitempty"`
}

// Section is the steps about one thing: the cluster, or one pool.
type Section struct {
	Title string       `json:"title"`
	Pool  *diag.Object `json:"pool,omitempty"`
	Steps []Step       `json:"steps"`
}

// Report is a walk's result, printable as text, JSON or YAML.
type Report struct {
	Sections []Section `json:"sections"`
	Summary  Summary   `json:"summary"`
}

// Summary counts the steps by status.
type Summary struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	NotRun int `json:"notRun"`
}

func (s Summary) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d not run", s.Passed, s.Failed, s.NotRun)
}

// count fills the summary from the sections.
func (r *Report) count() {
	r.Summary = Summary{}
	for _, sec := range r.Sections {
		for _, st := range sec.Steps {
			switch st.Status {
			case Passed:
				r.Summary.Passed++
			case Failed:
				r.Summary.Failed++
			default:
				r.Summary.NotRun++
			}
		}
	}
}

// Failed reports whether any step failed.
func (r *Report) Failed() bool { return r.Summary.Failed > 0 }

// marks are how text output shows each status, padded to one width.
var marks = map[Status]string{Passed: "passed ", Failed: "FAILED ", NotRun: "not run"}

// WriteText writes each section as a checklist: a title line, then one line per step with its
// status, and the detail, fix and notes indented under it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, sec := range r.Sections {
		fmt.Fprintln(&b, sec.Title)
		for _, st := range sec.Steps {
			line := st.Name
			if st.Detail != "" {
				line += ": " + st.Detail
			}
			if st.Code != "" && st.Status != Passed {
				line += " [" + string(st.Code) + "]"
			}
			fmt.Fprintf(&b, "  %s  %s\n", marks[st.Status], line)
			if st.Fix != "" && st.Status == Failed {
				fmt.Fprintf(&b, "           fix: %s\n", st.Fix)
			}
			for _, n := range st.Notes {
				fmt.Fprintf(&b, "           note: %s\n", n)
			}
		}
	}
	fmt.Fprintf(&b, "%s\n", r.Summary)
	_, err := io.WriteString(w, b.String())
	return err
}

func passed(name, detail string) Step { return Step{Name: name, Status: Passed, Detail: detail} }

func failed(name, detail, fix string) Step {
	return Step{Name: name, Status: Failed, Detail: detail, Fix: fix}
}

func notRun(name, why string) Step { return Step{Name: name, Status: NotRun, Detail: why} }

// fromFindings is a step judged by analyzer findings: failed on the first Error (the others are
// notes), else passed with detail and the warnings as notes.
func fromFindings(name, passDetail string, fs []diag.Finding) Step {
	st := passed(name, passDetail)
	for _, f := range fs {
		switch {
		case f.Severity == diag.Error && st.Status == Passed:
			st = Step{Name: name, Status: Failed, Detail: f.Message, Fix: f.Fix, Code: f.Code, Notes: st.Notes}
		case f.Severity == diag.Error:
			st.Notes = append(st.Notes, fmt.Sprintf("%s [%s]; fix: %s", f.Message, f.Code, f.Fix))
		default:
			st.Notes = append(st.Notes, fmt.Sprintf("%s: %s [%s]", strings.ToLower(string(f.Severity)), f.Message, f.Code))
		}
	}
	return st
}

// findings are an analysis' findings, looked up by code and object.
type findings diag.Findings

// about returns the findings of any of codes about the object kind ns/name.
func (fs findings) about(kind, ns, name string, codes ...diag.Code) []diag.Finding {
	var out []diag.Finding
	for _, f := range fs {
		if f.Object.Kind == kind && f.Object.Namespace == ns && f.Object.Name == name && slices.Contains(codes, f.Code) {
			out = append(out, f)
		}
	}
	return out
}

// mentioning returns the findings of any of codes whose message names text.
func (fs findings) mentioning(text string, codes ...diag.Code) []diag.Finding {
	var out []diag.Finding
	for _, f := range fs {
		if slices.Contains(codes, f.Code) && strings.Contains(f.Message, text) {
			out = append(out, f)
		}
	}
	return out
}
