// Package provider is `igwctl install provider`: install a gateway provider's Helm charts with its
// inference extension switch on, then the Gateway the inference extension routes through; or, for
// GKE, check that the managed gateway is ready for it.
package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	catalog "github.com/igw-dev/igw/internal/install/provider"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl install provider` and what the command is given.
type Options struct {
	IO      cmdutil.IOStreams
	Factory kube.Factory
	// Settings are the Helm client's; nil means helm.DefaultSettings() (tests give their own so
	// nothing under $HOME is read).
	Settings *helm.Settings

	Provider         string
	Version          string
	Files            []string
	Set, SetString   []string
	ChartRepo        string
	PlainHTTP        bool
	Gateway          string
	GatewayNamespace string
	GatewayClass     string
	NoGateway        bool
	DryRun           bool
	Wait             bool
	Timeout          time.Duration
	Output           install.Output
}

// NewCmd returns the command; run, when not nil, replaces Run (tests use it to check flag parsing
// alone).
func NewCmd(io cmdutil.IOStreams, f kube.Factory, run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: io, Factory: f, Gateway: catalog.DefaultGateway, Timeout: 5 * time.Minute, Output: install.OutputText}
	cmd := &cobra.Command{
		Use:       "provider " + strings.Join(catalog.Names(), "|"),
		Short:     "Install a gateway provider with the inference extension switched on, and its Gateway",
		ValidArgs: catalog.Names(),
		Long: fmt.Sprintf(`Install a Gateway API implementation that serves InferencePools, with its Helm charts and its
inference extension switch on, then create the Gateway the inference extension routes through
(listener http on port 80) with server-side apply (field manager %q).

  istio         charts base (release istio-base) then istiod (release istiod) from
                https://istio-release.storage.googleapis.com/charts into istio-system, with
                pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true; GatewayClass istio.
  agentgateway  oci://cr.agentgateway.dev/charts/agentgateway-crds then .../agentgateway into
                agentgateway-system, with inferenceExtension.enabled=true; GatewayClass agentgateway.
  nginx         oci://ghcr.io/nginx/charts/nginx-gateway-fabric (release ngf) into nginx-gateway,
                with nginxGateway.gwAPIInferenceExtension.enable=true; GatewayClass nginx.
  gke           managed by Google: nothing is installed. igwctl checks that the Gateway API CRDs,
                a gke-l7-* GatewayClass and the InferencePool CRD are there, says how to fix what
                is missing and fails if something is; then creates the Gateway (class %s).

