package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/igw-dev/igw/internal/kube"
)

// ScopeOf is the scope a command's flags ask for: every namespace with -A, else the namespace
// of -n, else the kubeconfig context's.
func ScopeOf(f kube.Factory, all bool, namespace string) (Scope, error) {
	switch {
	case f == nil:
		return Scope{}, errors.New("no cluster to read")
	case all:
		return Scope{All: true}, nil
	case namespace != "":
		return Scope{Namespace: namespace}, nil
	}
	ns, err := f.Namespace()
	return Scope{Namespace: ns}, err
}

// Read checks that the cluster answers, then gathers the scope from it with the Factory's
// clients. An error means the cluster could not be read at all.
func Read(ctx context.Context, f kube.Factory, s Scope) (*Result, error) {
	if err := kube.Ping(ctx, f); err != nil {
		return nil, err
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return nil, err
	}
	disc, err := f.Discovery()
	if err != nil {
		return nil, err
	}
	return Gather(ctx, Clients{Dynamic: dyn, Discovery: disc}, Options{Scope: s})
}

// WriteGaps writes a line for each kind not fully read, saying that what needed it (checks,
// steps) did not run, and a line for each note.
func (r *Result) WriteGaps(w io.Writer, what string) {
	for _, line := range UnlistedText(r.Snapshot) {
		fmt.Fprintf(w, "Not listed, so %s that need it did not run: %s\n", what, line)
	}
	for _, line := range r.Notes {
		fmt.Fprintf(w, "Read in part: %s\n", line)
	}
}
