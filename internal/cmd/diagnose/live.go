package diagnose

import (
	"context"
	"fmt"

	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/manifest"
)

// live reports whether the command reads the cluster: always without files, with files only
// when asked (--cluster, or -A).
func (o *Options) live() bool {
	return len(o.Files) == 0 || o.Cluster || o.AllNamespaces
}

// GatherLive reads the snapshot from the cluster (one LIST per kind), with the objects of -f
// over it as kubectl apply -f would leave them. Kinds it could not list are named on stderr:
// the checks that need them stay silent.
func GatherLive(ctx context.Context, o *Options) (*diag.Snapshot, string, error) {
	if o.Kube == nil {
		return nil, "", fmt.Errorf("no cluster to read: diagnose files offline with -f FILE")
	}
	scope, err := inventory.ScopeOf(o.Kube, o.AllNamespaces, o.Namespace)
	if err != nil {
		return nil, "", err
	}
	res, err := inventory.Read(ctx, o.Kube, scope)
	if err != nil {
		return nil, "", err
	}
	snap := res.Snapshot
	what := fmt.Sprintf("%s from the cluster (%s)", plural(len(snap.Objects), "object"), scope)
	if len(o.Files) > 0 {
		objs, err := manifest.Load(manifest.Options{Paths: o.Files, Recursive: o.Recursive, Stdin: o.IO.In})
		if err != nil {
			return nil, "", err
		}
		snap = diag.Overlay(snap, objs, o.namespaceOr(scope))
		what = fmt.Sprintf("%s from the cluster (%s) and %s from files", plural(len(res.Snapshot.Objects), "object"), scope, plural(len(objs), "object"))
	}
	res.WriteGaps(o.IO.ErrOut, "checks")
	return snap, what, nil
}

// namespaceOr is where file objects without a namespace go: -n, else the scope's namespace.
func (o *Options) namespaceOr(s inventory.Scope) string {
	if o.Namespace != "" || s.All {
		return o.Namespace
	}
	return s.Namespace
}
