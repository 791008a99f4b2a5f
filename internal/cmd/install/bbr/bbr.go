// Package bbr is `igwctl install bbr`: install the Body Based Router's Helm chart (built into
// igwctl) wired into a gateway provider.
package bbr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/igw-dev/igw/charts"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	catalog "github.com/igw-dev/igw/internal/install/provider"
	"github.com/igw-dev/igw/internal/kube"
)

// ReleaseName is the Helm release igwctl installs bbr as.
const ReleaseName = "bbr"

// Options are the flags of `igwctl install bbr` and what the command is given.
type Options struct {
	IO      cmdutil.IOStreams
	Factory kube.Factory
	// Settings are the Helm client's; nil means helm.DefaultSettings().
	Settings *helm.Settings

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
	DryRun           bool
	Wait             bool
	Timeout          time.Duration
	Output           install.Output

	providerSet, gatewaySet bool
}

// NewCmd returns the command; run, when not nil, replaces Run (tests use it to check flag parsing
// alone).
func NewCmd(io cmdutil.IOStreams, f kube.Factory, run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: io, Factory: f, Provider: "none", Gateway: catalog.DefaultGateway, Timeout: 5 * time.Minute, Output: install.OutputText}
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

The provider's CRDs must be installed for its glue (igwctl install provider NAME first).`,
		Example: `  # bbr behind Istio's Gateway inference-gateway, in namespace llm
  igwctl install bbr --provider istio -n llm --wait

  # A specific image, plaintext ext_proc
  igwctl install bbr --provider agentgateway --image ghcr.io/igw-dev/bbr:0.1.0 --set secureServing=false

  # Show the objects without installing
  igwctl install bbr --provider gke --dry-run -o yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.providerSet = cmd.Flags().Changed("provider")
			o.gatewaySet = cmd.Flags().Changed("gateway")
			if err := o.Validate(); err != nil {
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
	fs.StringVar(&o.Provider, "provider", o.Provider, "gateway to wire bbr into: "+strings.Join(catalog.BBRProviders(), ", "))
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
	fs.BoolVar(&o.DryRun, "dry-run", false, "render the chart without installing anything (no cluster needed)")
	fs.BoolVar(&o.Wait, "wait", false, "wait until bbr's pods are ready")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and --wait may take")
	fs.VarP(o.Output.Value(), "output", "o", "output format: text, json or yaml")
	return cmd
}

// Validate checks the flags that their types cannot.
func (o *Options) Validate() error {
	if !slices.Contains(catalog.BBRProviders(), o.Provider) {
		return fmt.Errorf("unknown --provider %q; valid: %s", o.Provider, strings.Join(catalog.BBRProviders(), ", "))
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	if o.Chart != "" && o.ChartRepo != "" {
		return errors.New("--chart and --chart-repo contradict each other: give one")
	}
	if o.ChartRepo != "" {
		if err := catalog.ValidateRepo(o.ChartRepo); err != nil {
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
		catalog.SetPath(override, "provider.name", o.Provider)
	}
	if o.gatewaySet {
		catalog.SetPath(override, "gateway.name", o.Gateway)
	}
	if o.GatewayNamespace != "" {
		catalog.SetPath(override, "gateway.namespace", o.GatewayNamespace)
	}
	if o.Image != "" {
		repo, tag, _ := splitImage(o.Image)
		catalog.SetPath(override, "image.repository", repo)
		catalog.SetPath(override, "image.tag", tag)
	}
	if len(override) > 0 {
		v.Override = override
	}
	return v
}

// Result is what the command did, as -o json|yaml prints it.
type Result struct {
	Release      string   `json:"release"`
	Namespace    string   `json:"namespace"`
	Chart        string   `json:"chart"`
	ChartVersion string   `json:"chartVersion"`
	Source       string   `json:"source"`
	Action       string   `json:"action"`
	Revision     int      `json:"revision,omitempty"`
	Provider     string   `json:"provider"`
	Gateway      string   `json:"gateway"`
	Objects      []string `json:"objects,omitempty"`
	Summary      string   `json:"summary"`
	Ready        bool     `json:"ready"`
	NotReady     []string `json:"notReady,omitempty"`
	Notes        string   `json:"notes,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
	Manifest     string   `json:"manifest,omitempty"`
}

// chartRef is where the chart comes from when not built in.
func (o *Options) chartRef() helm.ChartRef {
	if o.ChartRepo != "" {
		return catalog.ChartRef(o.ChartRepo, "bbr", o.Version, o.PlainHTTP)
	}
	return helm.ChartRef{Chart: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP}
}

// LoadBuiltin loads the chart built into igwctl.
func LoadBuiltin() (*chart.Chart, error) {
	fsys := charts.BBR()
	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: path, Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}
