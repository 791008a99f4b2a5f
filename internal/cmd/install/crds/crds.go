// Package crds is `igwctl install crds`.
package crds

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/config"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl install crds` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	// Fetcher downloads release manifests for --from-release; nil fetches from GitHub.
	Fetcher *install.Fetcher

	Selection install.Selection
	DryRun    kube.DryRun
	Force     bool
	Timeout   time.Duration
	Output    cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone, or to inject a Fetcher).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Selection: install.DefaultSelection(api.BundleVersion), Timeout: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "crds",
		Short: "Install the InferencePool, InferenceObjective and Gateway API CRDs",
		Long: fmt.Sprintf(`Install the CustomResourceDefinitions of the Gateway API Inference Extension with
server-side apply (field manager %q), and wait until the API server serves them.

What is installed:
  InferencePool       inference.networking.k8s.io/v1, always.
  InferenceObjective  per --objective-group:
                        llm-d (default)  llm-d.ai/v1alpha2, the group current endpoint pickers
                                         (llm-d-router) read. When both groups are installed they
                                         reconcile only llm-d.ai and ignore x-k8s objects, so "both"
                                         is for migrating from one to the other.
                        x-k8s            inference.networking.x-k8s.io/v1alpha2, read by the
                                         endpoint pickers of inference extension v1.0 to v1.5.
                        both, none
  Gateway API         %s, per --gateway-api: standard (default), experimental, or none
                      where the provider or the platform (GKE) manages Gateway API.

The CRDs are built into igwctl (inference extension %s), so no network is needed.
--from-release downloads them from the GitHub release of --inference-version instead, with
Gateway API's install manifest; without --objective-group it then installs the objective CRDs
that release ships (x-k8s up to v1.5.x; none from v1.6.0, which moved them to llm-d-router).

Nothing is changed unless every CRD passes the checks: igwctl refuses to downgrade a CRD (its
bundle-version annotation is newer than what it would apply), to switch Gateway API from the
experimental to the standard channel, and to take over CRDs that another tool (kubectl, Helm, a
provider) installed. --force overrides the checks and takes ownership of conflicting fields.

stdout gets one line per CRD, created, configured or unchanged as with kubectl apply, or the
structured result with -o json|yaml; progress goes to stderr.`,
			kube.FieldManager, config.GatewayAPIVersion(), api.BundleVersion),
		Example: `  # What a current llm-d endpoint picker needs, with Gateway API's standard channel
  igwctl install crds

  # Show what would change, validated by the API server, without changing anything
  igwctl install crds --dry-run=server

  # On a cluster whose platform manages Gateway API (GKE)
  igwctl install crds --gateway-api none

  # Upstream's v1.5.0 CRDs, downloaded
  igwctl install crds --from-release --inference-version v1.5.0`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			o.Selection.ObjectiveFromRelease = o.Selection.FromRelease && !cmd.Flags().Changed("objective-group")
			return o.Selection.Validate(api.BundleVersion)
		}),
	}
	fs := cmd.Flags()
	fs.Var(cmdutil.Enum(&o.Selection.GatewayAPI, install.GatewayAPIs()...), "gateway-api", "Gateway API channel to install: standard, experimental or none")
	fs.StringVar(&o.Selection.InferenceVersion, "inference-version", o.Selection.InferenceVersion,
		"inference extension release of the CRDs; other than "+api.BundleVersion+" needs --from-release")
	fs.Var(cmdutil.Enum(&o.Selection.Objective, install.ObjectiveGroups()...), "objective-group", "InferenceObjective API group(s): llm-d, x-k8s, both or none")
	fs.BoolVar(&o.Selection.FromRelease, "from-release", false, "download the CRDs from the upstream GitHub release instead of using the built-in ones")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" shows what would be applied, reading the cluster only; "server" has the API server validate it without storing; "none" applies`)
	fs.BoolVar(&o.Force, "force", false, "apply despite a downgrade, a channel switch or another manager owning the CRDs, taking ownership of their fields")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole install, including waiting for the CRDs to be established, may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Run installs the selected CRDs.
func Run(ctx context.Context, o *Options) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	crds, skipped, err := load(ctx, o)
	if err != nil {
		return err
	}
	if note := install.SkipNote(skipped); note != "" {
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	client, err := o.Kube.APIExtensions()
	if err != nil {
		return err
	}
	in := &install.Installer{Client: client, Progress: o.IO.ErrOut, Force: o.Force, DryRun: o.DryRun}
	res, err := in.Install(ctx, crds)
	if err != nil {
		return err
	}
	res.NotInstalled = skipped
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

func load(ctx context.Context, o *Options) ([]install.CRD, []string, error) {
	if !o.Selection.FromRelease {
		return install.LoadEmbedded(o.Selection)
	}
	f := o.Fetcher
	if f == nil {
		f = &install.Fetcher{}
	}
	fmt.Fprintf(o.IO.ErrOut, "downloading the %s CRDs from %s...\n", o.Selection.InferenceVersion, f.InferenceURL(o.Selection.InferenceVersion))
	return install.LoadFromRelease(ctx, f, o.Selection)
}