The Gateway API CRDs must be installed first (igwctl install crds); without them nothing is
installed. Each release is installed or, when it exists, upgraded (helm upgrade --install), so the
command can be run again. -f, --set and --set-string go to the controller chart (istiod,
agentgateway, nginx-gateway-fabric); they can change the inference switch, and igwctl warns when
they turn it off. --chart-repo installs the same charts from a mirror: an OCI registry path
(oci://HOST/PATH, holding HOST/PATH/CHART) or an HTTP chart repository.

Without --wait the command reports whether the controller Deployments are ready and the
GatewayClass accepted as they are at the end, and says "installed but not ready" when they are
not (no error: the controller may still be starting). With --wait it waits up to --timeout for
the Deployments, then for the GatewayClass to be accepted.`, install.FieldManager, catalog.GKEGatewayClass),
		Example: `  # Istio with the inference extension, and Gateway inference-gateway in the current namespace
  igwctl install provider istio --wait

  # Agentgateway from a registry mirror
  igwctl install provider agentgateway --chart-repo oci://registry.example.com/charts

  # NGINX Gateway Fabric, a chosen version, no Gateway
  igwctl install provider nginx --version 2.6.0 --no-gateway

  # Show what would be installed
  igwctl install provider istio --dry-run -o yaml

  # Check a GKE cluster
  igwctl install provider gke`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("give one provider: %s", strings.Join(catalog.Names(), ", "))
			}
			_, err := catalog.Lookup(args[0])
			return err
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Provider = args[0]
			if err := o.Validate(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if run != nil {
				return run(ctx, o)
			}
			return Run(ctx, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Version, "version", "", "chart version (default: the provider's, e.g. Istio 1.29.2, Agentgateway v1.0.0, NGINX Gateway Fabric 2.6.0)")
	fs.StringArrayVarP(&o.Files, "values", "f", nil, "values file for the controller chart (repeatable)")
	fs.StringArrayVar(&o.Set, "set", nil, "value for the controller chart, key=value as helm --set (repeatable)")
	fs.StringArrayVar(&o.SetString, "set-string", nil, "string value for the controller chart, key=value (repeatable)")
	fs.StringVar(&o.ChartRepo, "chart-repo", "", "install the provider's charts from this mirror: oci://HOST/PATH or an HTTP(S) chart repository URL")
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "talk plain HTTP to the OCI registry of --chart-repo")
	fs.StringVar(&o.Gateway, "gateway", o.Gateway, "name of the Gateway to create")
	fs.StringVar(&o.GatewayNamespace, "gateway-namespace", "", "namespace of the Gateway (default: the current namespace)")
	fs.StringVar(&o.GatewayClass, "gateway-class", "", "gatewayClassName of the Gateway (default: the provider's, e.g. istio)")
	fs.BoolVar(&o.NoGateway, "no-gateway", false, "do not create a Gateway")
	fs.BoolVar(&o.DryRun, "dry-run", false, "render the charts and the Gateway without installing anything (no cluster needed)")
	fs.BoolVar(&o.Wait, "wait", false, "wait for the controller to be ready and the GatewayClass accepted")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each release's hooks and --wait may take")
	fs.VarP(o.Output.Value(), "output", "o", "output format: text, json or yaml")
	return cmd
}

// Validate checks the flags that their types cannot.
func (o *Options) Validate(cmd *cobra.Command) error {
	p, err := catalog.Lookup(o.Provider)
	if err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	if p.Managed {
		for _, name := range []string{"version", "values", "set", "set-string", "chart-repo", "plain-http"} {
			if cmd != nil && cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s does not apply to %s: it is managed by the platform, igwctl installs no chart", name, p.Name)
			}
		}
	}
	if o.ChartRepo != "" {
		if err := catalog.ValidateRepo(o.ChartRepo); err != nil {
			return err
		}
	}
	if o.PlainHTTP && !strings.HasPrefix(o.ChartRepo, "oci://") {
		return fmt.Errorf("--plain-http needs --chart-repo oci://HOST/PATH")
	}
	if o.NoGateway {
		for _, name := range []string{"gateway", "gateway-namespace", "gateway-class"} {
			if cmd != nil && cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s and --no-gateway contradict each other", name)
			}
		}
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(o.Gateway); len(errs) > 0 {
		return fmt.Errorf("--gateway %q is not a valid name: %s", o.Gateway, strings.Join(errs, "; "))
	}
	if o.GatewayNamespace != "" {
		if errs := validation.IsDNS1123Label(o.GatewayNamespace); len(errs) > 0 {
			return fmt.Errorf("--gateway-namespace %q is not a valid namespace: %s", o.GatewayNamespace, strings.Join(errs, "; "))
		}
	}
	return nil
}

// Release is one Helm release the command installed or rendered.
type Release struct {
	Release      string   `json:"release"`
	Namespace    string   `json:"namespace"`
	Chart        string   `json:"chart"`
	ChartVersion string   `json:"chartVersion"`
	Action       string   `json:"action"`
	Revision     int      `json:"revision,omitempty"`
	Source       string   `json:"source"`
	Objects      []string `json:"objects,omitempty"`
	Summary      string   `json:"summary"`
	Manifest     string   `json:"manifest,omitempty"` // dry run only
}

// Gateway is the Gateway the command created (or would).
type Gateway struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Class     string `json:"gatewayClassName"`
	Action    string `json:"action"` // created, configured, unchanged, would apply
	Manifest  string `json:"manifest,omitempty"`
}

// Check is one GKE readiness check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Provider     string       `json:"provider"`
	Title        string       `json:"title"`
	Version      string       `json:"version,omitempty"`
	DryRun       bool         `json:"dryRun,omitempty"`
	Releases     []Release    `json:"releases,omitempty"`
	Gateway      *Gateway     `json:"gateway,omitempty"`
	GatewayClass *ClassStatus `json:"gatewayClass,omitempty"`
	Checks       []Check      `json:"checks,omitempty"`
	Ready        bool         `json:"ready"`
	NotReady     []string     `json:"notReady,omitempty"`
	Warnings     []string     `json:"warnings,omitempty"`
	Notes        []string     `json:"notes,omitempty"`
}

func (o *Options) gatewayNamespace() (string, error) {
	if o.GatewayNamespace != "" {
		return o.GatewayNamespace, nil
	}
	if o.Factory == nil {
		return "default", nil
	}
	ns, err := o.Factory.Namespace()
	if err != nil {
		return "", err
	}
	if ns == "" {
		ns = "default"
	}
	return ns, nil
}

func (o *Options) gatewayObject(p catalog.Provider) (map[string]any, error) {
	ns, err := o.gatewayNamespace()
	if err != nil {
		return nil, err
	}
	class := p.GatewayClass
	if o.GatewayClass != "" {
		class = o.GatewayClass
	}
	return catalog.Gateway(o.Gateway, ns, class, p.Name), nil
}

func (o *Options) warnf(res *Result, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	res.Warnings = append(res.Warnings, msg)
	fmt.Fprintln(o.IO.ErrOut, "warning: "+msg)
}

func (o *Options) progressf(format string, args ...any) {
	fmt.Fprintf(o.IO.ErrOut, format+"\n", args...)
}

// loaded is one planned release with its chart fetched and values merged.
func dryRun(ctx context.Context, o *Options, p catalog.Provider, res *Result, all []loaded, gw map[string]any) error {
	settings := helm.SettingsOr(o.Settings)
	for _, l := range all {
		r, err := helm.RenderChart(ctx, settings, l.chart, l.source, l.step.Namespace, l.step.Release, "", l.values)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Title, err)
		}
		rel := releaseFrom(r)
		rel.Manifest = r.Manifest
		res.Releases = append(res.Releases, rel)
	}
	if gw != nil {
		g := gatewayInfo(gw)
		g.Action = "would apply"
		data, err := yaml.Marshal(gw)
		if err != nil {
			return err
		}
		g.Manifest = string(data)
		res.Gateway = g
	}
	res.Notes = append(res.Notes, "dry run: nothing was installed")
	if o.Output != install.OutputText {
		return cmdutil.PrintData(o.IO.Out, string(o.Output), res)
	}
	w := o.IO.Out
	for _, r := range res.Releases {
		fmt.Fprintf(w, "%s from %s\n", r.Summary, r.Source)
		for _, obj := range r.Objects {
			fmt.Fprintf(w, "  %s\n", obj)
		}
	}
	if res.Gateway != nil {
		fmt.Fprintf(w, "Gateway %s/%s would be applied (gatewayClassName %s):\n", res.Gateway.Namespace, res.Gateway.Name, res.Gateway.Class)
		for _, line := range strings.Split(strings.TrimSpace(res.Gateway.Manifest), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	fmt.Fprintf(w, "dry run: nothing was installed (-o yaml shows the rendered manifests)\n")
	return nil
}

func printResult(o *Options, res *Result) error {
	if o.Output != install.OutputText {
		return cmdutil.PrintData(o.IO.Out, string(o.Output), res)
	}
	w := o.IO.Out
	name := res.Title
	if res.Version != "" {
		name += " " + res.Version
	}
	switch {
	case res.Ready && res.GatewayClass != nil:
		fmt.Fprintf(w, "%s installed and ready: GatewayClass %s accepted\n", name, res.GatewayClass.Name)
	case res.Ready:
		fmt.Fprintf(w, "%s installed and ready\n", name)
	default:
		fmt.Fprintf(w, "%s installed but not ready:\n", name)
		for _, nr := range res.NotReady {
			fmt.Fprintf(w, "  %s\n", nr)
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
