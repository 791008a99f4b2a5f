// Package crds is `igwctl uninstall crds`.
package crds

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl uninstall crds` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory

	Selection install.Selection
	DryRun    kube.DryRun
	Force     bool
	Timeout   time.Duration
	Output    cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Selection: install.DefaultSelection(api.BundleVersion), Timeout: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "crds",
		Short: "Remove the CRDs igwctl install crds installs",
		Long: `Delete the CustomResourceDefinitions that igwctl install crds installs, and wait until they
are gone. The selection flags and their defaults are install's, so the same flags undo an install:
the InferencePool CRD always, the InferenceObjective CRDs of --objective-group (default llm-d), and
the Gateway API CRDs of --gateway-api (default standard; experimental removes the experimental-only
CRDs too; none leaves Gateway API alone).

Deleting a CRD deletes every object of its kind, so nothing is deleted unless every CRD passes the
checks: igwctl refuses while objects of a CRD still exist (and lists how many of which kind, in
which namespaces), and refuses CRDs that another tool (kubectl, Helm, a provider) installed.
--force deletes them anyway, objects included.`,
		Example: `  # Remove the CRDs a plain igwctl install crds installed
  igwctl uninstall crds

  # Remove the inference CRDs but leave Gateway API in place
  igwctl uninstall crds --gateway-api none

  # Show what would be deleted
  igwctl uninstall crds --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, nil),
	}
	fs := cmd.Flags()
	fs.Var(cmdutil.Enum(&o.Selection.GatewayAPI, install.GatewayAPIs()...), "gateway-api", "Gateway API channel to remove: standard, experimental or none")
	fs.Var(cmdutil.Enum(&o.Selection.Objective, install.ObjectiveGroups()...), "objective-group", "InferenceObjective API group(s) to remove: llm-d, x-k8s, both or none")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" shows what would be deleted, reading the cluster only; "server" has the API server check the deletions without doing them; "none" deletes`)
	fs.BoolVar(&o.Force, "force", false, "delete CRDs that still have objects (deleting those objects) or that another tool installed")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole uninstall, including waiting for the CRDs to be removed, may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Run deletes the selected CRDs.
func Run(ctx context.Context, o *Options) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	// Only the names matter here, and they are the same in every release, so the embedded
	// manifests name the CRDs whichever release installed them.
	crds, _, err := install.LoadEmbedded(o.Selection)
	if err != nil {
		return err
	}
	client, err := o.Kube.APIExtensions()
	if err != nil {
		return err
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	u := &install.Uninstaller{Client: client, Dynamic: dyn, Progress: o.IO.ErrOut, Force: o.Force, DryRun: o.DryRun}
	res, err := u.Uninstall(ctx, crds)
	if err != nil {
		return err
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}
