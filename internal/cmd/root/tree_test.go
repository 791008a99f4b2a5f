package root

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
)

// command is what every igwctl command must look like to a user, one row per runnable command.
// A new command gets a row here (TestEveryCommandHasARow fails until it does).
type command struct {
	path   string   // "install provider"
	args   []string // the fewest positional arguments it accepts
	output bool     // prints data: -o text|json|yaml
	dryRun bool     // changes the cluster: --dry-run none|client|server
}

func commands() []command {
	return []command{
		{path: "version", output: true},
		{path: "install crds", output: true, dryRun: true},
		{path: "install provider", args: []string{"istio"}, output: true, dryRun: true},
		{path: "install bbr", output: true, dryRun: true},
		{path: "install pool", args: []string{"llama"}, output: true, dryRun: true},
		{path: "uninstall crds", output: true, dryRun: true},
		{path: "uninstall provider", args: []string{"istio"}, output: true, dryRun: true},
		{path: "uninstall bbr", output: true, dryRun: true},
		{path: "uninstall pool", args: []string{"llama"}, output: true, dryRun: true},
		{path: "convert"},
		{path: "validate", output: true},
		{path: "diagnose", output: true},
		{path: "verify", output: true},
		{path: "conformance", output: true, dryRun: true},
		{path: "top", output: true},
		{path: "route set", args: []string{"llama"}, output: true, dryRun: true},
		{path: "route show", output: true},
		{path: "route simulate", output: true},
	}
}

// execute runs `igwctl <args>` as cmd/igwctl does, with no cluster configured, and returns what
// it printed.
func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, out, errOut := cmdtest.Streams()
	cmd := NewCmd(io)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// runnable lists the commands that do something (help and completion are cobra's).
func runnable(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.Name() == "help" || sub.Name() == "completion" {
			continue
		}
		if len(sub.Commands()) == 0 {
			out = append(out, sub)
		}
		out = append(out, runnable(sub)...)
	}
	return out
}

func find(t *testing.T, path string) *cobra.Command {
	t.Helper()
	io, _, _ := cmdtest.Streams()
	c, _, err := NewCmd(io).Find(strings.Fields(path))
	if err != nil || c.CommandPath() != "igwctl "+path {
		t.Fatalf("igwctl %s: %v", path, err)
	}
	return c
}

func TestEveryCommandHasARow(t *testing.T) {
	io, _, _ := cmdtest.Streams()
	var rows []string
	for _, c := range commands() {
		rows = append(rows, c.path)
	}
	for _, c := range runnable(NewCmd(io)) {
		path := strings.TrimPrefix(c.CommandPath(), "igwctl ")
		if !slices.Contains(rows, path) {
			t.Errorf("igwctl %s has no row in commands()", path)
		}
	}
}

// Every command explains itself the same way: a one-line Short, a Long, examples, and --help
// on stdout with kubectl's connection flags.
func TestHelp(t *testing.T) {
	for _, tc := range commands() {
		c := find(t, tc.path)
		if c.Short == "" || c.Long == "" || c.Example == "" || strings.HasSuffix(c.Short, ".") {
			t.Errorf("%s: Short %q, Long %d bytes, Example %d bytes; want all, Short without a full stop", tc.path, c.Short, len(c.Long), len(c.Example))
		}
		stdout, stderr, err := execute(t, append(strings.Fields(tc.path), "--help")...)
		if err != nil || stderr != "" {
			t.Errorf("%s --help: %v, stderr %q", tc.path, err, stderr)
		}
		firstLine, _, _ := strings.Cut(c.Long, "\n")
		cmdtest.Contains(t, tc.path+" --help", stdout, firstLine, "Usage:\n  igwctl "+tc.path, "Examples:", "--kubeconfig", "-n, --namespace")
	}
}

