// Package crds is `igwctl uninstall crds`.
package crds

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl uninstall crds` and what the command is given.
type Options struct {
	IO      cmdutil.IOStreams
	Factory kube.Factory

	Selection install.Selection
	DryRun    install.DryRun
	Force     bool
	Timeout   time.Duration
	Output    install.Output
}

// NewCmd returns the command; run, when not nil, replaces Run (tests use it to check flag parsing
// alone).
func NewCmd(io cmdutil.IOStreams, f kube.Factory, run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{
		IO:        io,
		Factory:   f,
		Selection: install.DefaultSelection(api.BundleVersion),
		DryRun:    install.DryRunNone,
		Timeout:   2 * time.Minute,
		Output:    install.OutputText,
	}
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Timeout <= 0 {
				return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
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
	fs.Var(o.Selection.GatewayAPI.Value(), "gateway-api", "Gateway API channel to remove: standard, experimental or none")
	fs.Var(o.Selection.Objective.Value(), "objective-group", "InferenceObjective API group(s) to remove: llm-d, x-k8s, both or none")
	fs.Var(o.DryRun.Value(), "dry-run", `"client" shows what would be deleted, reading the cluster only; "server" has the API server check the deletions without doing them; "none" deletes`)
	fs.Lookup("dry-run").NoOptDefVal = string(install.DryRunClient)
	fs.BoolVar(&o.Force, "force", false, "delete CRDs that still have objects (deleting those objects) or that another tool installed")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole uninstall, including waiting for the CRDs to be removed, may take")
	fs.VarP(o.Output.Value(), "output", "o", "output format: text, json or yaml")
	return cmd
}

// Run deletes the selected CRDs.
func Run(ctx context.Context, o *Options) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := kube.Ping(ctx, o.Factory); err != nil {
		return err
	}
	// Only the names matter here, and they are the same in every release, so the embedded
	// manifests name the CRDs whichever release installed them.
	crds, _, err := install.LoadEmbedded(o.Selection)
	if err != nil {
		return err
	}
	client, err := o.Factory.APIExtensions()
	if err != nil {
		return err
	}
	dyn, err := o.Factory.Dynamic()
	if err != nil {
		return err
	}
	u := &install.Uninstaller{Client: client, Dynamic: dyn, Progress: o.IO.ErrOut, Force: o.Force, DryRun: o.DryRun}
	res, err := u.Uninstall(ctx, crds)
	if err != nil {
		return err
	}
	return res.Print(o.IO.Out, o.Output)
}
