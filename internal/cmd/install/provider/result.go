package provider

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/kube"
)

// Release is one Helm release the command installed or rendered.
type Release struct {
	Release      string   `json:"release"`
	Namespace    string   `json:"namespace"`
	Chart        string   `json:"chart"`
	ChartVersion string   `json:"chartVersion"`
	Action       string   `json:"action"`
	Revision     int      `json:"revision,omitempty"`
	Source       string   `json:"source"`
	Objects      []string `json:"objects,omitempty"`
	Summary      string   `json:"summary"`
	Manifest     string   `json:"manifest,omitempty"` // dry run only
}

// Gateway is the Gateway the command created (or would).
type Gateway struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Class     string `json:"gatewayClassName"`
	Action    string `json:"action"` // created, configured, unchanged, would apply
	Manifest  string `json:"manifest,omitempty"`
}

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Provider     string               `json:"provider"`
	Title        string               `json:"title"`
	Version      string               `json:"version,omitempty"`
	DryRun       kube.DryRun          `json:"dryRun,omitempty"`
	Releases     []Release            `json:"releases,omitempty"`
	Gateway      *Gateway             `json:"gateway,omitempty"`
	GatewayClass *gateway.ClassStatus `json:"gatewayClass,omitempty"`
	// Checks are a managed provider's (GKE's): each passed, or failed with a finding.
	Checks   []gateway.Check `json:"checks,omitempty"`
	Ready    bool            `json:"ready"`
	NotReady []string        `json:"notReady,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	Notes    []string        `json:"notes,omitempty"`

	managed bool
}

// WriteText writes what a person needs: the checks of a managed provider, what a dry run would
// install, or the releases installed and whether they are ready.
func (r *Result) WriteText(w io.Writer) error {
	switch {
	case r.managed:
		r.writeChecks(w)
	case r.DryRun.Enabled():
		// The notes say what the last line says.
		r.writeDryRun(w)
		return nil
	default:
		r.writeInstalled(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func (r *Result) writeInstalled(w io.Writer) {
	for _, rel := range r.Releases {
		fmt.Fprintln(w, rel.Summary)
	}
	if g := r.Gateway; g != nil {
		fmt.Fprintf(w, "Gateway %s/%s %s (gatewayClassName %s)\n", g.Namespace, g.Name, g.Action, g.Class)
	}
	name := r.Title
	if r.Version != "" {
		name += " " + r.Version
	}
	switch {
	case r.Ready && r.GatewayClass != nil:
		fmt.Fprintf(w, "%s installed and ready: GatewayClass %s accepted\n", name, r.GatewayClass.Name)
	case r.Ready:
		fmt.Fprintf(w, "%s installed and ready\n", name)
	default:
		fmt.Fprintf(w, "%s installed but not ready:\n", name)
		for _, nr := range r.NotReady {
			fmt.Fprintf(w, "  %s\n", nr)
		}
	}
}

func (r *Result) writeDryRun(w io.Writer) {
	for _, rel := range r.Releases {
		fmt.Fprintf(w, "%s from %s\n", rel.Summary, rel.Source)
		for _, obj := range rel.Objects {
			fmt.Fprintf(w, "  %s\n", obj)
		}
	}
	if g := r.Gateway; g != nil {
		fmt.Fprintf(w, "Gateway %s/%s %s (gatewayClassName %s):\n", g.Namespace, g.Name, r.gatewayAction("would be applied"), g.Class)
		for _, line := range strings.Split(strings.TrimSpace(g.Manifest), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	fmt.Fprintf(w, "dry run: nothing was installed (-o yaml shows the rendered manifests)\n")
}

func (r *Result) writeChecks(w io.Writer) {
	fmt.Fprintf(w, "%s: igwctl installs nothing; checking the cluster:\n", r.Title)
	for _, c := range r.Checks {
		mark := "ok     "
		if !c.OK {
			mark = "MISSING"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Seen())
		if c.Finding != nil && c.Finding.Fix != "" {
			fmt.Fprintf(w, "          fix: %s\n", c.Finding.Fix)
		}
	}
	if g := r.Gateway; g != nil {
		fmt.Fprintf(w, "Gateway %s/%s %s (gatewayClassName %s)\n", g.Namespace, g.Name, r.gatewayAction(g.Action), g.Class)
	}
	if len(r.NotReady) == 0 && r.Ready {
		fmt.Fprintf(w, "%s is ready for the inference gateway\n", r.Title)
	} else if len(r.Checks) > 0 && !slices.ContainsFunc(r.Checks, func(c gateway.Check) bool { return !c.OK }) {
		fmt.Fprintf(w, "%s has everything required, but is not ready: %s\n", r.Title, strings.Join(r.NotReady, "; "))
	}
}

// gatewayAction is what happened to the Gateway, in words: clientWords in a client dry run (which
// cannot know), the API server's answer marked as a dry run in a server one.
func (r *Result) gatewayAction(clientWords string) string {
	switch r.DryRun {
	case kube.DryRunClient:
		return clientWords
	case kube.DryRunServer:
		return r.Gateway.Action + r.DryRun.Suffix()
	}
	return r.Gateway.Action
}
