package diagnose

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/kube"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const corpus = "../../../testdata/diagnose"

func ok(setup string) string     { return filepath.Join(corpus, "ok", setup) }
func broken(c string) string     { return filepath.Join(corpus, "broken", c+".yaml") }
func goldenPath(n string) string { return filepath.Join("testdata", n+".golden") }

// run runs `igwctl diagnose args...` with stdin and returns what it printed and its exit status.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	f, out, errOut := cmdtest.Factory(nil, "")
	f.IO.In = strings.NewReader(stdin)
	err = cmdtest.Execute(NewCmd(f, nil), f.IO, args...)
	return out.String(), errOut.String(), cmdutil.ExitCode(err), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, goldenPath(name), got, *update)
}

// The text output, as istioctl analyze prints it: errors first, then warnings, each with the
// object, the file and document it came from, the message and the fix.
func TestTextGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		stats string
	}{
		{"clean", []string{"-f", ok("istio-bbr")}, 0, "Analyzed 22 objects from files (offline) with 56 analyzers: 0 errors, 0 warnings, 0 info.\n"},
		{"mixed", []string{"-f", ok("istio"), "-f", broken("objective-pool-missing"), "-f", broken("pool-failopen-one-replica"),
			"-f", broken("route-pool-port")}, 1, "Analyzed 12 objects from files (offline) with 56 analyzers: 1 error, 2 warnings, 0 info.\n"},
		{"broken-bbr", []string{"-f", ok("istio-bbr"), "-f", broken("bbr-upstream-header"), "-f", broken("bbr-adapter-two-bases")}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code, err := run(t, "", tc.args...)
			if code != tc.code || (code != 0 && !cmdutil.Silent(err)) {
				t.Errorf("exit %d (%v), want %d and nothing more to print", code, err, tc.code)
			}
			if tc.stats != "" && stderr != tc.stats {
				t.Errorf("stderr %q, want %q", stderr, tc.stats)
			}
			golden(t, tc.name, stdout)
		})
	}
}

// -o json is the findings as a list of objects with stable field names.
func TestJSON(t *testing.T) {
	stdout, _, code, _ := run(t, "", "-f", ok("istio"), "-f", broken("route-pool-missing"), "-o", "json")
	var got []diag.Finding
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	want := diag.Finding{Code: diag.RoutePoolMissing, Severity: diag.Error,
		Object: diag.Object{Kind: "HTTPRoute", Namespace: "default", Name: "llm-route"},
		Source: broken("route-pool-missing") + ", document 1"}
	if code != 1 || len(got) != 1 || got[0].Code != want.Code || got[0].Severity != want.Severity || got[0].Object != want.Object ||
		got[0].Source != want.Source || !strings.Contains(got[0].Message, "vllm-llama3-8b") || got[0].Fix == "" {
		t.Errorf("exit %d, findings %+v", code, got)
	}
	// Nothing found is an empty list, not null.
	stdout, _, _, _ = run(t, "", "-f", ok("nginx"), "-o", "json")
	if strings.TrimSpace(stdout) != "[]" {
		t.Errorf("clean -o json: %q", stdout)
	}
}

func TestYAML(t *testing.T) {
	stdout, _, _, _ := run(t, "", "-f", ok("istio"), "-f", broken("route-pool-port"), "-o", "yaml")
	var got []diag.Finding
	if err := yaml.Unmarshal([]byte(stdout), &got); err != nil || len(got) != 1 || got[0].Code != diag.RoutePoolPort {
		t.Errorf("%v: %+v\n%s", err, got, stdout)
	}
}

// Exit statuses: 1 for errors, 2 for warnings only with --fail-on warning, 0 otherwise;
// suppressed findings count for nothing.
func TestExitStatus(t *testing.T) {
	warnings := []string{"-f", ok("istio"), "-f", broken("route-pool-port")}
	errs := []string{"-f", ok("istio"), "-f", broken("route-pool-missing")}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"clean", []string{"-f", ok("gke-bbr")}, 0},
		{"warnings", warnings, 0},
		{"warnings fail-on warning", append(warnings, "--fail-on", "warning"), 2},
		{"errors", errs, 1},
		{"errors fail-on warning", append(errs, "--fail-on=warning"), 1},
		{"error suppressed", append(errs, "--suppress", "IGW1001=HTTPRoute/default/llm-route"), 0},
		{"error suppressed by pattern", append(errs, "--suppress", "igw1001=HTTPRoute/*/*"), 0},
		{"error suppressed everywhere", append(errs, "--suppress", "IGW1001"), 0},
		{"other object", append(errs, "--suppress", "IGW1001=HTTPRoute/other/llm-route"), 1},
		{"other code", append(errs, "--suppress", "IGW1002=*"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code, _ := run(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
		})
	}
	_, stderr, _, _ := run(t, "", append(errs, "--suppress", "IGW1001=*")...)
	if !strings.Contains(stderr, "0 errors, 0 warnings, 0 info (1 suppressed)") {
		t.Errorf("stderr does not count the suppressed finding: %q", stderr)
	}
}

