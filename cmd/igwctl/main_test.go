package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// completeScript is what kubectl runs to complete `kubectl igw ...`.
const completeScript = "../../hack/krew/kubectl_complete-igw"

// Installed as krew installs it, kubectl-igw and kubectl_complete-igw on $PATH, igwctl is the
// plugin `kubectl igw`: its help says so and kubectl's plugin completion gets its candidates.
func TestKubectlPlugin(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run kubectl_complete-igw:", err)
	}
	if testing.Short() {
		t.Skip("builds igwctl")
	}
	dir := t.TempDir()
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	const pkg = "github.com/igw-dev/igw/internal/version"
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "igwctl"+exe),
		"-ldflags", "-X "+pkg+".version=v0.2.0 -X "+pkg+".commit=abc1234def5678 -X "+pkg+".date=2026-12-02T00:00:00Z", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "igwctl"+exe))
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(dir, "kubectl-igw"+exe)
	if err := os.WriteFile(plugin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(completeScript)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(script); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s must be an executable file: %v %v", completeScript, fi, err)
	}
	env := append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+filepath.Join(dir, "none"))

	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s%s", filepath.Base(name), args, err, out, stderr.String())
		}
		return string(out)
	}

	help := run(plugin, "--help")
	for _, want := range []string{"Usage:\n  kubectl igw [command]\n", `Use "kubectl igw [command] --help"`} {
		if !strings.Contains(help, want) {
			t.Errorf("kubectl-igw --help lacks %q:\n%s", want, help)
		}
	}
	if help := run(plugin, "install", "crds", "--help"); !strings.Contains(help, "Usage:\n  kubectl igw install crds") || strings.Contains(help, "igwctl install") {
		t.Errorf("kubectl-igw install crds --help:\n%s", help)
	}
	// Under its own name it is igwctl.
	if help := run(filepath.Join(dir, "igwctl"+exe), "--help"); !strings.Contains(help, "Usage:\n  igwctl [command]\n") {
		t.Errorf("igwctl --help:\n%s", help)
	}

	// kubectl passes the words after `kubectl igw`, the last one being completed.
	got := run(script, "install", "")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	var candidates []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		candidates = append(candidates, name)
	}
	for _, want := range []string{"crds", "provider", "bbr", "pool"} {
		if !strings.Contains(" "+strings.Join(candidates, " ")+" ", " "+want+" ") {
			t.Errorf("kubectl_complete-igw install \"\": %v lacks %s\n%s", candidates, want, got)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, ":") {
		t.Errorf("kubectl_complete-igw: last line %q is not cobra's directive", last)
	}

	// The release's stamp reaches `version`.
	want := "igwctl v0.2.0 (commit abc1234def56, built 2026-12-02T00:00:00Z, "
	if v := run(plugin, "version"); !strings.HasPrefix(v, want) || !strings.HasSuffix(v, " "+runtime.GOOS+"/"+runtime.GOARCH+")\n") {
		t.Errorf("kubectl-igw version: %q, want %q...", v, want)
	}
}
