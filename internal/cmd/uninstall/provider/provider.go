// Package provider is `igwctl uninstall provider`, the counterpart of `igwctl install provider`.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// Options are the flags of `igwctl uninstall provider` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	Provider         string
	DeleteGateway    bool
	Gateway          string
	GatewayNamespace string
	DryRun           kube.DryRun
	Wait             bool
	Timeout          time.Duration
	Output           cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Gateway: providers.DefaultGateway, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:       "provider " + strings.Join(providers.Names(), "|"),
		Short:     "Remove the Helm releases igwctl install provider installed",
		ValidArgs: providers.Names(),
		Long: `Uninstall the provider's Helm releases in the reverse order of install (Istio: istiod, then
istio-base; Agentgateway: agentgateway, then agentgateway-crds; NGINX Gateway Fabric: ngf). GKE
has none.

The Gateway install created stays unless --delete-gateway is given; it is deleted first, while
its controller can still clean up after it, and only when igwctl created it (label
app.kubernetes.io/managed-by=igwctl).

A release that is not there is skipped with a message (as helm uninstall --ignore-not-found), so
the command can be run again; when nothing is there it says "nothing to uninstall" and succeeds.
The provider's namespace is left in place, as helm leaves it. --dry-run says what would be
removed and removes nothing.`,
		Example: `  igwctl uninstall provider istio
  igwctl uninstall provider agentgateway --delete-gateway --gateway-namespace llm

  # What would go, the Gateway's deletion checked by the API server
  igwctl uninstall provider istio --delete-gateway --dry-run=server`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("give one provider: %s", strings.Join(providers.Names(), ", "))
			}
			_, err := providers.Lookup(args[0])
			return err
		},
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, args []string) error {
			o.Provider = args[0]
			if !o.DeleteGateway && (cmd.Flags().Changed("gateway") || cmd.Flags().Changed("gateway-namespace")) {
				return errors.New("--gateway and --gateway-namespace name the Gateway to delete: they need --delete-gateway")
			}
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.DeleteGateway, "delete-gateway", false, "also delete the Gateway install created")
	fs.StringVar(&o.Gateway, "gateway", o.Gateway, "name of the Gateway to delete")
	fs.StringVar(&o.GatewayNamespace, "gateway-namespace", "", "namespace of the Gateway (default: the current namespace)")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" says what would be removed, reading the cluster only; "server" also has the API server check the Gateway's deletion; "none" uninstalls`)
	fs.BoolVar(&o.Wait, "wait", false, "wait until the releases' objects are gone")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each release's hooks and --wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Result is what the command did.
type Result struct {
	Provider       string      `json:"provider"`
	Uninstalled    []string    `json:"uninstalled,omitempty"` // "release ns/name"
	NotFound       []string    `json:"notFound,omitempty"`
	GatewayDeleted string      `json:"gatewayDeleted,omitempty"`
	Kept           []string    `json:"kept,omitempty"`
	Notes          []string    `json:"notes,omitempty"`
	Nothing        bool        `json:"nothingToUninstall"`
	DryRun         kube.DryRun `json:"dryRun,omitempty"`

	provider providers.Provider
}

