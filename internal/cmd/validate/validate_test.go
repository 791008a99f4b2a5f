package validate

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// noCluster is a kube.Factory whose every method panics: validate must not touch the cluster
// connection, not even to read a kubeconfig.
type noCluster struct{ kube.Factory }

// run runs `igwctl validate args...` with stdin as standard input and no cluster.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f, out, errOut := cmdtest.Factory(nil, "")
	f.Kube = noCluster{}
	f.IO.In = strings.NewReader(stdin)
	// A nil argument list would make cobra read the test binary's own arguments.
	err = cmdtest.Execute(NewCmd(f, nil), f.IO, append([]string{}, args...)...)
	return out.String(), errOut.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

func TestBrokenText(t *testing.T) {
	out, stderr, err := run(t, "", "-f", "testdata/broken", "-R")
	golden(t, "broken.golden", out)
	if err == nil || err.Error() != "validate found 9 errors in 5 of 5 objects" || stderr != "" {
		t.Errorf("err %v, stderr %q", err, stderr)
	}
	// Without -R the subdirectory is not read.
	out, _, _ = run(t, "", "-f", "testdata/broken")
	if strings.Contains(out, "routes.yaml") || !strings.Contains(out, "pools.yaml") {
		t.Errorf("without -R:\n%s", out)
	}
}

func TestClean(t *testing.T) {
	out, _, err := run(t, "", "-f", "testdata/clean.yaml")
	if err != nil || out != "no problems found\n" {
		t.Errorf("%q %v", out, err)
	}
	// A note is no error: exit status 0.
	out, _, err = run(t, "", "-f", "testdata/unchecked.yaml", "-f", "testdata/clean.yaml")
	if err != nil || out != "Info [IGW0407] (PodMonitor vllm in testdata/unchecked.yaml, document 1) igwctl has no schema for PodMonitor monitoring.coreos.com/v1; not checked\n" {
		t.Errorf("%q %v", out, err)
	}
}

func TestJSON(t *testing.T) {
	out, _, err := run(t, "", "-f", "testdata/broken/pools.yaml", "-o", "json")
	if err == nil {
		t.Error("no error for broken pools")
	}
	var got []diagnose.Finding
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := diagnose.Finding{Code: diagnose.RuleFailed, Severity: diagnose.Error,
		Object: diagnose.Object{Kind: "InferencePool", Namespace: "llm", Name: "llama"}, Source: "testdata/broken/pools.yaml, document 1",
		Message: "spec.targetPorts: Invalid value: port number must be unique", Fix: "list each port once in spec.targetPorts"}
	if !contains(got, want) || len(got) != 6 {
		t.Errorf("%d findings, want 6 with %+v:\n%s", len(got), want, out)
	}
	out, _, err = run(t, "", "-f", "testdata/clean.yaml", "-o", "json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("clean: %q %v", out, err)
	}
	out, _, _ = run(t, "", "-f", "testdata/broken/pools.yaml", "-o", "yaml")
	var fromYAML []diagnose.Finding
	if err := yaml.Unmarshal([]byte(out), &fromYAML); err != nil || len(fromYAML) != 6 || !contains(fromYAML, want) {
		t.Errorf("yaml: %v\n%s", err, out)
	}
}

func contains(fs []diagnose.Finding, want diagnose.Finding) bool {
	for _, f := range fs {
		if f == want {
			return true
		}
	}
	return false
}

func TestStdinAndChannel(t *testing.T) {
	retry, err := os.ReadFile("testdata/retry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, string(retry), "-f", "-")
	if err == nil || !strings.Contains(out, `Error [IGW0401] (HTTPRoute llm/llm-route in -, document 1) unknown field "spec.rules[0].retry"; fix: spec.rules[0].retry is a field of Gateway API's experimental channel`) {
		t.Errorf("standard: %v\n%s", err, out)
	}
	out, _, err = run(t, string(retry), "-f", "-", "--gateway-api", "experimental")
	if err != nil || out != "no problems found\n" {
		t.Errorf("experimental: %v\n%s", err, out)
	}
}

// A file that cannot be read fails the command with its name, and nothing is printed.
func TestUnreadable(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "testdata/missing.yaml"}, "-f testdata/missing.yaml: no such file or directory"},
		{[]string{"-f", "testdata/clean.yaml", "-f", "testdata/missing.yaml"}, "testdata/missing.yaml"},
		{nil, "no files given; name them with -f FILE, -f DIR or -f - for standard input"},
	} {
		out, _, err := run(t, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("%v: %v, stdout %q", tc.args, err, out)
		}
	}
	out, _, err := run(t, "kind: [", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "-, document 1") || out != "" {
		t.Errorf("bad YAML on stdin: %v, %q", err, out)
	}
}

// The hook's findings are printed with the schema's, sorted, and count for the exit status.
func TestAnalyzeHook(t *testing.T) {
	io, out, _ := cmdtest.Streams()
	var seen int
	o := &Options{IO: io, Files: []string{"testdata/clean.yaml"}, GatewayAPI: validate.Standard, Output: cmdutil.Text,
		Analyze: func(objs []manifest.Object) diagnose.Findings {
			seen = len(objs)
			return diagnose.Findings{{Code: "IGW9999", Severity: diagnose.Error, Object: diagnose.Object{Kind: "HTTPRoute", Name: "llm-route"}, Message: "m"}}
		}}
	err := Run(t.Context(), o)
	if seen != 3 || err == nil || err.Error() != "validate found 1 error in 1 of 3 objects" || out.String() != "Error [IGW9999] (HTTPRoute llm-route) m\n" {
		t.Errorf("seen %d, err %v, out %q", seen, err, out)
	}
	if got := Analyzers(nil); got != nil {
		t.Errorf("the unwired hook found %v", got)
	}
}

func TestFlags(t *testing.T) {
	o, err := cmdtest.Parse(t, NewCmd, "-f", "a.yaml", "--filename=b/", "-R", "--gateway-api", "experimental", "-o", "json")
	if err != nil || strings.Join(o.Files, ",") != "a.yaml,b/" || !o.Recursive || o.GatewayAPI != validate.Experimental || o.Output != cmdutil.JSON || o.Analyze == nil {
		t.Errorf("%+v %v", o, err)
	}
	o, err = cmdtest.Parse(t, NewCmd, "-f", "a.yaml")
	if err != nil || o.Recursive || o.GatewayAPI != validate.Standard || o.Output != cmdutil.Text {
		t.Errorf("defaults: %+v %v", o, err)
	}
	if _, err := cmdtest.Parse(t, NewCmd, "-f", "a", "--gateway-api", "beta"); err == nil || !strings.Contains(err.Error(), "must be one of standard, experimental") {
		t.Errorf("--gateway-api beta: %v", err)
	}
	if _, err := cmdtest.Parse(t, NewCmd, "pool.yaml"); err == nil {
		t.Error("a positional file was accepted; kubectl spells it -f")
	}
}
