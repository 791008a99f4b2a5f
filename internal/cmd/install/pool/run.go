package pool

import (
	"context"
	"errors"
	"fmt"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
)

// plan is what Run has settled before it changes anything.
type plan struct {
	ns, gatewayNS    string
	inferenceVersion string
	gen              pool.Generation
	chart            pool.Chart
	loaded           *chart.Chart
	source           string
	values           map[string]any
	rendered         *helm.Result
	group            string
	objects          []object
	previous         *helm.Status
}

// Run installs the pool. Everything that can fail without changing the cluster runs first:
// values, the cluster checks, the chart fetch and a client-side render (which the chart's own
// validations run in), the objective group.
func Run(ctx context.Context, o *Options) error {
	p := &plan{}
	var err error
	if p.ns, err = o.namespace(); err != nil {
		return err
	}
	o.spec.Namespace = p.ns
	p.gatewayNS = o.GatewayNamespace
	if p.gatewayNS == "" {
		p.gatewayNS = p.ns
	}
	res := &Result{Pool: o.Name, Namespace: p.ns, Release: o.Name}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	if err := o.preflight(ctx, p, res); err != nil {
		return err
	}
	if err := o.load(ctx, p); err != nil {
		return err
	}
	if err := o.checkObjects(ctx, p); err != nil {
		return err
	}
	res.fill(o, p)
	r := p.rendered
	if o.DryRun != kube.DryRunClient {
		if r, err = o.install(ctx, p); err != nil {
			return err
		}
	}
	res.fromRelease(r, p)
	if err := o.applyObjects(ctx, p, res); err != nil {
		return err
	}
	if err := o.readiness(ctx, p, r, res); err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(o.IO.ErrOut, "warning: "+w)
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// namespace is the pool's: -n, the kubeconfig context's, or default.
func (o *Options) namespace() (string, error) { return kube.NamespaceOf(o.Kube) }

// preflight checks the cluster and settles the inference release: the flag, else the installed
// CRD's, else the one igwctl's CRDs come from. A client dry run reads no cluster.
func (o *Options) preflight(ctx context.Context, p *plan, res *Result) error {
	p.inferenceVersion = o.InferenceVersion
	if o.DryRun != kube.DryRunClient {
		if o.Kube == nil {
			return errors.New("no cluster connection")
		}
		if err := kube.Ping(ctx, o.Kube); err != nil {
			return err
		}
		ext, err := o.Kube.APIExtensions()
		if err != nil {
			return err
		}
		installed, err := pool.CheckCRD(ctx, ext)
		if err != nil {
			return err
		}
		if p.inferenceVersion == "" && installed != "" {
			p.inferenceVersion = installed
		}
		if err := o.checkCluster(ctx, p, res); err != nil {
			return err
		}
	}
	if p.inferenceVersion == "" {
		p.inferenceVersion = api.BundleVersion
	}
	gen, err := pool.GenerationOf(p.inferenceVersion)
	if err != nil {
		return fmt.Errorf("%w (the InferencePool CRD says it comes from %s; choose a release with --inference-version)", err, p.inferenceVersion)
	}
	p.gen, p.chart = gen, pool.ChartFor(gen, p.inferenceVersion)
	return nil
}

// checkCluster refuses a missing Gateway and, unless the command need not wait, a selector
// that matches no pod; it also refuses a release igwctl did not install.
func (o *Options) checkCluster(ctx context.Context, p *plan, res *Result) error {
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	if o.Route || o.Provider != "none" {
		dc, err := o.Kube.Discovery()
		if err != nil {
			return err
		}
		if err := pool.CheckGateway(ctx, dc, dyn, p.gatewayNS, o.Gateway, o.Provider); err != nil {
			return err
		}
	}
	n, err := pool.MatchingPods(ctx, dyn, p.ns, o.spec.Selector)
	if err != nil {
		return err
	}
	if n == 0 {
		msg := fmt.Sprintf("no pod in namespace %s matches --selector %s", p.ns, o.Selector)
		if o.Wait && !o.DryRun.Enabled() {
			return fmt.Errorf("%s, so the pool would have no endpoints; nothing was installed: start the model servers first, check the labels (kubectl get pods -n %s --show-labels), or install anyway with --wait=false", msg, p.ns)
		}
		res.Warnings = append(res.Warnings, msg+": the pool has no endpoints until such pods run")
	}
	hc, err := helm.New(o.Kube, p.ns, o.Helm)
	if err != nil {
		return err
	}
	if p.previous, err = hc.Status(ctx, o.Name, p.ns); err != nil {
		return err
	}
	if p.previous.Installed && !pool.OwnRelease(p.previous.Chart, p.previous.Description) && !o.Force {
		return fmt.Errorf("release %s in %s exists (chart %s %s, %q) and igwctl install pool did not install it; nothing was changed: pick another pool name, or take it over with --force",
			o.Name, p.ns, p.previous.Chart, p.previous.ChartVersion, p.previous.Description)
	}
	return nil
}

// load merges the values, refuses keys of the other generation, fetches the chart and renders
// it client-side, then settles the objective group from what it renders.
func (o *Options) load(ctx context.Context, p *plan) error {
	vals, err := pool.Values(p.gen, o.spec, func(f string) bool { return o.given[f] }, o.Files, o.Set, o.SetString).Merge()
	if err != nil {
		return err
	}
	if err := pool.CheckKeys(p.gen, vals); err != nil {
		return err
	}
	p.values = vals
	ref := p.chart.Ref(o.ChartRepo, o.Version, o.PlainHTTP)
	fmt.Fprintf(o.IO.ErrOut, "fetching %s %s (%s chart for inference release %s)...\n", ref.Chart, ref.Version, p.gen, p.inferenceVersion)
	if p.loaded, p.source, err = helm.LoadChart(ctx, o.Helm, ref); err != nil {
		hint := "check --chart-repo and --version"
		if o.ChartRepo == "" {
			hint = fmt.Sprintf("if %s cannot be reached from here, point igwctl at a mirror holding chart %q with --chart-repo", p.chart.Repo, p.chart.Name)
		}
		return fmt.Errorf("%w; %s; nothing was installed", err, hint)
	}
	if p.rendered, err = helm.RenderChart(ctx, o.Helm, p.loaded, p.source, p.ns, o.Name, "", vals); err != nil {
		return fmt.Errorf("%w; nothing was installed", err)
	}
	if len(o.objectives) > 0 {
		served := map[string][]string(nil)
		if o.DryRun != kube.DryRunClient {
			dc, err := o.Kube.Discovery()
			if err != nil {
				return err
			}
			if served, err = pool.Served(dc); err != nil {
				return err
			}
		}
		if p.group, err = pool.ObjectiveGroup(p.gen, p.rendered.Manifest, o.spec, served); err != nil {
			return err
		}
		if served != nil && !pool.ObjectivesServed(served, p.group) {
			flag := map[string]string{pool.LLMDGroup: "llm-d", pool.LegacyGroup: "x-k8s"}[p.group]
			return fmt.Errorf("the picker this chart installs reads InferenceObjectives in %s, which the cluster does not serve; nothing was installed: run igwctl install crds --objective-group %s", p.group, flag)
		}
	}
	return nil
}

// install installs or upgrades the release (or has the cluster check it, with --dry-run=server).
func (o *Options) install(ctx context.Context, p *plan) (*helm.Result, error) {
	hc, err := helm.New(o.Kube, p.ns, o.Helm)
	if err != nil {
		return nil, err
	}
	verb := "installing"
	if o.DryRun == kube.DryRunServer {
		verb = "checking with the cluster"
	}
	fmt.Fprintf(o.IO.ErrOut, "%s %s %s as release %s in %s...\n", verb, p.loaded.Name(), p.loaded.Metadata.Version, o.Name, p.ns)
	r, err := hc.Install(ctx, helm.InstallOptions{
		ReleaseName: o.Name, Namespace: p.ns, CreateNamespace: true, Loaded: p.loaded, Source: p.source,
		Values: helm.Values{Base: p.values}, Timeout: o.Timeout, Description: pool.ReleaseDescription, DryRun: o.DryRun, TakeOwnership: o.Force,
	})
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was installed", err)
	}
	return r, nil
}
