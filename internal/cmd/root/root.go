// Package root assembles igwctl's command tree.
package root

import (
	"path/filepath"
	"regexp"
	"strings"

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

// PluginName is the executable name kubectl plugin managers (krew) install igwctl under: kubectl
// runs it for `kubectl igw ...`, and for completion runs kubectl_complete-igw, which asks it
// with `kubectl-igw __complete ...`.
const PluginName = "kubectl-igw"

// PluginDisplayName is how help, usage and examples spell the command when run as a plugin.
const PluginDisplayName = "kubectl igw"

// NewCmdNamed returns the root command for igwctl run as the executable arg0 (os.Args[0]): run as
// kubectl-igw (or kubectl-igw.exe), help, usage and examples read "kubectl igw ...", as the user
// typed it; under any other name it is NewCmd.
func NewCmdNamed(io *cmdutil.IOStreams, arg0 string) *cobra.Command {
	cmd := NewCmd(io)
	if IsPlugin(arg0) {
		cmd.Use = PluginName
		cmd.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: PluginDisplayName}
		renameExamples(cmd, PluginDisplayName)
	}
	return cmd
}

// IsPlugin reports whether arg0 is igwctl installed as a kubectl plugin.
func IsPlugin(arg0 string) bool {
	base := filepath.Base(strings.ReplaceAll(arg0, `\`, "/"))
	if len(base) > 4 && strings.EqualFold(base[len(base)-4:], ".exe") {
		base = base[:len(base)-4]
	}
	return base == PluginName
}

var igwctlWord = regexp.MustCompile(`\bigwctl\b`)

// renameExamples spells the command as name in the Examples of cmd and its subcommands.
func renameExamples(cmd *cobra.Command, name string) {
	cmd.Example = igwctlWord.ReplaceAllLiteralString(cmd.Example, name)
	for _, sub := range cmd.Commands() {
		renameExamples(sub, name)
	}
}

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
