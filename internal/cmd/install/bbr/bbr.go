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
	"github.com/igw-dev/igw/internal/version"
)

// Options are the flags of `igwctl install bbr` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	Provider         string
	Image            string
	ImageRepository  string
	ImageTag         string
	ImageDigest      string
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

	// ReleaseImage is the bbr image released with this igwctl, nil for a development build: the
	// default image, pinned by digest when the release recorded one. NewCmd fills it from
	// version.BBRImage.
	ReleaseImage *Image
	// BuiltinVersion, when set, replaces the built-in chart's version and appVersion (a release
	// build's own version, so the chart's default image tag is igwctl's). NewCmd fills it for a
	// release build; a development build keeps Chart.yaml's.
	BuiltinVersion string

	providerSet, gatewaySet                   bool
	imageRepoSet, imageTagSet, imageDigestSet bool
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Provider: "none", Gateway: providers.DefaultGateway, Timeout: 5 * time.Minute}
	if repo, tag, digest, ok := version.BBRImage(); ok {
		o.ReleaseImage = &Image{Repository: repo, Tag: tag, Digest: digest}
		o.BuiltinVersion = version.Get().AppVersion()
	}
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
values (charts/bbr/values.yaml); --provider, --gateway, --gateway-namespace and the image flags
win over them. The release is installed, or upgraded when it exists.

The image: a release of igwctl installs the bbr image of its own version, pinned by digest
(REPO:TAG@sha256:...) when the release recorded the digest; a development build installs the
chart's default (ghcr.io/igw-dev/bbr at the chart's appVersion). For a mirror or an air-gapped
registry, --image-repository replaces only the repository: the tag and the digest stay, since a
digest survives copying an image between registries (crane copy, skopeo copy, oras copy).
--image-tag picks another version and drops the recorded digest unless --image-digest gives one;
--image-digest="" pulls by tag. --image REPO:TAG, REPO@sha256:... or REPO:TAG@sha256:... sets the
whole image at once instead of the three flags. A chart from --chart or --chart-repo keeps its own
default image unless its appVersion is this release's.

--dry-run (or --dry-run=client) renders the chart without a cluster; --dry-run=server renders it
against the cluster as helm install --dry-run=server does, changing nothing.

The provider's CRDs must be installed for its glue (igwctl install provider NAME first).`,
		Example: `  # bbr behind Istio's Gateway inference-gateway, in namespace llm
  igwctl install bbr --provider istio -n llm --wait

  # A specific image, plaintext ext_proc
  igwctl install bbr --provider agentgateway --image ghcr.io/igw-dev/bbr:0.1.0 --set secureServing=false

  # The release's image from a mirror, still pinned by its digest
  igwctl install bbr --provider istio --image-repository registry.internal/igw/bbr

  # The chart from an OCI registry, at a chosen version
  igwctl install bbr --chart-repo oci://ghcr.io/igw-dev/charts --version 0.2.0

  # Show the objects without installing
  igwctl install bbr --provider gke --dry-run -o yaml`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			o.providerSet = cmd.Flags().Changed("provider")
			o.gatewaySet = cmd.Flags().Changed("gateway")
			o.imageRepoSet = cmd.Flags().Changed("image-repository")
			o.imageTagSet = cmd.Flags().Changed("image-tag")
			o.imageDigestSet = cmd.Flags().Changed("image-digest")
			return o.Validate()
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Provider, "provider", o.Provider, "gateway to wire bbr into: "+strings.Join(providers.BBRProviders(), ", "))
	fs.StringVar(&o.Image, "image", "", "bbr image as REPOSITORY:TAG, REPOSITORY@sha256:... or REPOSITORY:TAG@sha256:... (default: igwctl's release image, else the chart's)")
	fs.StringVar(&o.ImageRepository, "image-repository", "", "bbr image repository, e.g. a mirror; the tag and recorded digest stay")
	fs.StringVar(&o.ImageTag, "image-tag", "", "bbr image tag; drops the recorded digest unless --image-digest is given")
	fs.StringVar(&o.ImageDigest, "image-digest", "", "bbr image digest, sha256: and 64 hex digits, to pin the image; \"\" pulls by tag")
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
	if err := o.validateImage(); err != nil {
		return err
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

// Values are the chart values the flags make for a chart of appVersion: defaults in Base (the
// user's -f/--set win), explicit flags in Override (they win over -f/--set).
//
// The release's image is a default when the chart is this release's (its appVersion is the
// release's tag): repository and tag, and the recorded digest unless the user picked another tag
// or digest, with flags or values. A flag that picks a tag without a digest also drops a digest
// the user's values give, so the tag asked for is what runs.
func (o *Options) Values(appVersion string) (helm.Values, error) {
	v := helm.Values{Files: o.Files, Set: o.Set, SetString: o.SetString}
	user, err := v.Merge()
	if err != nil {
		return helm.Values{}, err
	}
	userTag, _ := helm.ValuesPath(user, "image.tag")
	userDigest, _ := helm.ValuesPath(user, "image.digest")
	hasUserDigest := userDigest != nil && userDigest != ""

	v.Base = map[string]any{"provider": map[string]any{"name": o.Provider}, "gateway": map[string]any{"name": o.Gateway}}
	if rel := o.ReleaseImage; rel != nil && appVersion == rel.Tag {
		providers.SetPath(v.Base, "image.repository", rel.Repository)
		providers.SetPath(v.Base, "image.tag", rel.Tag)
		otherTag := o.Image != "" || o.imageTagSet || (userTag != nil && userTag != "" && userTag != rel.Tag)
		if rel.Digest != "" && !otherTag && !o.imageDigestSet && userDigest == nil {
			providers.SetPath(v.Base, "image.digest", rel.Digest)
		}
	}

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
	// image.digest is only written when there is one to set or to clear, so charts from before
	// the value existed (their schema refuses it) still take --image REPO:TAG.
	switch {
	case o.Image != "":
		img, _ := ParseImage(o.Image)
		providers.SetPath(override, "image.repository", img.Repository)
		providers.SetPath(override, "image.tag", img.Tag)
		if img.Digest != "" || hasUserDigest {
			providers.SetPath(override, "image.digest", img.Digest)
		}
	default:
		if o.imageRepoSet {
			providers.SetPath(override, "image.repository", o.ImageRepository)
		}
		if o.imageTagSet {
			providers.SetPath(override, "image.tag", o.ImageTag)
		}
		if (o.imageDigestSet && (o.ImageDigest != "" || hasUserDigest)) || (o.imageTagSet && !o.imageDigestSet && hasUserDigest) {
			providers.SetPath(override, "image.digest", o.ImageDigest)
		}
	}
	if len(override) > 0 {
		v.Override = override
	}
	return v, nil
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
	Image        string      `json:"image,omitempty"`
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
	if r.Image != "" {
		fmt.Fprintf(w, "image: %s\n", r.Image)
	}
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
