// Package version is `igwctl version`.
package version

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/version"
)

// exitCannot is the exit status when --client=false cannot read the cluster at all.
const exitCannot = 3

// Options are the flags of `igwctl version`.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format
	Kube   kube.Factory

	// Server is --client=false: also read the cluster. The default, --client, prints igwctl's
	// own version only.
	Server bool
	// Namespace is -n when given; AllNamespaces is -A. They pick where bbr is looked for.
	Namespace     string
	AllNamespaces bool
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube}
	cmd := &cobra.Command{
		Use:   "version [--client=false [-n NAMESPACE | -A]]",
		Short: "Print the igwctl version, and with --client=false what the cluster runs",
		Long: `Print igwctl's version, the commit it was built from, the build date, and the Go version and
platform that built it: one line of text, or the fields with -o json|yaml.

--client=false also reads the cluster (kubectl's connection flags pick it): the Kubernetes
version of the API server, the bundle version of the inference extension's CRDs and the
bundle version and channel of the Gateway API CRDs, and the bbr Deployments in the namespace
(-n, else the kubeconfig context's; -A: every namespace) with their image, app version and
ready replicas. It reads, never changes, and only needs get on CRDs and list on Deployments;
what RBAC forbids is named and the rest is still printed. -o json|yaml then prints
clientVersion and serverVersion as kubectl version does, with crds and bbr beside them.

Exit status: 0, or 3 when --client=false cannot reach the cluster (the client version is
printed first).`,
		Example: `  igwctl version
  igwctl version -o json

  # What the cluster runs: Kubernetes, the CRD bundles, bbr in namespace llm
  igwctl version --client=false -n llm

  # bbr in every namespace, as YAML
  igwctl version --client=false -A -o yaml`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
				o.Namespace = ns.Value.String()
			}
			return nil
		}),
	}
	cmdutil.UsageCode(exitCannot, cmd)
	fs := cmd.Flags()
	fs.Var(clientFlag{&o.Server}, "client", "print only igwctl's version; --client=false also prints what the cluster runs")
	fs.Lookup("client").NoOptDefVal = "true"
	cmdutil.AddAllNamespacesFlag(fs, &o.AllNamespaces)
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Run prints the version, and with --client=false the cluster's.
func Run(ctx context.Context, o *Options) error {
	client := info{version.Get()}
	if !o.Server {
		return cmdutil.Print(o.IO.Out, o.Output, client)
	}
	rep, err := readServer(ctx, o)
	if err != nil {
		// The client part first, as kubectl version does when the server does not answer.
		if perr := cmdutil.Print(o.IO.Out, o.Output, &report{ClientVersion: client.Info}); perr != nil {
			return perr
		}
		return cmdutil.WithCode(exitCannot, err)
	}
	rep.ClientVersion = client.Info
	return cmdutil.Print(o.IO.Out, o.Output, rep)
}

// clientFlag is --client, true by default, stored as its negation Server.
type clientFlag struct{ server *bool }

func (c clientFlag) String() string {
	if c.server == nil {
		return "true"
	}
	return strconv.FormatBool(!*c.server)
}

func (c clientFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*c.server = !v
	return nil
}

func (c clientFlag) Type() string { return "bool" }

// info is the version as igwctl prints it.
type info struct{ version.Info }

func (i info) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "igwctl %s\n", clientLine(i.Info))
	return err
}

// clientLine is igwctl's version in one line, after the program's name.
func clientLine(i version.Info) string {
	return fmt.Sprintf("%s (commit %s, built %s, %s %s)", i.Version, i.ShortCommit(), i.Built(), i.GoVersion, i.Platform)
}
