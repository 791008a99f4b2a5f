// Package provider is `igwctl install provider`: install a gateway provider's Helm charts with its
// inference extension switch on, then the Gateway the inference extension routes through; or, for
// GKE, check that the managed gateway is ready for it.
package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// Options are the flags of `igwctl install provider` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

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
	DryRun           kube.DryRun
	Wait             bool
	Timeout          time.Duration
	Output           cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Gateway: providers.DefaultGateway, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:       "provider " + strings.Join(providers.Names(), "|"),
		Short:     "Install a gateway provider with the inference extension switched on, and its Gateway",
		ValidArgs: providers.Names(),
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

--dry-run (or --dry-run=client) renders the charts and the Gateway without a cluster;
--dry-run=server renders them against the cluster, as helm install --dry-run=server does, and has
the API server check the Gateway, changing nothing.

Without --wait the command reports whether the controller Deployments are ready and the
GatewayClass accepted as they are at the end, and says "installed but not ready" when they are
not (no error: the controller may still be starting). With --wait it waits up to --timeout for
the Deployments, then for the GatewayClass to be accepted.`, kube.FieldManager, providers.GKEGatewayClass),
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
				return fmt.Errorf("give one provider: %s", strings.Join(providers.Names(), ", "))
			}
			_, err := providers.Lookup(args[0])
			return err
		},
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, args []string) error {
			o.Provider = args[0]
			return o.Validate(cmd)
		}),
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
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" renders the charts and the Gateway without a cluster; "server" renders them against the cluster and has it check the Gateway; "none" installs`)
	fs.BoolVar(&o.Wait, "wait", false, "wait for the controller to be ready and the GatewayClass accepted")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each release's hooks and --wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Validate checks the flags that their types cannot.
func (o *Options) Validate(cmd *cobra.Command) error {
	p, err := providers.Lookup(o.Provider)
	if err != nil {
		return err
	}
	if p.Managed {
		for _, name := range []string{"version", "values", "set", "set-string", "chart-repo", "plain-http"} {
			if cmd != nil && cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s does not apply to %s: it is managed by the platform, igwctl installs no chart", name, p.Name)
			}
		}
	}
	if o.ChartRepo != "" {
		if err := providers.ValidateRepo(o.ChartRepo); err != nil {
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

func (o *Options) gatewayNamespace() (string, error) {
	if o.GatewayNamespace != "" {
		return o.GatewayNamespace, nil
	}
	return kube.NamespaceOf(o.Kube)
}

func (o *Options) gatewayObject(p providers.Provider) (map[string]any, error) {
	ns, err := o.gatewayNamespace()
	if err != nil {
		return nil, err
	}
	class := p.GatewayClass
	if o.GatewayClass != "" {
		class = o.GatewayClass
	}
	return providers.Gateway(o.Gateway, ns, class, p.Name), nil
}

func (o *Options) warnf(res *Result, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	res.Warnings = append(res.Warnings, msg)
	fmt.Fprintln(o.IO.ErrOut, "warning: "+msg)
}

func (o *Options) progressf(format string, args ...any) {
	fmt.Fprintf(o.IO.ErrOut, format+"\n", args...)
}
