// Package route is `igwctl route`, the parent of the commands about model routes: HTTPRoutes
// that send a model, by the header bbr sets, to InferencePools by weight.
package route

import (
	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmd/route/set"
	"github.com/igw-dev/igw/internal/cmd/route/show"
	"github.com/igw-dev/igw/internal/cmd/route/simulate"
	"github.com/igw-dev/igw/internal/cmdutil"
)

// NewCmd returns `igwctl route` with its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Set, show and simulate model routes: HTTPRoutes from a model to InferencePools by weight",
		Long: `Model routes send the requests for one model, by the header bbr sets from the body, to one or
more InferencePools by weight: a canary or an A/B test of a model is a route with two pools.`,
		// A RunE makes cobra check Args, so `igwctl route typo` fails instead of printing help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(set.NewCmd(f, nil), show.NewCmd(f, nil), simulate.NewCmd(f, nil))
	return cmd
}
