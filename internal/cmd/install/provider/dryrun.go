package provider

import (
	"context"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// dryRun renders every release and the Gateway and prints them, installing nothing: client-side
// without a cluster, or, with --dry-run=server, against the cluster, which checks the Gateway too.
func (o *Options) dryRun(ctx context.Context, p providers.Provider, res *Result, all []loaded, gw map[string]any) error {
	for _, l := range all {
		r, err := o.render(ctx, l)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Title, err)
		}
		rel := releaseFrom(r)
		rel.Manifest = r.Manifest
		res.Releases = append(res.Releases, rel)
	}
	if gw != nil {
		g, err := o.dryRunGateway(ctx, gw)
		if err != nil {
			return err
		}
		data, err := yaml.Marshal(gw)
		if err != nil {
			return err
		}
		g.Manifest = string(data)
		res.Gateway = g
	}
	res.Notes = append(res.Notes, "dry run: nothing was installed")
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// render is one release as --dry-run shows it.
func (o *Options) render(ctx context.Context, l loaded) (*helm.Result, error) {
	if o.DryRun == kube.DryRunClient {
		return helm.RenderChart(ctx, o.Helm, l.chart, l.source, l.step.Namespace, l.step.Release, "", l.values)
	}
	hc, err := helm.New(o.Kube, l.step.Namespace, o.Helm)
	if err != nil {
		return nil, err
	}
	return hc.Install(ctx, helm.InstallOptions{ReleaseName: l.step.Release, Namespace: l.step.Namespace,
		Loaded: l.chart, Source: l.source, Values: helm.Values{Base: l.values}, DryRun: kube.DryRunServer})
}

// dryRunGateway is what would happen to the Gateway: unknown without a cluster, or what the API
// server answers to a dry-run apply.
func (o *Options) dryRunGateway(ctx context.Context, gw map[string]any) (*Gateway, error) {
	if o.DryRun == kube.DryRunClient {
		g := gatewayInfo(gw)
		g.Action = "would apply"
		return g, nil
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return nil, err
	}
	return applyGateway(ctx, dyn, gw, kube.DryRunServer)
}
