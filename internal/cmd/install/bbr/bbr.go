// Package bbr is `igwctl install bbr`: install the Body Based Router's Helm chart (built into
// igwctl) wired into a gateway provider.
package bbr

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// Options are the flags of `igwctl install bbr` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	Provider         string
	Image            string
	Files            []string
	Set, SetString   []string
	Gateway          string
	GatewayNamespace string
	ChartRepo        string
	Chart            string
	Version          string
	PlainHTTP        bool
	DryRun           kube.DryRun
	Wait             bool
	Timeout          time.Duration
	Output           cmdutil.Format

	providerSet, gatewaySet bool
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Provider: "none", Gateway: providers.DefaultGateway, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "bbr",
		Short: "Install bbr, the Body Based Router, wired into the gateway",
		Long: `Install bbr's Helm chart as release "bbr" in the current namespace (-n), with provider.name and
gateway.name set so the chart adds the glue for the gateway provider:

  none          only bbr; point your gateway's ext_proc filter at its Service
  istio         EnvoyFilter on the Gateway (+ DestinationRule for TLS)
  agentgateway  AgentgatewayPolicy running bbr in the PreRouting phase
  gke           GCPRoutingExtension + HealthCheckPolicy
  nginx         nothing: NGINX Gateway Fabric has no ext_proc hook, so bbr runs unused

The chart is built into igwctl, so no network is needed; --chart installs another one (a chart
directory, a .tgz or an oci:// reference) and --chart-repo fetches chart "bbr" from a registry
path (oci://HOST/PATH) or an HTTP chart repository. -f, --set and --set-string are the chart's
values (charts/bbr/values.yaml); --provider, --gateway, --gateway-namespace and --image win over
them. The release is installed, or upgraded when it exists.

--dry-run (or --dry-run=client) renders the chart without a cluster; --dry-run=server renders it
against the cluster as helm install --dry-run=server does, changing nothing.

The provider's CRDs must be installed for its glue (igwctl install provider NAME first).`,
		Example: `  # bbr behind Istio's Gateway inference-gateway, in namespace llm
  igwctl install bbr --provider istio -n llm --wait

  # A specific image, plaintext ext_proc
  igwctl install bbr --provider agentgateway --image ghcr.io/igw-dev/bbr:0.1.0 --set secureServing=false

  # Show the objects without installing
  igwctl install bbr --provider gke --dry-run -o yaml`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			o.providerSet = cmd.Flags().Changed("provider")
			o.gatewaySet = cmd.Flags().Changed("gateway")
			return o.Validate()
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Provider, "provider", o.Provider, "gateway to wire bbr into: "+strings.Join(providers.BBRProviders(), ", "))
	fs.StringVar(&o.Image, "image", "", "bbr image as REPOSITORY:TAG (default: the chart's, ghcr.io/igw-dev/bbr at its appVersion)")
	fs.StringArrayVarP(&o.Files, "values", "f", nil, "values file (repeatable)")
	fs.StringArrayVar(&o.Set, "set", nil, "value, key=value as helm --set (repeatable)")
	fs.StringArrayVar(&o.SetString, "set-string", nil, "string value, key=value (repeatable)")
	fs.StringVar(&o.Gateway, "gateway", o.Gateway, "name of the Gateway bbr sits in front of")
	fs.StringVar(&o.GatewayNamespace, "gateway-namespace", "", "namespace of the Gateway (default: bbr's)")
	fs.StringVar(&o.Chart, "chart", "", "install this chart instead of the built-in one: a directory, a .tgz or oci://HOST/PATH/bbr")
	fs.StringVar(&o.ChartRepo, "chart-repo", "", "fetch chart \"bbr\" from here: oci://HOST/PATH or an HTTP(S) chart repository URL")
	fs.StringVar(&o.Version, "version", "", "chart version with --chart oci://... or --chart-repo (default: the newest)")
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "talk plain HTTP to the OCI registry")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" renders the chart without a cluster; "server" renders it against the cluster, changing nothing; "none" installs`)
	fs.BoolVar(&o.Wait, "wait", false, "wait until bbr's pods are ready")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and --wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Validate checks the flags that their types cannot.
