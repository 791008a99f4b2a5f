package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// loaded is one planned release with its chart fetched and values merged.
type loaded struct {
	step   providers.Step
	chart  *chart.Chart
	source string
	values map[string]any
}

// Run installs the provider (or checks GKE). Everything that can fail without changing the
// cluster runs first: the Gateway API check, every values file and --set, every chart fetch,
// so a typo cannot leave half a provider behind.
func Run(ctx context.Context, o *Options) error {
	p, err := providers.Lookup(o.Provider)
	if err != nil {
		return err
	}
	if p.Managed {
		return runManaged(ctx, o, p)
	}
	steps, err := providers.Plan(p, providers.Options{Version: o.Version, ChartRepo: o.ChartRepo, PlainHTTP: o.PlainHTTP, Files: o.Files, Set: o.Set, SetString: o.SetString})
	if err != nil {
		return err
	}
	res := &Result{Provider: string(p.Name), Title: p.Title}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	if len(steps) > 0 {
		res.Version = steps[0].Chart.Version
	}
	if err := o.preflight(ctx, p); err != nil {
		return err
	}
	all, err := o.load(ctx, p, steps, res)
	if err != nil {
		return err
	}
	var gw map[string]any
	if !o.NoGateway {
		if gw, err = o.gatewayObject(p); err != nil {
			return err
		}
	}
	if o.DryRun.Enabled() {
		return o.dryRun(ctx, p, res, all, gw)
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	waitedAll, err := o.installReleases(ctx, dyn, p, all, res)
	if err != nil {
		return err
	}
	if err := o.gatewayAndClass(ctx, dyn, p, gw, waitedAll, res); err != nil {
		return err
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// preflight checks that the cluster answers and serves the Gateway API. A client dry run needs
// no cluster.
func (o *Options) preflight(ctx context.Context, p providers.Provider) error {
	if o.DryRun == kube.DryRunClient {
		return nil
	}
	if o.Kube == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	dc, err := o.Kube.Discovery()
	if err != nil {
		return err
	}
	missing, err := gateway.MissingResources(dc, gateway.APIGroupVersion, gateway.APIResources()...)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("the cluster does not serve the Gateway API (%s: %s missing), which %s needs; nothing was installed: run igwctl install crds first",
			gateway.APIGroupVersion, strings.Join(missing, ", "), p.Title)
	}
	return nil
}

// load reads every values file before any chart is fetched: a typo in -f must not wait for,
// or hide behind, a slow or unreachable chart repository.
func (o *Options) load(ctx context.Context, p providers.Provider, steps []providers.Step, res *Result) ([]loaded, error) {
	all := make([]loaded, len(steps))
	for i, s := range steps {
		vals, err := s.Values.Merge()
		if err != nil {
			return nil, err
		}
		if w := providers.SwitchWarning(p, s, vals); w != "" {
			o.warnf(res, "%s", w)
		}
		all[i] = loaded{step: s, values: vals}
	}
	for i := range all {
		s := all[i].step
		o.progressf("fetching %s...", s.Chart)
		ch, source, err := helm.LoadChart(ctx, o.Helm, s.Chart)
		if err != nil {
			return nil, fetchError(err, o, p, s)
		}
		all[i].chart, all[i].source = ch, source
	}
	return all, nil
}

// installReleases installs the loaded charts in order and collects what is not ready. It
// reports whether Helm waited for every release.
func (o *Options) installReleases(ctx context.Context, dyn dynamic.Interface, p providers.Provider, all []loaded, res *Result) (bool, error) {
	hc, err := helm.New(o.Kube, p.Namespace, o.Helm)
	if err != nil {
		return false, err
	}
	waitedAll := true
	for _, l := range all {
		o.progressf("installing %s %s as release %s in %s...", l.chart.Name(), l.chart.Metadata.Version, l.step.Release, l.step.Namespace)
		r, err := hc.Install(ctx, helm.InstallOptions{
			ReleaseName: l.step.Release, Namespace: l.step.Namespace, CreateNamespace: true,
			// The copy fetched and checked above: nothing is downloaded twice.
			Loaded: l.chart, Source: l.source,
			Values: helm.Values{Base: l.values},
			Wait:   o.Wait, Timeout: o.Timeout,
			Description: "installed by igwctl install provider " + string(p.Name),
		})
		if err != nil {
			return false, partialError(p, res, l, err)
		}
		res.Releases = append(res.Releases, releaseFrom(r))
		if r.Waited {
			res.NotReady = append(res.NotReady, r.NotReady...)
			continue
		}
		waitedAll = false
		nr, err := gateway.NotReadyDeployments(ctx, dyn, r.Objects, l.step.Namespace)
		if err != nil {
			return false, err
		}
		res.NotReady = append(res.NotReady, nr...)
	}
	return waitedAll, nil
}

// gatewayAndClass applies the Gateway, then reads (or, with --wait once everything else is
// ready, waits for) the GatewayClass's acceptance and settles res.Ready.
func (o *Options) gatewayAndClass(ctx context.Context, dyn dynamic.Interface, p providers.Provider, gw map[string]any, waitedAll bool, res *Result) error {
	class := p.GatewayClass
	if gw != nil {
		g, err := applyGateway(ctx, dyn, gw, kube.DryRunNone)
		if err != nil {
			return fmt.Errorf("%w; the %s releases (%s) are installed", err, p.Title, releaseNames(res))
		}
		res.Gateway = g
		class = g.Class
	} else if o.GatewayClass != "" {
		class = o.GatewayClass
	}

	var st gateway.ClassStatus
	var err error
	switch {
	case o.Wait && waitedAll && len(res.NotReady) == 0:
		o.progressf("waiting up to %s for GatewayClass %s to be accepted...", o.Timeout, class)
		st, err = gateway.WaitGatewayClass(ctx, dyn, class, o.Timeout)
	default:
		st, err = gateway.GatewayClassStatus(ctx, dyn, class)
		if o.Wait && !st.Accepted {
			res.Notes = append(res.Notes, fmt.Sprintf("did not wait for GatewayClass %s: the controller is not running", class))
		}
	}
	if err != nil {
		return err
	}
	res.GatewayClass = &st
	if !st.Accepted {
		res.NotReady = append([]string{fmt.Sprintf("GatewayClass %s not accepted: %s", class, st.Reason)}, res.NotReady...)
	}
	res.Ready = len(res.NotReady) == 0
	if !res.Ready && !o.Wait {
		res.Notes = append(res.Notes, "the controller may still be starting: check again with --wait, or kubectl get gatewayclass "+class)
	}
	return nil
}

// applyGateway applies gw (none, or server dry run) and says what happened to it.
func applyGateway(ctx context.Context, dyn dynamic.Interface, gw map[string]any, dryRun kube.DryRun) (*Gateway, error) {
	g := gatewayInfo(gw)
	action, err := gateway.Apply(ctx, dyn, gw, dryRun)
	if apierrors.IsConflict(err) {
		return nil, fmt.Errorf("%w; pick another name with --gateway, or leave it alone with --no-gateway", err)
	}
	if err != nil {
		return nil, err
	}
	g.Action = action
	return g, nil
}

func gatewayInfo(gw map[string]any) *Gateway {
	u := &unstructured.Unstructured{Object: gw}
	class, _, _ := unstructured.NestedString(gw, "spec", "gatewayClassName")
	return &Gateway{Name: u.GetName(), Namespace: u.GetNamespace(), Class: class}
}

func releaseFrom(r *helm.Result) Release {
	rel := Release{Release: r.Release, Namespace: r.Namespace, Chart: r.Chart, ChartVersion: r.ChartVersion, Action: r.Action,
		Revision: r.Revision, Source: r.Source, Summary: r.Summary()}
	for _, obj := range r.Objects {
		rel.Objects = append(rel.Objects, obj.String())
	}
	return rel
}

func releaseNames(res *Result) string {
	var names []string
	for _, r := range res.Releases {
		names = append(names, fmt.Sprintf("%s in %s", r.Release, r.Namespace))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// fetchError adds the mirror hint to errors about reaching a chart source. Nothing is installed
// yet when it happens.
func fetchError(err error, o *Options, p providers.Provider, s providers.Step) error {
	msg := err.Error()
	chartName := s.Chart.Chart[strings.LastIndex(s.Chart.Chart, "/")+1:]
	if errors.Is(err, helm.ErrUnreachable) || errors.Is(err, helm.ErrAccessDenied) || errors.Is(err, helm.ErrChartNotFound) {
		if o.ChartRepo == "" {
			msg += fmt.Sprintf("; if %s cannot be reached from here, point igwctl at a mirror holding chart %q with --chart-repo (oci://HOST/PATH or an HTTP chart repository URL)", p.Repo, chartName)
		} else {
			msg += fmt.Sprintf("; check --chart-repo %s (it must hold chart %q)", o.ChartRepo, chartName)
		}
	}
	return fmt.Errorf("%s: nothing was installed: %s", p.Title, msg)
}

// partialError says what failed and what was already applied.
func partialError(p providers.Provider, res *Result, failed loaded, err error) error {
	what := fmt.Sprintf("installing %s: release %s (%s %s) in %s failed: %v", p.Title, failed.step.Release, failed.chart.Name(), failed.chart.Metadata.Version, failed.step.Namespace, err)
	if len(res.Releases) == 0 {
		return fmt.Errorf("%s; nothing else was installed", what)
	}
	var done []string
	for _, r := range res.Releases {
		done = append(done, fmt.Sprintf("release %s (%s %s) in %s", r.Release, r.Chart, r.ChartVersion, r.Namespace))
	}
	return fmt.Errorf("%s; already applied: %s. Fix the problem and run the command again (it upgrades what is there), or remove it with igwctl uninstall provider %s",
		what, strings.Join(done, ", "), p.Name)
}
