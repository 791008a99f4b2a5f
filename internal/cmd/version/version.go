// Package version is `igwctl version`.
package version

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/version"
)

// Options are the flags of `igwctl version`.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the igwctl version",
		Long: `Print igwctl's version, the commit it was built from and the Go version that built it:
one line of text, or the fields with -o json|yaml.`,
		Example: `  igwctl version
  igwctl version -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, nil),
	}
	cmdutil.AddOutputFlag(cmd.Flags(), &o.Output)
	return cmd
}

// Run prints the version.
func Run(_ context.Context, o *Options) error {
	return cmdutil.Print(o.IO.Out, o.Output, info{version.Get()})
}

// info is the version as igwctl prints it.
type info struct{ version.Info }

func (i info) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "igwctl %s (commit %s, %s)\n", i.Version, orNone(i.Commit), i.GoVersion)
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
