package cmdutil

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/internal/kube"
)

// A pipe is no terminal: no colour whatever the environment says, and $COLUMNS or 80 columns.
func TestDetectTerminalOnAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	env := map[string]string{"TERM": "xterm-256color"}
	getenv := func(k string) string { return env[k] }
	if got := DetectTerminal(w, getenv); got.TTY || got.Color || got.Width != DefaultWidth {
		t.Errorf("pipe: %+v", got)
	}
	env["COLUMNS"] = "132"
	if got := DetectTerminal(w, getenv); got.Width != 132 {
		t.Errorf("COLUMNS=132: %+v", got)
	}
}

// Colour needs a terminal, and NO_COLOR (any value) or TERM=dumb turn it off. A pseudo-terminal
// is not always available to tests, so this runs where /dev/tty opens.
func TestDetectTerminalColour(t *testing.T) {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no terminal to test with: %v", err)
	}
	defer tty.Close()
	for _, tc := range []struct {
		env   map[string]string
		color bool
	}{
		{map[string]string{"TERM": "xterm"}, true},
		{map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
		{map[string]string{"TERM": "dumb"}, false},
	} {
		got := DetectTerminal(tty, func(k string) string { return tc.env[k] })
		if !got.TTY || got.Color != tc.color || got.Width <= 0 {
			t.Errorf("%v: %+v", tc.env, got)
		}
	}
}

type shade string

func TestEnum(t *testing.T) {
	v := shade("dark")
	e := Enum(&v, "dark", "light")
	if err := e.Set("light"); err != nil || v != "light" || e.String() != "light" {
		t.Errorf("Set(light): %v %q", err, v)
	}
	if err := e.Set("Dark"); err == nil || err.Error() != "must be one of dark, light" || v != "light" {
		t.Errorf("Set(Dark): %v, value %q", err, v)
	}
}

type result struct {
	Name string `json:"name"`
}

func (r result) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, "name is "+r.Name+"\n")
	return err
}

func TestPrint(t *testing.T) {
	for format, want := range map[Format]string{
		Text: "name is x\n", "": "name is x\n", JSON: "{\n  \"name\": \"x\"\n}\n", YAML: "name: x\n",
	} {
		var b strings.Builder
		if err := Print(&b, format, result{"x"}); err != nil || b.String() != want {
			t.Errorf("%q: %q, %v", format, b.String(), err)
		}
	}
	if err := Print(io.Discard, "wide", result{}); err == nil {
		t.Error("wide printed")
	}
}

func TestFlags(t *testing.T) {
	var format Format
	var dry kube.DryRun
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddOutputFlag(fs, &format)
	AddDryRunFlag(fs, &dry, "usage")
	if format != Text || dry != kube.DryRunNone {
		t.Errorf("defaults %q %q", format, dry)
	}
	if err := fs.Parse([]string{"-o", "yaml", "--dry-run"}); err != nil || format != YAML || dry != kube.DryRunClient {
		t.Errorf("-o yaml --dry-run: %q %q %v", format, dry, err)
	}
	if err := fs.Parse([]string{"--dry-run=server"}); err != nil || dry != kube.DryRunServer {
		t.Errorf("--dry-run=server: %q %v", dry, err)
	}
	err := fs.Parse([]string{"--dry-run=true"})
	if err == nil || !strings.Contains(err.Error(), `invalid argument "true" for "--dry-run" flag: must be one of none, client, server`) {
		t.Errorf("--dry-run=true: %v", err)
	}
}

type opts struct{ ran string }

func TestRunE(t *testing.T) {
	cmd := func(hook RunFunc[opts], prepare func(*cobra.Command, []string) error) (*cobra.Command, *opts) {
		o := &opts{}
		run := func(ctx context.Context, o *opts) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			o.ran = "run"
			return nil
		}
		c := &cobra.Command{Use: "x", RunE: RunE(o, run, hook, prepare), SilenceErrors: true, SilenceUsage: true}
		c.Flags().Duration("timeout", time.Minute, "")
		return c, o
	}
	c, o := cmd(nil, nil)
	if err := c.Execute(); err != nil || o.ran != "run" {
		t.Errorf("run: %v %q", err, o.ran)
	}
	c, o = cmd(func(_ context.Context, o *opts) error { o.ran = "hook"; return nil }, nil)
	if err := c.Execute(); err != nil || o.ran != "hook" {
		t.Errorf("hook: %v %q", err, o.ran)
	}
	c, o = cmd(nil, nil)
	c.SetArgs([]string{"--timeout", "0s"})
	if err := c.Execute(); err == nil || err.Error() != "--timeout must be positive, got 0s" || o.ran != "" {
		t.Errorf("--timeout 0s: %v %q", err, o.ran)
	}
	refused := errors.New("refused")
	c, o = cmd(nil, func(*cobra.Command, []string) error { return refused })
	if err := c.Execute(); !errors.Is(err, refused) || o.ran != "" {
		t.Errorf("prepare: %v %q", err, o.ran)
	}
}

// Ctrl-C cancels the command's context instead of killing igwctl halfway through a change.
func TestRunECancelledBySignal(t *testing.T) {
	o := &opts{}
	hook := func(ctx context.Context, o *opts) error {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			o.ran = "cancelled"
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("SIGINT did not cancel the context")
		}
	}
	c := &cobra.Command{Use: "x", RunE: RunE(o, nil, hook, nil), SilenceErrors: true, SilenceUsage: true}
	if err := c.Execute(); !errors.Is(err, context.Canceled) || o.ran != "cancelled" {
		t.Errorf("err = %v, %q", err, o.ran)
	}
}
