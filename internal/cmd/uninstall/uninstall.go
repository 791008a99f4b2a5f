// Package uninstall is `igwctl uninstall`, the counterpart of `igwctl install`, with one
// subcommand per thing igwctl installs.
package uninstall

import (
	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmd/uninstall/bbr"
	"github.com/igw-dev/igw/internal/cmd/uninstall/crds"
	"github.com/igw-dev/igw/internal/cmd/uninstall/pool"
	"github.com/igw-dev/igw/internal/cmd/uninstall/provider"
	"github.com/igw-dev/igw/internal/cmdutil"
)

// NewCmd returns `igwctl uninstall` with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove what igwctl install installed",
		Long: `Remove parts of an inference gateway from the cluster the kubeconfig flags select.
Each subcommand mirrors its install counterpart, refuses to remove what is still in use, and
waits until the removal is complete.`,
		// A RunE makes cobra check Args, so `igwctl uninstall typo` fails instead of printing help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(crds.NewCmd(f, nil), provider.NewCmd(f, nil), bbr.NewCmd(f, nil), pool.NewCmd(f, nil))
	return cmd
}
