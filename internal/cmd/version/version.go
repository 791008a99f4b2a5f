// Package version is `igwctl version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/version"
)

// Options are the flags of `igwctl version`.
type Options struct {
	IO     cmdutil.IOStreams
	Output string
}

// NewCmd returns the command; run, when not nil, replaces the real work
// (tests use it to check flag parsing alone).
func NewCmd(io cmdutil.IOStreams, run func(*Options) error) *cobra.Command {
	o := &Options{IO: io}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the igwctl version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if run != nil {
				return run(o)
			}
			return Run(o)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json or yaml (default: one line of text)")
	return cmd
}

// Run prints the version.
func Run(o *Options) error {
	v := version.Get()
	switch o.Output {
	case "":
		_, err := fmt.Fprintf(o.IO.Out, "igwctl %s (commit %s, %s)\n", v.Version, orNone(v.Commit), v.GoVersion)
		return err
	case "json", "yaml":
		return cmdutil.PrintData(o.IO.Out, o.Output, v)
	}
	return fmt.Errorf("--output %q is not supported; use json or yaml", o.Output)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
