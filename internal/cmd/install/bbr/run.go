package bbr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/charts"
	"github.com/igw-dev/igw/internal/chartrelease"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// Run installs bbr.
func Run(ctx context.Context, o *Options) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	ch, source, err := o.loadChart(ctx)
	if err != nil {
		return err
	}
	values, err := o.Values(ch.Metadata.AppVersion)
	if err != nil {
		return err
	}
	vals, err := values.Merge()
	if err != nil {
		return err
	}
	var warnings []string
	// What the chart will do is what the merged values say, whatever flag set them.
	prov, _ := helm.ValuesPath(vals, "provider.name")
	provName := fmt.Sprint(prov)
	if note := providers.BBRNote(providers.Name(provName)); note != "" {
		warnings = append(warnings, note)
	}
	gwName, _ := helm.ValuesPath(vals, "gateway.name")

	var r *helm.Result
	if o.DryRun == kube.DryRunClient {
		r, err = helm.RenderChart(ctx, o.Helm, ch, source, ns, charts.BBRRelease, "", vals)
	} else {
		r, err = o.install(ctx, ns, ch, source, vals, provName)
	}
	if err != nil {
		return err
	}
	res := &Result{Release: r.Release, Namespace: r.Namespace, Chart: r.Chart, ChartVersion: r.ChartVersion, Source: r.Source, Action: r.Action,
		Revision: r.Revision, Provider: provName, Gateway: fmt.Sprint(gwName), Image: deploymentImage(r.Manifest), Summary: r.Summary(), Notes: strings.TrimSpace(r.Notes), Warnings: warnings,
		waited: r.Waited}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	for _, obj := range r.Objects {
		res.Objects = append(res.Objects, obj.String())
	}
	if err := o.readiness(ctx, r, ns, res); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(o.IO.ErrOut, "note: "+w)
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// namespace is the release's: -n, the kubeconfig context's, or default.
func (o *Options) namespace() (string, error) { return kube.NamespaceOf(o.Kube) }

// loadChart is the chart built into igwctl unless --chart or --chart-repo names another.
func (o *Options) loadChart(ctx context.Context) (*chart.Chart, string, error) {
	if o.Chart == "" && o.ChartRepo == "" {
		ch, err := helm.LoadFS(charts.BBR())
		if err != nil {
			return nil, "", fmt.Errorf("loading the built-in bbr chart: %w", err)
		}
		if o.BuiltinVersion != "" {
			// A release's chart is published at the release's version; the copy built into
			// igwctl says the same, so its default image is igwctl's own version.
			chartrelease.Stamp(ch, o.BuiltinVersion)
		}
		return ch, "built into igwctl", nil
	}
	return helm.LoadChart(ctx, o.Helm, o.chartRef())
}

// install installs or upgrades the release from the loaded chart, or with --dry-run=server has
// Helm check it against the cluster.
func (o *Options) install(ctx context.Context, ns string, ch *chart.Chart, source string, vals map[string]any, provName string) (*helm.Result, error) {
	if o.Kube == nil {
		return nil, errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return nil, err
	}
	hc, err := helm.New(o.Kube, ns, o.Helm)
	if err != nil {
		return nil, err
	}
	verb := "installing"
	if o.DryRun == kube.DryRunServer {
		verb = "checking with the cluster"
	}
	fmt.Fprintf(o.IO.ErrOut, "%s %s %s (%s) as release %s in %s with provider.name=%s...\n", verb, ch.Name(), ch.Metadata.Version, source, charts.BBRRelease, ns, provName)
	r, err := hc.Install(ctx, helm.InstallOptions{
		ReleaseName: charts.BBRRelease, Namespace: ns, CreateNamespace: true, Loaded: ch, Source: source, Values: helm.Values{Base: vals},
		Wait: o.Wait, Timeout: o.Timeout, Description: "installed by igwctl install bbr", DryRun: o.DryRun,
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
	case o.DryRun.Enabled():
		res.Manifest = r.Manifest
	case r.Waited:
		res.Ready, res.NotReady = r.Ready, r.NotReady
	default:
		dyn, err := o.Kube.Dynamic()
		if err != nil {
			return err
		}
		if res.NotReady, err = gateway.NotReadyDeployments(ctx, dyn, r.Objects, ns); err != nil {
			return err
		}
		res.Ready = len(res.NotReady) == 0
	}
	return nil
}

// deploymentImage is the image of the rendered Deployment's bbr container (its first container
// when none is named bbr), what will run; empty when the manifest has no Deployment.
func deploymentImage(manifest string) string {
	for _, doc := range strings.Split(manifest, "\n---") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Name  string `json:"name"`
							Image string `json:"image"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Kind != "Deployment" {
			continue
		}
		cs := obj.Spec.Template.Spec.Containers
		for _, c := range cs {
			if c.Name == "bbr" {
				return c.Image
			}
		}
		if len(cs) > 0 {
			return cs[0].Image
		}
	}
	return ""
}
