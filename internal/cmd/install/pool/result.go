package pool

import (
	"fmt"
	"io"
	"strings"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
)

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Pool             string          `json:"pool"`
	Namespace        string          `json:"namespace"`
	Release          string          `json:"release"`
	InferenceVersion string          `json:"inferenceVersion"`
	Generation       pool.Generation `json:"generation"`
	Chart            string          `json:"chart"`
	ChartVersion     string          `json:"chartVersion"`
	Source           string          `json:"source"`
	Action           string          `json:"action"` // install, upgrade, dry-run
	Revision         int             `json:"revision,omitempty"`
	Summary          string          `json:"summary"`
	Values           []pool.Setting  `json:"values"`
	FailureMode      string          `json:"failureMode"`
	FailureMeaning   string          `json:"failureMeaning"`
	ObjectiveGroup   string          `json:"objectiveGroup,omitempty"`
	Objects          []string        `json:"objects,omitempty"`
	Applied          []pool.Applied  `json:"applied,omitempty"`
	Changes          *pool.Changes   `json:"changes,omitempty"`
	Waited           bool            `json:"waited"`
	Ready            bool            `json:"ready"`
	NotReady         []string        `json:"notReady,omitempty"`
	Parents          []pool.Parent   `json:"parents,omitempty"`
	Warnings         []string        `json:"warnings,omitempty"`
	Notes            []string        `json:"notes,omitempty"`
	DryRun           kube.DryRun     `json:"dryRun,omitempty"`
	Manifest         string          `json:"manifest,omitempty"`
}

// fill records what was settled before installing: generation, values as the chart sees them.
func (r *Result) fill(o *Options, p *plan) {
	r.InferenceVersion, r.Generation, r.ObjectiveGroup = p.inferenceVersion, p.gen, p.group
	for _, s := range o.spec.Settings(p.gen) {
		if v, ok := pool.Effective(p.gen, p.values, s.Flag); ok {
			s.Value = v
		}
		r.Values = append(r.Values, s)
	}
	mode, _ := pool.Effective(p.gen, p.values, "failure-mode")
	r.FailureMode = fmt.Sprint(mode)
	r.FailureMeaning = pool.FailureMeaning(r.FailureMode)
}

// fromRelease records the release, and for an upgrade what changed since the last revision.
func (r *Result) fromRelease(h *helm.Result, p *plan) {
	r.Chart, r.ChartVersion, r.Source, r.Action, r.Revision = h.Chart, h.ChartVersion, h.Source, h.Action, h.Revision
	r.Summary = h.Summary()
	for _, obj := range h.Objects {
		r.Objects = append(r.Objects, obj.String())
	}
	if r.DryRun.Enabled() {
		r.Manifest = h.Manifest
	}
	if h.Action == "upgrade" && p.previous != nil && p.previous.Installed {
		c := pool.Diff(p.previous.Manifest, h.Manifest, p.previous.Values, p.values)
		r.Changes = &c
	}
}

// WriteText says what was installed, what the failure mode means, what igwctl applied next to
// the release, and whether the pool is ready.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s from %s\n", r.Summary, r.Source)
	fmt.Fprintf(w, "chart for inference release %s (%s)\n", r.InferenceVersion, r.Generation)
	if r.Changes != nil {
		r.writeChanges(w)
	}
	if r.DryRun.Enabled() {
		for _, obj := range r.Objects {
			fmt.Fprintf(w, "  %s\n", obj)
		}
	}
	fmt.Fprintf(w, "failure mode %s\n", r.FailureMeaning)
	for _, a := range r.Applied {
		fmt.Fprintf(w, "%s %s%s (%s)\n", a, a.Action, r.DryRun.Suffix(), a.Detail)
	}
	switch {
	case r.DryRun.Enabled():
		fmt.Fprintln(w, "dry run: nothing was installed (-o yaml shows the rendered manifest)")
	case r.Ready:
		fmt.Fprintf(w, "pool %s/%s ready%s\n", r.Namespace, r.Pool, r.acceptedBy())
	default:
		fmt.Fprintf(w, "pool %s/%s installed but not ready:\n", r.Namespace, r.Pool)
		for _, nr := range r.NotReady {
			fmt.Fprintf(w, "  %s\n", nr)
		}
		if !r.Waited {
			fmt.Fprintln(w, "  (--wait waits for it)")
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func (r *Result) acceptedBy() string {
	var gws []string
	for _, p := range r.Parents {
		gws = append(gws, p.Gateway)
	}
	if len(gws) == 0 {
		return ": endpoint picker running"
	}
	return ": endpoint picker running, accepted by Gateway " + strings.Join(gws, ", ")
}

func (r *Result) writeChanges(w io.Writer) {
	c := r.Changes
	if c.None() {
		fmt.Fprintln(w, "no change since the last revision")
		return
	}
	for _, line := range []struct {
		what  string
		names []string
	}{{"added", c.Added}, {"changed", c.Changed}, {"removed", c.Removed}} {
		if len(line.names) > 0 {
			fmt.Fprintf(w, "%s: %s\n", line.what, strings.Join(line.names, ", "))
		}
	}
	fmt.Fprintf(w, "unchanged: %d objects\n", c.Unchanged)
	for _, v := range c.Values {
		fmt.Fprintf(w, "  value %s\n", v)
	}
}
