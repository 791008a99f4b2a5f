package bbr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/igw-dev/igw/internal/cmd/install/provider"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	catalog "github.com/igw-dev/igw/internal/install/provider"
	"github.com/igw-dev/igw/internal/kube"
)

// Run installs bbr.
func Run(ctx context.Context, o *Options) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	vals, err := o.Values().Merge()
	if err != nil {
		return err
	}
	ch, source, err := o.loadChart(ctx)
	if err != nil {
		return err
	}
	var warnings []string
	// What the chart will do is what the merged values say, whatever flag set them.
	prov, _ := helm.ValuesPath(vals, "provider.name")
	provName := fmt.Sprint(prov)
	if note := catalog.BBRNote(catalog.Name(provName)); note != "" {
		warnings = append(warnings, note)
	}
	gwName, _ := helm.ValuesPath(vals, "gateway.name")

	var r *helm.Result
	if o.DryRun {
		r, err = helm.RenderChart(ctx, helm.SettingsOr(o.Settings), ch, source, ns, ReleaseName, "", vals)
	} else {
		r, err = o.install(ctx, ns, ch, source, vals, provName)
	}
	if err != nil {
		return err
	}
	res := &Result{Release: r.Release, Namespace: r.Namespace, Chart: r.Chart, ChartVersion: r.ChartVersion, Source: r.Source, Action: r.Action,
		Revision: r.Revision, Provider: provName, Gateway: fmt.Sprint(gwName), Summary: r.Summary(), Notes: strings.TrimSpace(r.Notes), Warnings: warnings}
	for _, obj := range r.Objects {
		res.Objects = append(res.Objects, obj.String())
	}
	if err := o.readiness(ctx, r, ns, res); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(o.IO.ErrOut, "note: "+w)
	}
	return o.print(res, r.Waited)
}

// namespace is the release's: -n, the kubeconfig context's, or default.
func (o *Options) namespace() (string, error) {
	if o.Factory == nil {
		return "default", nil
	}
	n, err := o.Factory.Namespace()
	if err != nil || n == "" {
		return "default", err
	}
	return n, nil
}

// loadChart is the chart built into igwctl unless --chart or --chart-repo names another.
func (o *Options) loadChart(ctx context.Context) (*chart.Chart, string, error) {
	if o.Chart == "" && o.ChartRepo == "" {
		ch, err := LoadBuiltin()
		if err != nil {
			return nil, "", fmt.Errorf("loading the built-in bbr chart: %w", err)
		}
		return ch, "built into igwctl", nil
	}
	return helm.LoadChart(ctx, helm.SettingsOr(o.Settings), o.chartRef())
}

// install installs or upgrades the release from the loaded chart.
func (o *Options) install(ctx context.Context, ns string, ch *chart.Chart, source string, vals map[string]any, provName string) (*helm.Result, error) {
	if o.Factory == nil {
		return nil, errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Factory); err != nil {
		return nil, err
	}
	cfg, err := o.Factory.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	hc, err := helm.NewForConfig(cfg, ns, helm.SettingsOr(o.Settings))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.IO.ErrOut, "installing %s %s (%s) as release %s in %s with provider.name=%s...\n", ch.Name(), ch.Metadata.Version, source, ReleaseName, ns, provName)
	r, err := hc.Install(ctx, helm.InstallOptions{
		ReleaseName: ReleaseName, Namespace: ns, CreateNamespace: true, Loaded: ch, Source: source, Values: helm.Values{Base: vals},
		Wait: o.Wait, Timeout: o.Timeout, Description: "installed by igwctl install bbr",
	})
	if err != nil {
		if errors.Is(err, helm.ErrMissingAPI) && provName != "none" {
			return nil, fmt.Errorf("%w; the glue for provider %q needs that provider's CRDs: run igwctl install provider %s first, or install bbr alone with --provider none", err, provName, provName)
		}
		return nil, err
	}
	return r, nil
}

// readiness fills in what is not ready: Helm's answer when it waited, the Deployments'
// status when it did not; a dry run keeps the manifest instead.
func (o *Options) readiness(ctx context.Context, r *helm.Result, ns string, res *Result) error {
	switch {
	case o.DryRun:
		res.Manifest = r.Manifest
	case r.Waited:
		res.Ready, res.NotReady = r.Ready, r.NotReady
	default:
		dyn, err := o.Factory.Dynamic()
		if err != nil {
			return err
		}
		if res.NotReady, err = provider.NotReadyDeployments(ctx, dyn, r.Objects, ns); err != nil {
			return err
		}
		res.Ready = len(res.NotReady) == 0
	}
	return nil
}

func (o *Options) print(res *Result, waited bool) error {
	if o.Output != install.OutputText {
		return cmdutil.PrintData(o.IO.Out, string(o.Output), res)
	}
	w := o.IO.Out
	fmt.Fprintln(w, res.Summary)
	if o.DryRun {
		for _, obj := range res.Objects {
			fmt.Fprintf(w, "  %s\n", obj)
		}
		fmt.Fprintln(w, "dry run: nothing was installed (-o yaml shows the rendered manifest)")
	} else if !res.Ready && !waited {
		fmt.Fprintf(w, "bbr installed but not ready: %s (--wait waits for it)\n", strings.Join(res.NotReady, "; "))
	}
	if res.Notes != "" {
		fmt.Fprintf(w, "\n%s\n", res.Notes)
	}
	return nil
}