func (o *Options) Validate() error {
	if !slices.Contains(providers.BBRProviders(), o.Provider) {
		return fmt.Errorf("unknown --provider %q; valid: %s", o.Provider, strings.Join(providers.BBRProviders(), ", "))
	}
	if o.Chart != "" && o.ChartRepo != "" {
		return errors.New("--chart and --chart-repo contradict each other: give one")
	}
	if o.ChartRepo != "" {
		if err := providers.ValidateRepo(o.ChartRepo); err != nil {
			return err
		}
	}
	if o.Version != "" && o.Chart == "" && o.ChartRepo == "" {
		return errors.New("--version needs --chart or --chart-repo: the built-in chart has one version")
	}
	if o.PlainHTTP && !strings.HasPrefix(o.ChartRepo, "oci://") && !strings.HasPrefix(o.Chart, "oci://") {
		return errors.New("--plain-http needs an oci:// --chart or --chart-repo")
	}
	if o.Image != "" {
		if _, _, err := splitImage(o.Image); err != nil {
			return err
		}
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

// splitImage splits REPOSITORY:TAG; the tag may not be omitted, and digests are not supported by
// the chart.
func splitImage(image string) (repo, tag string, err error) {
	if strings.Contains(image, "@") {
		return "", "", fmt.Errorf("--image %q: give REPOSITORY:TAG; the chart takes no digest (use --set image.repository=REPO@sha256:... if you must)", image)
	}
	i := strings.LastIndex(image, ":")
	if i <= strings.LastIndex(image, "/") || i == len(image)-1 || i == 0 {
		return "", "", fmt.Errorf("--image %q: give REPOSITORY:TAG, e.g. ghcr.io/igw-dev/bbr:0.1.0", image)
	}
	return image[:i], image[i+1:], nil
}

// Values are the chart values the flags make: defaults in Base (the user's -f/--set win), explicit
// flags in Override (they win over -f/--set).
func (o *Options) Values() helm.Values {
	v := helm.Values{Files: o.Files, Set: o.Set, SetString: o.SetString}
	v.Base = map[string]any{"provider": map[string]any{"name": o.Provider}, "gateway": map[string]any{"name": o.Gateway}}
	override := map[string]any{}
	if o.providerSet {
		providers.SetPath(override, "provider.name", o.Provider)
	}
	if o.gatewaySet {
		providers.SetPath(override, "gateway.name", o.Gateway)
	}
	if o.GatewayNamespace != "" {
		providers.SetPath(override, "gateway.namespace", o.GatewayNamespace)
	}
	if o.Image != "" {
		repo, tag, _ := splitImage(o.Image)
		providers.SetPath(override, "image.repository", repo)
		providers.SetPath(override, "image.tag", tag)
	}
	if len(override) > 0 {
		v.Override = override
	}
	return v
}

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Release      string      `json:"release"`
	Namespace    string      `json:"namespace"`
	Chart        string      `json:"chart"`
	ChartVersion string      `json:"chartVersion"`
	Source       string      `json:"source"`
	Action       string      `json:"action"`
	Revision     int         `json:"revision,omitempty"`
	Provider     string      `json:"provider"`
	Gateway      string      `json:"gateway"`
	Objects      []string    `json:"objects,omitempty"`
	Summary      string      `json:"summary"`
	Ready        bool        `json:"ready"`
	NotReady     []string    `json:"notReady,omitempty"`
	Notes        string      `json:"notes,omitempty"`
	Warnings     []string    `json:"warnings,omitempty"`
	DryRun       kube.DryRun `json:"dryRun,omitempty"`
	Manifest     string      `json:"manifest,omitempty"`

	waited bool
}

// WriteText writes the release's summary, what a dry run would install or whether bbr is ready,
// and the chart's notes.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintln(w, r.Summary)
	if r.DryRun.Enabled() {
		for _, obj := range r.Objects {
			fmt.Fprintf(w, "  %s\n", obj)
		}
		fmt.Fprintln(w, "dry run: nothing was installed (-o yaml shows the rendered manifest)")
	} else if !r.Ready && !r.waited {
		fmt.Fprintf(w, "bbr installed but not ready: %s (--wait waits for it)\n", strings.Join(r.NotReady, "; "))
	}
	if r.Notes != "" {
		fmt.Fprintf(w, "\n%s\n", r.Notes)
	}
	return nil
}

// chartRef is where the chart comes from when not built in.
func (o *Options) chartRef() helm.ChartRef {
	if o.ChartRepo != "" {
		return providers.ChartRef(o.ChartRepo, "bbr", o.Version, o.PlainHTTP)
	}
	return helm.ChartRef{Chart: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP}
}