// -o is the same flag wherever a command prints data, and absent where it does not.
func TestOutputFlag(t *testing.T) {
	for _, tc := range commands() {
		f := sharedFlag(t, tc, "output", tc.output, []string{"text", "json", "yaml"}, []string{"-o", "wide"},
			`invalid argument "wide" for "-o, --output" flag: must be one of text, json, yaml`)
		if f != nil && (f.Shorthand != "o" || f.DefValue != "text" || f.Usage != "output format: text, json or yaml") {
			t.Errorf("%s -o: %+v", tc.path, f)
		}
	}
}

// --dry-run is kubectl's wherever a command changes the cluster: none, client or server, a bare
// --dry-run meaning client.
func TestDryRunFlag(t *testing.T) {
	for _, tc := range commands() {
		f := sharedFlag(t, tc, "dry-run", tc.dryRun, []string{"none", "client", "server"}, []string{"--dry-run=true"},
			`invalid argument "true" for "--dry-run" flag: must be one of none, client, server`)
		if f != nil && (f.DefValue != "none" || f.NoOptDefVal != "client") {
			t.Errorf("%s --dry-run: %+v", tc.path, f)
		}
	}
}

// sharedFlag checks a flag that must look the same on every command: the command has it exactly
// when want says, it takes each of valid, and the command line with bad fails with wantErr before
// anything runs or prints. It returns the flag when the command has it.
func sharedFlag(t *testing.T, tc command, name string, want bool, valid, bad []string, wantErr string) *pflag.Flag {
	t.Helper()
	f := find(t, tc.path).Flags().Lookup(name)
	if (f != nil) != want {
		t.Errorf("%s: has --%s: %v; its row in commands() says %v", tc.path, name, f != nil, want)
	}
	if f == nil || !want {
		return nil
	}
	for _, v := range valid {
		if err := find(t, tc.path).Flags().Set(name, v); err != nil {
			t.Errorf("%s --%s=%s: %v", tc.path, name, v, err)
		}
	}
	stdout, _, err := execute(t, append(append(strings.Fields(tc.path), tc.args...), bad...)...)
	if err == nil || err.Error() != wantErr || stdout != "" {
		t.Errorf("%s %v: %v, stdout %q", tc.path, bad, err, stdout)
	}
	return f
}

// A command refuses a bad command line before it does anything, with an error that names the
// problem, and prints nothing itself: cmd/igwctl prints the error once and exits 1.
func TestErrors(t *testing.T) {
	for _, tc := range commands() {
		base := append(strings.Fields(tc.path), tc.args...)
		for _, bad := range []struct {
			args []string
			want string
		}{
			{append(slices.Clone(base), "--no-such-flag"), "unknown flag: --no-such-flag"},
			{append(slices.Clone(base), "extra", "args"), ""},
		} {
			stdout, stderr, err := execute(t, bad.args...)
			if err == nil || !strings.Contains(err.Error(), bad.want) || stdout != "" || stderr != "" {
				t.Errorf("igwctl %s: err %v (want %q), stdout %q, stderr %q", strings.Join(bad.args, " "), err, bad.want, stdout, stderr)
			}
		}
		if find(t, tc.path).Flags().Lookup("timeout") == nil {
			continue
		}
		_, _, err := execute(t, append(slices.Clone(base), "--timeout", "0s")...)
		if err == nil || err.Error() != "--timeout must be positive, got 0s" {
			t.Errorf("%s --timeout 0s: %v", tc.path, err)
		}
	}
}

// version runs without a cluster, so its -o is checked end to end.
func TestVersionOutputs(t *testing.T) {
	text, _, err := execute(t, "version", "-o", "text")
	if err != nil || !strings.HasPrefix(text, "igwctl ") {
		t.Errorf("-o text: %q %v", text, err)
	}
	out, _, err := execute(t, "version", "-o", "json")
	var v struct{ Version, GoVersion string }
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || !strings.Contains(text, v.Version) {
		t.Errorf("-o json: %q %v", out, err)
	}
	if out, _, err := execute(t, "version", "-o", "yaml"); err != nil || !strings.Contains(out, "version: "+v.Version) {
		t.Errorf("-o yaml: %q %v", out, err)
	}
}
