package set

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/routing"
)

// Labels and annotation igwctl puts on the routes it sets: the first says whose the route is, the
// annotation which model it is for (a label value cannot hold every model name).
const (
	ManagedByLabel  = "app.kubernetes.io/managed-by"
	ComponentLabel  = "app.kubernetes.io/component"
	Component       = "model-route"
	ModelAnnotation = "igw.dev/model"
	PoolGroup       = "inference.networking.k8s.io"
)

var routeGVR = schema.GroupVersionResource{Group: routing.GatewayGroup, Version: "v1", Resource: "httproutes"}

// Run checks, then applies the route.
func Run(ctx context.Context, o *Options) error {
	ns, err := o.Kube.Namespace()
	if err != nil {
		return err
	}
	gwNS, gwName := ns, o.Gateway
	if n, rest, ok := strings.Cut(o.Gateway, "/"); ok {
		gwNS, gwName = n, rest
	}
	want := o.route(ns, gwNS, gwName)
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	client := dyn.Resource(routeGVR).Namespace(ns)
	before, err := kube.GetIfExists(ctx, client, want.GetName())
	if err != nil {
		return fmt.Errorf("reading HTTPRoute %s/%s: %w", ns, want.GetName(), err)
	}
	inv, err := inventory.Read(ctx, o.Kube, inventory.Scope{Namespace: ns})
	if err != nil {
		return err
	}
	inv.WriteGaps(o.IO.ErrOut, "the checks")
	problems, warnings := check(inv.Snapshot, want, before, gwNS, gwName, o.weights)
	if len(problems) > 0 && !o.Force {
		return fmt.Errorf("refusing to set the route of model %q; nothing was changed:\n  - %s\nRerun with --force to apply anyway",
			o.Model, strings.Join(problems, "\n  - "))
	}
	for _, p := range problems {
		warnings = append(warnings, "--force: "+p)
	}
	res := &Result{Route: want.GetName(), Namespace: ns, Model: o.Model, Gateway: gwNS + "/" + gwName, Header: o.Header, Pools: o.weights, Warnings: warnings}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	if o.DryRun == kube.DryRunClient {
		res.Action = clientAction(before, want)
	} else if res.Action, err = o.apply(ctx, client, before, want); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(o.IO.ErrOut, "warning: "+w)
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// route is the HTTPRoute the flags describe, every default written out so that what the API
// server stores is what igwctl sent.
func (o *Options) route(ns, gwNS, gwName string) *unstructured.Unstructured {
	var refs []any
	for _, p := range o.weights {
		refs = append(refs, map[string]any{"group": PoolGroup, "kind": "InferencePool", "name": p.Pool, "weight": int64(p.Weight)})
	}
	parent := map[string]any{"group": routing.GatewayGroup, "kind": "Gateway", "name": gwName}
	if gwNS != ns {
		parent["namespace"] = gwNS
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": routing.GatewayGroup + "/v1",
		"kind":       "HTTPRoute",
		"metadata": map[string]any{
			"name": RouteName(o.Model), "namespace": ns,
			"labels":      map[string]any{ManagedByLabel: kube.FieldManager, ComponentLabel: Component},
			"annotations": map[string]any{ModelAnnotation: o.Model},
		},
		"spec": map[string]any{
			"parentRefs": []any{parent},
			"rules": []any{map[string]any{
				"matches": []any{map[string]any{
					"path":    map[string]any{"type": routing.PathPrefix, "value": "/"},
					"headers": []any{map[string]any{"type": routing.MatchExact, "name": o.Header, "value": o.Model}},
				}},
				"backendRefs": refs,
			}},
		},
	}}
}

// apply is the server-side apply (a dry run with --dry-run=server), and what it changed.
func (o *Options) apply(ctx context.Context, client dynamic.ResourceInterface, before, want *unstructured.Unstructured) (string, error) {
	action, err := kube.Apply(ctx, client, before, want.Object, o.Force, o.DryRun)
	switch {
	case apierrors.IsConflict(err):
		return "", fmt.Errorf("another tool changed fields of HTTPRoute %s/%s that igwctl set (%v); --force takes them back", want.GetNamespace(), want.GetName(), err)
	case err != nil:
		return "", fmt.Errorf("applying HTTPRoute %s/%s: %w", want.GetNamespace(), want.GetName(), err)
	}
	return action, nil
}

// clientAction is what an apply would do, judged without the API server: the routes compared
// as matching reads them, defaults filled in on both sides.
func clientAction(before, want *unstructured.Unstructured) string {
	if before == nil {
		return "created"
	}
	b, errB := routing.FromObject(before)
	w, errW := routing.FromObject(want)
	if errB != nil || errW != nil || !reflect.DeepEqual(b.ParentRefs, w.ParentRefs) || !reflect.DeepEqual(b.Rules, w.Rules) ||
		len(b.Hostnames) > 0 || before.GetLabels()[ManagedByLabel] != kube.FieldManager {
		return "configured"
	}
	return "unchanged"
}
