// Package show is `igwctl route show`: every model route, where it sends its model by weight,
// what the Gateways said about it, and which routes fight over one model.
package show

import (
	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl route show` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory

	AllNamespaces bool
	// Namespace is -n when given; otherwise the kubeconfig context's.
	Namespace string
	Output    cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the model routes: each model's Gateway, pools by weight and status",
		Long: `Show every model route: each HTTPRoute rule that matches a header bbr sets from the request body
(x-gateway-inference-model, x-gateway-model-name, or x-gateway-base-model-name for every adapter
of a base model), with the model, its Gateways, its InferencePools with their share of the
requests, and what each Gateway's controller said of the route (Accepted, ResolvedRefs).

Routes that match the same model on the same Gateway conflict: only one takes the model's
requests. show names the one that wins by Gateway API's precedence, and why each other loses.

It reads the namespace of -n (or of the kubeconfig context), or every namespace with -A, with
one LIST per kind.`,
		Example: `  # The model routes of the current namespace
  igwctl route show

  # Every namespace, as JSON
  igwctl route show -A -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
				o.Namespace = ns.Value.String()
			}
			return nil
		}),
	}
	fs := cmd.Flags()
	cmdutil.AddAllNamespacesFlag(fs, &o.AllNamespaces)
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}
