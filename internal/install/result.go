package install

import (
	"fmt"
	"io"

	"github.com/igw-dev/igw/internal/cmdutil"
)

// Action is what happened (or, in a dry run, would happen) to one CRD.
type Action string

// Actions, in kubectl's words.
const (
	ActionCreated    Action = "created"
	ActionConfigured Action = "configured"
	ActionUnchanged  Action = "unchanged"
	ActionDeleted    Action = "deleted"
	ActionNotFound   Action = "not found"
)

// CRDResult is the outcome for one CRD.
type CRDResult struct {
	CRD
	Action Action `json:"action"`
	// PreviousBundleVersion is the installed CRD's bundle version before the change, if any.
	PreviousBundleVersion string `json:"previousBundleVersion,omitempty"`
	// Objects counts the CRD's objects when it was deleted (they go with it).
	Objects int `json:"objects,omitempty"`
}

// Result is the outcome of an install or uninstall, printed on stdout.
type Result struct {
	Operation string      `json:"operation"`
	DryRun    DryRun      `json:"dryRun"`
	CRDs      []CRDResult `json:"crds"`
	// NotInstalled lists objects of the manifests that were deliberately left out.
	NotInstalled []string `json:"notInstalled,omitempty"`
}

// Print writes r in the given format: kubectl-style lines for text, else the whole structure.
func (r *Result) Print(w io.Writer, format Output) error {
	if format == OutputJSON || format == OutputYAML {
		return cmdutil.PrintData(w, string(format), r)
	}
	for _, c := range r.CRDs {
		if _, err := fmt.Fprintf(w, "customresourcedefinition.apiextensions.k8s.io/%s %s%s\n", c.Name, c.Action, r.DryRun.suffix()); err != nil {
			return err
		}
	}
	return nil
}
