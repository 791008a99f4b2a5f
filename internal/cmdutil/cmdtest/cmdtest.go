// Package cmdtest runs igwctl commands in tests: injected streams, a Factory for a test cluster
// that keeps Helm away from $HOME, a command line parsed into the Options the command would run
// with, and output checks.
package cmdtest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
)

// NewCmd is the constructor every command package has.
type NewCmd[O any] func(f *cmdutil.Factory, hook cmdutil.RunFunc[O]) *cobra.Command

// Streams returns streams backed by buffers: no terminal, no colour.
func Streams() (io *cmdutil.IOStreams, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return &cmdutil.IOStreams{In: &bytes.Buffer{}, Out: stdout, ErrOut: stderr, Terminal: cmdutil.Terminal{Width: cmdutil.DefaultWidth}}, stdout, stderr
}

// Factory returns a Factory writing to buffers, connected to cfg in namespace (no cluster when
// cfg is nil), with empty Helm settings so nothing under $HOME is read or written.
func Factory(cfg *rest.Config, namespace string) (f *cmdutil.Factory, stdout, stderr *bytes.Buffer) {
	io, stdout, stderr := Streams()
	f = &cmdutil.Factory{IO: io, Helm: helm.Settings{}}
	if cfg != nil {
		f.Kube = kube.NewFactoryFromConfig(cfg, namespace)
	}
	return f, stdout, stderr
}

// Execute runs cmd with args on io as igwctl's root does: cobra prints neither usage nor the
// error, which the caller gets.
func Execute(cmd *cobra.Command, io *cmdutil.IOStreams, args ...string) error {
	if args == nil {
		// cobra reads os.Args (the test binary's flags) when given nil.
		args = []string{}
	}
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// Parse runs a command line through newCmd's flags and checks without doing the work, and
// returns the Options the command would run with (nil when it refused the line).
func Parse[O any](t *testing.T, newCmd NewCmd[O], args ...string) (*O, error) {
	t.Helper()
	f, _, _ := Factory(nil, "")
	var got *O
	cmd := newCmd(f, func(_ context.Context, o *O) error { got = o; return nil })
	err := Execute(cmd, f.IO, args...)
	return got, err
}

// Run runs a command line for real against cfg, in namespace, and returns what it printed.
func Run[O any](t *testing.T, newCmd NewCmd[O], cfg *rest.Config, namespace string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f, out, errOut := Factory(cfg, namespace)
	err = Execute(newCmd(f, nil), f.IO, args...)
	return out.String(), errOut.String(), err
}

// Contains fails t for each of wants that s, described as what, lacks.
func Contains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// RunAsRoot runs a command line against cfg, in the context namespace "default", as igwctl's
// root runs it: with kubectl's connection flags (-n, --context, ...) that the root gives every
// command. hook, when not nil, replaces the command's Run. It returns the exit status igwctl
// would exit with, and the error.
func RunAsRoot[O any](t testing.TB, newCmd NewCmd[O], hook cmdutil.RunFunc[O], cfg *rest.Config, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	f, out, errOut := Factory(cfg, "default")
	cmd := newCmd(f, hook)
	kube.NewConfigFlags().AddFlags(cmd.PersistentFlags())
	err = Execute(cmd, f.IO, args...)
	return out.String(), errOut.String(), cmdutil.ExitCode(err), err
}
