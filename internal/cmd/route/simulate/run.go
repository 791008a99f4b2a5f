package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/cmdutil"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/routing"
)

var (
	gkGateway   = schema.GroupKind{Group: routing.GatewayGroup, Kind: "Gateway"}
	gkHTTPRoute = schema.GroupKind{Group: routing.GatewayGroup, Kind: "HTTPRoute"}
	gkConfigMap = schema.GroupKind{Kind: "ConfigMap"}
)

// Run predicts where the request goes and prints it; the exit status is 1 when it would fail,
// 3 when the prediction could not be made (unreadable files, no cluster, no such Gateway).
func Run(ctx context.Context, o *Options) error {
	snap, ns, err := o.snapshot(ctx)
	if err != nil {
		return cannot(err)
	}
	res := &Result{}
	gw, err := o.gateway(snap, ns, res)
	if err != nil {
		return cannot(err)
	}
	routes, err := decodeRoutes(snap)
	if err != nil {
		return cannot(err)
	}
	policy, err := o.policy(snap, res)
	if err != nil {
		return cannot(err)
	}
	body, err := o.body()
	if err != nil {
		return cannot(err)
	}
	headers := o.clientHeaders()
	res.predict(policy, body, headers, gw, routes, routing.Request{Method: o.Method, Path: o.Path, Host: o.Host})
	if err := cmdutil.Print(o.IO.Out, o.Output, res); err != nil {
		return err
	}
	if res.Status != 200 {
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}

// snapshot reads the objects from -f, or from every namespace of the cluster, and says which
// namespace a --gateway without one is in.
func (o *Options) snapshot(ctx context.Context) (*diag.Snapshot, string, error) {
	if len(o.Files) > 0 {
		ns := o.Namespace
		if ns == "" {
			ns = "default"
		}
		objs, err := manifest.Load(manifest.Options{Paths: o.Files, Recursive: o.Recursive, Stdin: o.IO.In})
		if err != nil {
			return nil, "", err
		}
		return diag.FromManifests(objs, ns), ns, nil
	}
	if o.Kube == nil {
		return nil, "", fmt.Errorf("no cluster to read: give the routes as files with -f FILE")
	}
	ns := o.Namespace
	if ns == "" {
		var err error
		if ns, err = o.Kube.Namespace(); err != nil {
			return nil, "", err
		}
	}
	res, err := inventory.Read(ctx, o.Kube, inventory.Scope{All: true})
	if err != nil {
		return nil, "", err
	}
	res.WriteGaps(o.IO.ErrOut, "the prediction")
	return res.Snapshot, ns, nil
}

// gateway finds --gateway. Files need not hold it: then every route naming it is taken as
// attached, and the result says so.
func (o *Options) gateway(snap *diag.Snapshot, ns string, res *Result) (*routing.Gateway, error) {
	name := o.Gateway
	if n, rest, ok := strings.Cut(o.Gateway, "/"); ok {
		ns, name = n, rest
	}
	res.Gateway = ns + "/" + name
	for _, u := range snap.OfKind(gkGateway) {
		if u.GetNamespace() == ns && u.GetName() == name {
			gw := routing.GatewayFromObject(u)
			return &gw, nil
		}
	}
	if snap.Live {
		return nil, fmt.Errorf("no Gateway %s in the cluster; list them with kubectl get gateways -A", res.Gateway)
	}
	res.Notes = append(res.Notes, "Gateway "+res.Gateway+" is not in the files: taken as one HTTP listener for any host, admitting routes from every namespace")
	return &routing.Gateway{Namespace: ns, Name: name, Listeners: []routing.Listener{{Name: "http", Protocol: "HTTP", Port: 80, From: "All"}}}, nil
}

func decodeRoutes(snap *diag.Snapshot) ([]*routing.Route, error) {
	var out []*routing.Route
	for _, u := range snap.OfKind(gkHTTPRoute) {
		r, err := routing.FromObject(u)
		if err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, nil
}

// policy is bbr's, with its default flags and the adapter mapping it would read.
func (o *Options) policy(snap *diag.Snapshot, res *Result) (*bbr.Policy, error) {
	def := bbr.DefaultOptions()
	store := adapters.NewStore(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if o.Adapters != "" {
		if _, err := (&adapters.FileSource{Path: o.Adapters, Store: store}).Load(); err != nil {
			return nil, err
		}
	} else {
		o.configMaps(snap, store, res)
	}
	return bbr.NewPolicy(bbr.Policy{ModelHeaders: def.ModelHeaders, BaseModelHeader: def.BaseModelHeader,
		RequireModel: def.RequireModel, MaxModelLength: def.MaxModelLength, Adapters: store.Snapshot})
}

// configMaps loads the labelled ConfigMaps into store under the keys bbr's watch uses, so
// conflicting adapters resolve as bbr resolves them.
func (o *Options) configMaps(snap *diag.Snapshot, store *adapters.Store, res *Result) {
	for _, u := range snap.OfKind(gkConfigMap) {
		for _, label := range adapters.Labels {
			if u.GetLabels()[label] != "true" {
				continue
			}
			data := map[string]string{}
			raw, _ := u.Object["data"].(map[string]any)
			for k, v := range raw {
				data[k] = fmt.Sprint(v)
			}
			e, err := adapters.ParseConfigMapData(data)
			if err != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("ConfigMap %s/%s ignored, as bbr ignores it: %v", u.GetNamespace(), u.GetName(), err))
				continue
			}
			store.Set("cm:"+label+":"+u.GetNamespace()+"/"+u.GetName(), []adapters.Entry{e})
		}
	}
}

// body is --body (JSON, a file, or stdin) or {"model": --model}.
func (o *Options) body() ([]byte, error) {
	if o.Model != "" {
		return json.Marshal(map[string]string{"model": o.Model})
	}
	b := strings.TrimSpace(o.Body)
	switch {
	case strings.HasPrefix(b, "{") || strings.HasPrefix(b, "["):
		return []byte(o.Body), nil
	case b == "-":
		return io.ReadAll(o.IO.In)
	}
	data, err := os.ReadFile(o.Body)
	if err != nil {
		return nil, fmt.Errorf("--body: %w (give a JSON object, a file or -)", err)
	}
	return data, nil
}

// clientHeaders are -H as a proxy hands them on: lower-case names, repeated names kept in order.
func (o *Options) clientHeaders() map[string][]string {
	hs := map[string][]string{}
	for _, h := range o.Headers {
		k, v, _ := strings.Cut(h, ":")
		k = strings.ToLower(strings.TrimSpace(k))
		hs[k] = append(hs[k], strings.TrimSpace(v))
	}
	return hs
}

// cannot marks err as "simulate could not run" (exit 3), so a script tells a request that would
// fail (1) from a prediction that was never made.
func cannot(err error) error { return cmdutil.WithCode(3, err) }
