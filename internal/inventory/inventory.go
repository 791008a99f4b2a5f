// Package inventory reads what the analyzers look at from a live cluster into a diagnose.Snapshot:
// one LIST per kind (paged), never a GET per object, in the namespaces asked for, plus what
// objects in any namespace refer to (Gateways, ReferenceGrants, GatewayClasses, CRDs, the
// providers' controllers). A kind the cluster does not serve is listed and empty; one it refuses
// to list (RBAC) or fails to list goes into Snapshot.Unlisted with why, so its absence never
// reads as "missing".
package inventory

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/diagnose"
)

// Scope is which namespaces to read: one (-n) or all (-A).
type Scope struct {
	Namespace string
	All       bool
}

// String is "namespace NS" or "all namespaces".
func (s Scope) String() string {
	if s.All {
		return "all namespaces"
	}
	return "namespace " + s.Namespace
}

// Clients are what the gatherer reads the cluster with.
type Clients struct {
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
}

// Options say what to read.
type Options struct {
	Scope Scope
	// PageSize is the most objects one LIST response holds; 0 means 500, kubectl's chunk size.
	PageSize int64
	// Parallel is how many LISTs run at once; 0 means 8.
	Parallel int
}

// List is one LIST the gatherer made (several pages, one kind, one namespace or all).
type List struct {
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Selector  string `json:"selector,omitempty"`
	Pages     int    `json:"pages"`
	Objects   int    `json:"objects"`
	Error     string `json:"error,omitempty"`
}

// Result is the snapshot, and how it was read.
type Result struct {
	Snapshot *diagnose.Snapshot
	// Lists are the LISTs made, one per kind, namespace and selector, in the order of kinds().
	Lists []List
	// Notes say what was read only in part, though no check misses it (the providers'
	// controllers in other namespaces, when only the scope's may be listed).
	Notes []string
}

// Pages is the number of LIST requests made, counting each page.
func (r *Result) Pages() int {
	n := 0
	for _, l := range r.Lists {
		n += l.Pages
	}
	return n
}

// Gather reads the snapshot. It fails only when the cluster cannot be asked at all (discovery
// fails, the context ends); a kind that cannot be listed is recorded in Snapshot.Unlisted.
func Gather(ctx context.Context, c Clients, o Options) (*Result, error) {
	if o.PageSize == 0 {
		o.PageSize = 500
	}
	if o.Parallel == 0 {
		o.Parallel = 8
	}
	served, err := discover(c.Discovery)
	if err != nil {
		return nil, err
	}
	snap := &diagnose.Snapshot{Live: true, Served: served.resources, Unlisted: map[schema.GroupKind]string{}}
	if !o.Scope.All {
		snap.Namespaces = []string{o.Scope.Namespace}
	}
	ks := kinds()
	results := make([]kindResult, len(ks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.Parallel)
	for i, k := range ks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = listKind(ctx, c.Dynamic, served, k, o)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Snapshot: snap}
	for i, r := range results {
		snap.Objects = append(snap.Objects, r.objects...)
		res.Lists = append(res.Lists, r.lists...)
		if r.unlisted != "" {
			snap.Unlisted[ks[i].gk] = r.unlisted
		}
		if r.note != "" {
			res.Notes = append(res.Notes, kindName(ks[i].gk)+": "+r.note)
		}
	}
	return res, nil
}

// kindResult is what listing one kind gave.
type kindResult struct {
	objects []*unstructured.Unstructured
	lists   []List
	// unlisted says why some of the kind's objects may be missing; "" when none are.
	unlisted string
	// note says what was read in part though no check misses it.
	note string
}

// UnlistedText describes the kinds not fully listed, one line each, sorted: what a command tells
// the user about the checks that could not look at them.
func UnlistedText(s *diagnose.Snapshot) []string {
	var out []string
	for gk, why := range s.Unlisted {
		out = append(out, fmt.Sprintf("%s: %s", kindName(gk), why))
	}
	sort.Strings(out)
	return out
}

func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + " (" + gk.Group + ")"
}
