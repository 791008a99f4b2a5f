package root

import (
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
)

func TestIsPlugin(t *testing.T) {
	for arg0, want := range map[string]bool{
		"kubectl-igw": true, "/usr/local/bin/kubectl-igw": true, "/root/.krew/bin/kubectl-igw": true,
		`C:\Users\me\.krew\bin\kubectl-igw.exe`: true, "kubectl-igw.EXE": true,
		"igwctl": false, "/usr/bin/igwctl": false, "kubectl": false, "kubectl-igw2": false, "igwctl.exe": false,
	} {
		if got := IsPlugin(arg0); got != want {
			t.Errorf("IsPlugin(%q) = %v", arg0, got)
		}
	}
}

// executeAs runs the root command built for arg0 with args and returns what it printed.
func executeAs(t *testing.T, arg0 string, args ...string) (stdout, stderr string) {
	t.Helper()
	io, out, errOut := cmdtest.Streams()
	cmd := NewCmdNamed(io, arg0)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%s %v: %v", arg0, args, err)
	}
	return out.String(), errOut.String()
}

// Run as kubectl-igw, help and usage read "kubectl igw ...", as the user typed it.
func TestPluginHelp(t *testing.T) {
	stdout, _ := executeAs(t, "/home/me/.krew/bin/kubectl-igw", "--help")
	cmdtest.Contains(t, "kubectl igw --help", stdout, "Usage:\n  kubectl igw [command]\n",
		`Use "kubectl igw [command] --help" for more information about a command.`, "help for kubectl igw")

	stdout, _ = executeAs(t, "kubectl-igw", "install", "crds", "--help")
	cmdtest.Contains(t, "kubectl igw install crds --help", stdout, "Usage:\n  kubectl igw install crds", "\n  kubectl igw install crds")
	if strings.Contains(stdout, "igwctl install") {
		t.Errorf("plugin help still says igwctl:\n%s", stdout)
	}
	io, _, _ := cmdtest.Streams()
	for _, tc := range commands() {
		c, _, err := NewCmdNamed(io, "kubectl-igw").Find(strings.Fields(tc.path))
		if err != nil || c.CommandPath() != "kubectl igw "+tc.path || !strings.HasPrefix(c.UseLine(), "kubectl igw "+tc.path) {
			t.Errorf("%s: path %q, use line %q, %v", tc.path, c.CommandPath(), c.UseLine(), err)
		}
		if strings.Contains(c.Example, "igwctl") {
			t.Errorf("%s: example names igwctl:\n%s", tc.path, c.Example)
		}
	}

	// Under its own name nothing changes.
	stdout, _ = executeAs(t, "/usr/local/bin/igwctl", "install", "crds", "--help")
	cmdtest.Contains(t, "igwctl install crds --help", stdout, "Usage:\n  igwctl install crds", "\n  igwctl install crds")
}

// kubectl_complete-igw runs `kubectl-igw __complete WORDS...`: cobra's answer lists the
// candidates, then the directive.
func TestPluginComplete(t *testing.T) {
	stdout, _ := executeAs(t, "kubectl-igw", "__complete", "")
	for _, want := range []string{"install\t", "version\t", "diagnose\t", "completion\t"} {
		if !strings.Contains(stdout, "\n"+want) && !strings.HasPrefix(stdout, want) {
			t.Errorf("__complete \"\" lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "\n:4\n") {
		t.Errorf("__complete \"\": no directive :4 (no file completion):\n%s", stdout)
	}
	stdout, _ = executeAs(t, "kubectl-igw", "__complete", "install", "")
	for _, want := range []string{"crds", "provider", "bbr", "pool"} {
		if !strings.Contains(stdout, want+"\t") {
			t.Errorf("__complete install \"\" lacks %q:\n%s", want, stdout)
		}
	}
}
