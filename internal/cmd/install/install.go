// Package install is `igwctl install`, the parent of one subcommand per thing igwctl installs:
// crds, provider, bbr and pool.
package install

import (
	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmd/install/bbr"
	"github.com/igw-dev/igw/internal/cmd/install/crds"
	"github.com/igw-dev/igw/internal/cmd/install/pool"
	"github.com/igw-dev/igw/internal/cmd/install/provider"
	"github.com/igw-dev/igw/internal/cmdutil"
)

// NewCmd returns `igwctl install` with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the inference extension's parts into a cluster",
		Long: `Install the parts of an inference gateway into the cluster the kubeconfig flags select.
Each subcommand installs one part, checks that doing so is safe first, and waits until it is ready.`,
		// A RunE makes cobra check Args, so `igwctl install typo` fails instead of printing help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(crds.NewCmd(f, nil), provider.NewCmd(f, nil), bbr.NewCmd(f, nil), pool.NewCmd(f, nil))
	return cmd
}
