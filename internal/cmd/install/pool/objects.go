package pool

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
)

// object is one object igwctl applies next to the release.
type object struct {
	gvr    schema.GroupVersionResource
	obj    map[string]any
	detail string
}

// checkObjects builds the route and objectives and, on a cluster, refuses to change any that
// igwctl did not create, before the release is touched.
func (o *Options) checkObjects(ctx context.Context, p *plan) error {
	if o.Route {
		p.objects = append(p.objects, object{pool.RouteGVR, pool.Route(o.spec, pool.RouteSpec{Gateway: o.Gateway, GatewayNamespace: p.gatewayNS, BaseModel: o.BaseModel, Provider: o.Provider}), routeDetail(o, p)})
	}
	for _, obj := range o.objectives {
		p.objects = append(p.objects, object{pool.ObjectiveGVR(p.group), pool.ObjectiveObject(o.spec, obj, p.group), fmt.Sprintf("%s, priority %d", p.group, obj.Priority)})
	}
	if o.DryRun == kube.DryRunClient || o.Force || len(p.objects) == 0 {
		return nil
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	for _, ob := range p.objects {
		cur, err := pool.Existing(ctx, dyn, ob.gvr, ob.obj, o.Name)
		if err != nil {
			return err
		}
		if cur != nil {
			return fmt.Errorf("%s %s/%s exists and igwctl did not create it for pool %s (no labels %s); nothing was installed: pick another name, or take it over with --force",
				cur.GetKind(), cur.GetNamespace(), cur.GetName(), o.Name, pool.OwnedSelector(o.Name))
		}
	}
	return nil
}

// applyObjects applies the route and objectives after the release; with --dry-run=client it
// shows them instead.
func (o *Options) applyObjects(ctx context.Context, p *plan, res *Result) error {
	if len(p.objects) == 0 {
		return nil
	}
	var apply func(object) (pool.Applied, error)
	if o.DryRun == kube.DryRunClient {
		apply = func(ob object) (pool.Applied, error) { return pool.Apply(ctx, nil, ob.gvr, ob.obj, o.DryRun) }
	} else {
		dyn, err := o.Kube.Dynamic()
		if err != nil {
			return err
		}
		apply = func(ob object) (pool.Applied, error) { return pool.Apply(ctx, dyn, ob.gvr, ob.obj, o.DryRun) }
	}
	for _, ob := range p.objects {
		a, err := apply(ob)
		if err != nil {
			return fmt.Errorf("%w; release %s is installed (igwctl install pool again retries, igwctl uninstall pool %s removes it)", err, o.Name, o.Name)
		}
		a.Detail = ob.detail
		res.Applied = append(res.Applied, a)
		if o.DryRun.Enabled() {
			data, err := yaml.Marshal(ob.obj)
			if err != nil {
				return err
			}
			res.Manifest += "---\n" + string(data)
		}
	}
	return nil
}

// readiness reads, or with --wait waits for, the picker and the gateways' acceptance.
func (o *Options) readiness(ctx context.Context, p *plan, r *helm.Result, res *Result) error {
	if o.DryRun.Enabled() {
		return nil
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	want := ""
	if o.Route {
		want = p.gatewayNS + "/" + o.Gateway
	}
	var rd pool.Readiness
	if o.Wait {
		fmt.Fprintf(o.IO.ErrOut, "waiting up to %s for the endpoint picker and the gateway to accept the pool...\n", o.Timeout)
		rd, err = pool.Wait(ctx, dyn, r.Objects, p.ns, o.Name, want, o.Timeout, o.PollInterval)
	} else {
		rd, err = pool.Check(ctx, dyn, r.Objects, p.ns, o.Name, want)
	}
	if err != nil {
		return err
	}
	res.Waited = o.Wait
	res.Ready, res.NotReady, res.Parents = rd.Ready(), rd.NotReady, rd.Parents
	if res.Ready && len(rd.Parents) == 0 {
		res.Notes = append(res.Notes, "no Gateway routes to the pool yet: --route adds its HTTPRoute, or igwctl route set MODEL --pool "+o.Name+"=100 a weighted one")
	}
	return nil
}

func routeDetail(o *Options, p *plan) string {
	d := fmt.Sprintf("on Gateway %s/%s", p.gatewayNS, o.Gateway)
	if o.BaseModel != "" {
		d += fmt.Sprintf(", requests with %s: %s", pool.BaseModelHeader, o.BaseModel)
	}
	return d
}