// When the analysis cannot run, diagnose exits 3 with a message naming the problem, and prints
// no findings.
func TestCannotRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no files, no cluster", []string{}, "no cluster to read"},
		{"--cluster without files", []string{"--cluster"}, "--cluster adds the cluster to the files of -f"},
		{"missing file", []string{"-f", "no/such.yaml"}, "no/such.yaml"},
		{"not YAML", []string{"-f", "diagnose.go"}, "diagnose.go, document 1: not valid YAML"},
		{"bad suppress code", []string{"-f", ok("istio"), "--suppress", "IST0101=x"}, "the code must be IGW and four digits"},
		{"bad suppress pattern", []string{"-f", ok("istio"), "--suppress", "IGW1001=["}, "is not a Kind/namespace/name pattern"},
		{"bad flag value", []string{"-f", ok("istio"), "--fail-on", "info"}, "must be one of error, warning"},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
		{"argument", []string{"x.yaml"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, code, err := run(t, "", tc.args...)
			if code != 3 || err == nil || !strings.Contains(err.Error(), tc.want) || stdout != "" {
				t.Errorf("exit %d, err %v (want %q), stdout %q", code, err, tc.want, stdout)
			}
		})
	}
}

// -f - reads standard input; -n is the namespace of objects that name none.
func TestStdinAndNamespace(t *testing.T) {
	in := `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - backendRefs:
    - {group: inference.networking.k8s.io, kind: InferencePool, name: p, weight: 0}
`
	f, out, _ := cmdtest.Factory(nil, "")
	f.IO.In = strings.NewReader(in)
	cmd := NewCmd(f, nil)
	// -n is the root command's (kubectl's connection flags); give this command its own copy.
	kube.NewConfigFlags().AddFlags(cmd.PersistentFlags())
	err := cmdtest.Execute(cmd, f.IO, "-f", "-", "-n", "llm")
	stdout, code := out.String(), cmdutil.ExitCode(err)
	if code != 1 || !strings.Contains(stdout, "Error [IGW1005] (HTTPRoute llm/r in -, document 1) rule 1: every backendRef has weight 0") {
		t.Errorf("exit %d (%v):\n%s", code, err, stdout)
	}
}

// The gathering is one step: a live gatherer plugs in by returning a snapshot, and everything
// after it (analysis, suppression, printing, exit status) is the same. Live, a missing object is
// missing, so an analyzer that stays silent offline speaks.
func TestGatherer(t *testing.T) {
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool",
		"metadata": map[string]any{"name": "p", "namespace": "llm"},
		"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "vllm"}},
			"targetPorts": []any{map[string]any{"number": int64(8000)}}, "endpointPickerRef": map[string]any{"name": "p-epp", "port": map[string]any{"number": int64(9002)}}},
	}}
	f, out, errOut := cmdtest.Factory(nil, "")
	var gathered bool
	cmd := NewCmd(f, func(ctx context.Context, o *Options) error {
		o.Gather = func(context.Context, *Options) (*diag.Snapshot, string, error) {
			gathered = true
			return &diag.Snapshot{Objects: []*unstructured.Unstructured{pool}, Live: true}, "1 object from cluster test", nil
		}
		return Run(ctx, o)
	})
	err := cmdtest.Execute(cmd, f.IO, "-f", "unused.yaml", "--suppress", "IGW1109")
	if !gathered || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("gathered %v, exit %d", gathered, cmdutil.ExitCode(err))
	}
	for _, want := range []string{"[IGW1101] (InferencePool llm/p) selector app=vllm matches no pod in namespace llm",
		"[IGW1104] (InferencePool llm/p) endpointPickerRef names Service llm/p-epp, which does not exist"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.HasPrefix(errOut.String(), "Analyzed 1 object from cluster test with ") {
		t.Errorf("stderr %q", errOut.String())
	}
}

// Flags parse into Options as documented.
func TestFlags(t *testing.T) {
	o, err := cmdtest.Parse(t, NewCmd, "-f", "a.yaml", "-f", "b,c", "-R", "--suppress", "IGW1108=InferencePool/default/x",
		"--fail-on", "warning", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	want := []Suppression{{Code: "IGW1108", Pattern: "InferencePool/default/x"}}
	if strings.Join(o.Files, " ") != "a.yaml b c" || !o.Recursive || o.FailOn != FailOnWarning || o.Output != cmdutil.JSON ||
		len(o.Suppressions) != 1 || o.Suppressions[0] != want[0] {
		t.Errorf("%+v", o)
	}
	o, _ = cmdtest.Parse(t, NewCmd, "-f", "a.yaml")
	if o.FailOn != FailOnError || o.Output != cmdutil.Text || o.Recursive {
		t.Errorf("defaults: %+v", o)
	}
}

// Without -f diagnose reads the cluster; with -f only when --cluster or -A asks for it too.
func TestLiveFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		live bool
	}{
		{[]string{}, true},
		{[]string{"-A"}, true},
		{[]string{"-f", "a.yaml"}, false},
		{[]string{"-f", "a.yaml", "--cluster"}, true},
		{[]string{"-f", "a.yaml", "--all-namespaces"}, true},
	} {
		o, err := cmdtest.Parse(t, NewCmd, tc.args...)
		if err != nil || o.live() != tc.live {
			t.Errorf("%q: live %v, want %v (%v)", tc.args, o != nil && o.live(), tc.live, err)
		}
	}
	if o, _ := cmdtest.Parse(t, NewCmd, "-A"); !o.AllNamespaces || o.Cluster {
		t.Errorf("-A: %+v", o)
	}
}
