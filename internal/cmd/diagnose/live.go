package diagnose

import (
	"context"
	"fmt"

	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/kube"
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
	scope, err := o.scope()
	if err != nil {
		return nil, "", err
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return nil, "", err
	}
	res, err := inventory.Gather(ctx, o.clients, inventory.Options{Scope: scope})
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
	for _, line := range inventory.UnlistedText(snap) {
		fmt.Fprintf(o.IO.ErrOut, "Not listed, so checks that need it did not run: %s\n", line)
	}
	for _, line := range res.Notes {
		fmt.Fprintf(o.IO.ErrOut, "Read in part: %s\n", line)
	}
	return snap, what, nil
}

// scope is -A, else -n, else the kubeconfig context's namespace; it also builds the clients.
func (o *Options) scope() (inventory.Scope, error) {
	if o.Kube == nil {
		return inventory.Scope{}, fmt.Errorf("no cluster to read: diagnose files offline with -f FILE")
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return inventory.Scope{}, err
	}
	disc, err := o.Kube.Discovery()
	if err != nil {
		return inventory.Scope{}, err
	}
	o.clients = inventory.Clients{Dynamic: dyn, Discovery: disc}
	if o.AllNamespaces {
		return inventory.Scope{All: true}, nil
	}
	ns := o.Namespace
	if ns == "" {
		if ns, err = o.Kube.Namespace(); err != nil {
			return inventory.Scope{}, err
		}
	}
	return inventory.Scope{Namespace: ns}, nil
}

// namespaceOr is where file objects without a namespace go: -n, else the scope's namespace.
func (o *Options) namespaceOr(s inventory.Scope) string {
	if o.Namespace != "" || s.All {
		return o.Namespace
	}
	return s.Namespace
}
