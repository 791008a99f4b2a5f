package set

import (
	"fmt"
	"io"

	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/routing"
)

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Route     string       `json:"route"`
	Namespace string       `json:"namespace"`
	Model     string       `json:"model"`
	Gateway   string       `json:"gateway"`
	Header    string       `json:"header"`
	Pools     []PoolWeight `json:"pools"`
	Action    string       `json:"action"`
	DryRun    kube.DryRun  `json:"dryRun,omitempty"`
	Warnings  []string     `json:"warnings,omitempty"`
}

// WriteText writes kubectl's line for the route, then the split.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "httproute.gateway.networking.k8s.io/%s %s%s\n", r.Route, r.Action, r.DryRun.Suffix())
	fmt.Fprintf(w, "  model %q on Gateway %s (header %s)\n", r.Model, r.Gateway, r.Header)
	var bs []routing.Backend
	for _, p := range r.Pools {
		bs = append(bs, routing.Backend{Name: p.Pool, Weight: p.Weight})
	}
	for _, s := range routing.SplitOf(bs).Shares {
		fmt.Fprintf(w, "  InferencePool %s/%s  weight %d  %s\n", r.Namespace, s.Backend.Name, s.Backend.Weight, routing.PercentText(s.Percent))
	}
	return nil
}
