// Package root assembles igwctl's command tree.
package root

import (
	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmd/conformance"
	"github.com/igw-dev/igw/internal/cmd/convert"
	"github.com/igw-dev/igw/internal/cmd/diagnose"
	"github.com/igw-dev/igw/internal/cmd/install"
	"github.com/igw-dev/igw/internal/cmd/route"
	"github.com/igw-dev/igw/internal/cmd/top"
	"github.com/igw-dev/igw/internal/cmd/uninstall"
	"github.com/igw-dev/igw/internal/cmd/validate"
	"github.com/igw-dev/igw/internal/cmd/verify"
	"github.com/igw-dev/igw/internal/cmd/version"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
	ver "github.com/igw-dev/igw/internal/version"
)

// NewCmd returns the igwctl root command, writing to io.
func NewCmd(io *cmdutil.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "igwctl",
		Short: "Install, check and watch the Gateway API Inference Extension",
		Long: `igwctl is the operator's tool for LLM serving behind the Gateway API Inference
Extension: it installs CRDs and providers, validates InferencePools and routes,
diagnoses problems, and shows live model-server state.`,
		Version:       ver.Get().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	// kubectl's connection flags (--kubeconfig, --context, -n, ...), for every command that talks
	// to a cluster; the factory reads them once they are parsed.
	kubeFlags := kube.NewConfigFlags()
	kubeFlags.AddFlags(cmd.PersistentFlags())
	f := cmdutil.NewFactory(io, kubeFlags)
	cmd.AddCommand(version.NewCmd(f, nil), install.NewCmd(f), uninstall.NewCmd(f), convert.NewCmd(f, nil),
		validate.NewCmd(f, nil), diagnose.NewCmd(f, nil), verify.NewCmd(f, nil), top.NewCmd(f, nil), route.NewCmd(f),
		conformance.NewCmd(f, nil))
	return cmd
}
