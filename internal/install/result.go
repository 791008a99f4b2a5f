package install

import (
	"fmt"
	"io"

	"github.com/igw-dev/igw/internal/kube"
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
	DryRun    kube.DryRun `json:"dryRun"`
	CRDs      []CRDResult `json:"crds"`
	// NotInstalled lists objects of the manifests that were deliberately left out.
	NotInstalled []string `json:"notInstalled,omitempty"`
}

// WriteText writes one kubectl-style line per CRD.
func (r *Result) WriteText(w io.Writer) error {
	for _, c := range r.CRDs {
		if _, err := fmt.Fprintf(w, "customresourcedefinition.apiextensions.k8s.io/%s %s%s\n", c.Name, c.Action, r.DryRun.Suffix()); err != nil {
			return err
		}
	}
	return nil
}