// Run uninstalls the provider.
func Run(ctx context.Context, o *Options) error {
	p, err := providers.Lookup(o.Provider)
	if err != nil {
		return err
	}
	if o.Kube == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	res := &Result{Provider: string(p.Name), provider: p}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	if err := o.gateway(ctx, p, res); err != nil {
		return err
	}
	if !p.Managed {
		if err := o.releases(ctx, p, res); err != nil {
			return err
		}
	}
	res.Nothing = len(res.Uninstalled) == 0 && res.GatewayDeleted == ""
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// gateway deletes the Gateway with --delete-gateway when igwctl created it, and otherwise
// says what it leaves. A Gateway igwctl did not create stops the command before anything
// is removed.
func (o *Options) gateway(ctx context.Context, p providers.Provider, res *Result) error {
	gwNS := o.GatewayNamespace
	if gwNS == "" {
		var err error
		if gwNS, err = o.Kube.Namespace(); err != nil {
			return err
		}
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	dc, err := o.Kube.Discovery()
	if err != nil {
		return err
	}
	missing, err := gateway.MissingResources(dc, gateway.APIGroupVersion, "gateways")
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		if o.DeleteGateway {
			res.Notes = append(res.Notes, "the cluster does not serve the Gateway API, so there is no Gateway to delete")
		}
		return nil
	}
	gws := dyn.Resource(gateway.GatewayGVR).Namespace(gwNS)
	gw, err := gws.Get(ctx, o.Gateway, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if o.DeleteGateway {
			res.Notes = append(res.Notes, fmt.Sprintf("Gateway %s/%s does not exist", gwNS, o.Gateway))
		}
	case err != nil:
		return fmt.Errorf("reading Gateway %s/%s: %w", gwNS, o.Gateway, err)
	case !o.DeleteGateway:
		if gw.GetLabels()[providers.ProviderLabel] == string(p.Name) {
			res.Notes = append(res.Notes, fmt.Sprintf("Gateway %s/%s is left in place; --delete-gateway deletes it", gwNS, o.Gateway))
		}
	case gw.GetLabels()[providers.ManagedByLabel] != providers.ManagedBy:
		return fmt.Errorf("the Gateway %s/%s was not created by igwctl (no label %s=%s), so igwctl leaves it alone; nothing was uninstalled. Delete it with kubectl, or drop --delete-gateway",
			gwNS, o.Gateway, providers.ManagedByLabel, providers.ManagedBy)
	case o.DryRun == kube.DryRunClient:
		res.GatewayDeleted = gwNS + "/" + o.Gateway
	default:
		if err := gws.Delete(ctx, o.Gateway, deleteOptions(o.DryRun)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting Gateway %s/%s: %w", gwNS, o.Gateway, err)
		}
		res.GatewayDeleted = gwNS + "/" + o.Gateway
	}
	return nil
}

// releases uninstalls the provider's Helm releases in the reverse of their install order.
func (o *Options) releases(ctx context.Context, p providers.Provider, res *Result) error {
	hc, err := helm.New(o.Kube, p.Namespace, o.Helm)
	if err != nil {
		return err
	}
	charts := slices.Clone(p.Charts)
	slices.Reverse(charts)
	for _, c := range charts {
		u, err := hc.Uninstall(ctx, c.Release, helm.UninstallOptions{Namespace: p.Namespace, Wait: o.Wait, Timeout: o.Timeout, IgnoreNotFound: true, DryRun: o.DryRun})
		if err != nil {
			done := "nothing else was uninstalled"
			if len(res.Uninstalled) > 0 || res.GatewayDeleted != "" {
				done = "already removed: " + strings.Join(append(slices.Clone(res.Uninstalled), gatewayDone(res)...), ", ")
			}
			return fmt.Errorf("uninstalling %s: %w; %s", p.Title, err, done)
		}
		name := fmt.Sprintf("release %s/%s", p.Namespace, c.Release)
		if !u.Existed {
			res.NotFound = append(res.NotFound, name)
			continue
		}
		res.Uninstalled = append(res.Uninstalled, name)
		if u.Kept != "" {
			res.Kept = append(res.Kept, u.Kept)
		}
	}
	return nil
}

// WriteText says what was deleted, skipped and kept, in that order.
func (r *Result) WriteText(w io.Writer) error {
	if r.GatewayDeleted != "" {
		fmt.Fprintf(w, "deleted Gateway %s%s\n", r.GatewayDeleted, r.DryRun.Suffix())
	}
	for _, u := range r.Uninstalled {
		fmt.Fprintf(w, "uninstalled %s%s\n", u, r.DryRun.Suffix())
	}
	for _, n := range r.NotFound {
		fmt.Fprintf(w, "%s not found, skipped\n", n)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(w, "kept: %s\n", k)
	}
	p := r.provider
	if r.Nothing {
		if p.Managed {
			fmt.Fprintf(w, "nothing to uninstall: %s is managed by the platform and igwctl installed no release\n", p.Title)
		} else {
			fmt.Fprintf(w, "nothing to uninstall: no %s release in namespace %s\n", p.Title, p.Namespace)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func gatewayDone(res *Result) []string {
	if res.GatewayDeleted == "" {
		return nil
	}
	return []string{"Gateway " + res.GatewayDeleted}
}

func deleteOptions(dryRun kube.DryRun) metav1.DeleteOptions {
	if dryRun == kube.DryRunServer {
		return metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}
	}
	return metav1.DeleteOptions{}
}
