package diagnose

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	diag "github.com/igw-dev/igw/internal/diagnose"
	cases "github.com/igw-dev/igw/internal/diagnose/corpus"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var bed *testbed.Env

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../config/crd", "../../../config/gateway-api/standard", "../../../testdata/crds/standins.yaml"),
		// Room for the benchmark's 300 picker Services (envtest's range holds 254).
		func(e *envtest.Environment) {
			e.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
		})
}

// apply puts the objects in paths on the test bed, with the statuses their controllers would
// write, until the test ends. Objects of kinds the test bed does not serve are left out.
func apply(t *testing.T, paths ...string) {
	t.Helper()
	if err := tryApply(t, paths...); err != nil {
		t.Fatal(err)
	}
}

// tryApply is apply, returning Apply's error.
func tryApply(t *testing.T, paths ...string) error {
	t.Helper()
	objs, err := standin.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = standin.TryApplyT(t, bed.Config, standin.Options{SkipUnserved: true}, objs)
	return err
}

// runLive runs `igwctl diagnose args...` against cfg, as the root command runs it.
func runLive(t testing.TB, cfg *rest.Config, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	return cmdtest.RunAsRoot(t, NewCmd, nil, cfg, args...)
}

// Every correct setup, applied and given the statuses its controllers write, is clean live too:
// the live reading adds no false finding.
func TestLiveCorrectSetups(t *testing.T) {
	dirs, err := cases.Setups(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			apply(t, dir)
			stdout, stderr, code, err := runLive(t, bed.Config, "-A")
			if code != 0 || stdout != "no problems found\n" || !strings.Contains(stderr, "from the cluster (all namespaces) with 56 analyzers: 0 errors, 0 warnings, 0 info.") {
				t.Errorf("exit %d (%v):\n%s%s", code, err, stdout, stderr)
			}
		})
	}
}

// liveDiffers are the broken cases whose codes differ live, and why: what the test bed cannot
// hold, or what a gateway writes in status once it sees the mistake.
var liveDiffers = map[string]struct {
	want []diag.Code
	why  string
	// refused is the API server's error when it refuses the case's objects.
	refused string
}{
	"version-experimental-kind.yaml": {why: "the test bed runs the standard channel, which has no XBackendTrafficPolicy to create"},
	"route-listener-namespace.yaml": {want: []diag.Code{diag.RouteNotAccepted},
		why: "the gateway writes Accepted=False/NotAllowedByListeners, and IGW1007 reports what IGW1011 infers from the spec without status"},
	"pool-picker-scaled-to-zero.yaml": {want: []diag.Code{diag.PoolPickerNoEndpoints, diag.PoolPickerUnavailable},
		why: "live, the picker Service of a Deployment scaled to 0 has no endpoint either"},
	"version-bundle-older.yaml": {want: []diag.Code{diag.CRDBundleOlderThanProvider, diag.CRDBundleMixed},
		why: "the test bed's other inference CRDs are v1.6.0's, so an older InferencePool CRD also mixes releases"},
	"route-pool-as-service.yaml": {refused: "Must have port for Service reference",
		why: "the HTTPRoute CRD's rules refuse a Service backendRef without a port, so this route never reaches a cluster (validate reports it)"},
}

// Every broken case applied to the test bed gives live the codes it gives offline: the analyzers
// mean the same thing whether the objects come from files or from the cluster.
func TestLiveCorpus(t *testing.T) {
	all, err := cases.Cases(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		name := filepath.Base(c.File)
		t.Run(name, func(t *testing.T) {
			want := c.Want
			d, differs := liveDiffers[name]
			if differs {
				want = d.want
				t.Log(d.why)
			}
			if d.refused != "" {
				if err := tryApply(t, c.Paths(corpus)...); err == nil || !strings.Contains(err.Error(), d.refused) {
					t.Errorf("the API server should refuse it with %q: %v", d.refused, err)
				}
				return
			}
			apply(t, c.Paths(corpus)...)
			stdout, stderr, _, _ := runLive(t, bed.Config, "-A", "-o", "json")
			got := codesOfJSON(t, stdout)
			if !slices.Equal(got, want) {
				t.Errorf("live codes %v, want %v:\n%s%s", got, want, stdout, stderr)
			}
		})
	}
}

func codesOfJSON(t *testing.T, stdout string) []diag.Code {
	t.Helper()
	var fs diag.Findings
	if err := json.Unmarshal([]byte(stdout), &fs); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	return cases.Codes(fs)
}

// The live text output, as the offline one: findings about objects read from the cluster carry
// no file; stderr says what was read.
func TestLiveGolden(t *testing.T) {
	apply(t, ok("istio"), broken("pool-failopen-one-replica"), broken("route-pool-missing"))
	stdout, stderr, code, _ := runLive(t, bed.Config)
	if code != 1 || !strings.HasPrefix(stderr, "Analyzed ") || !strings.Contains(stderr, " objects from the cluster (namespace default) with 56 analyzers: 1 error, 1 warning, 0 info.\n") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	golden(t, "live", stdout)
}

// Files over the cluster: the file's objects replace the cluster's as applying them would, and
// their findings name the file. Offline the same files say less: they lack what the cluster has.
func TestLiveFilesOverCluster(t *testing.T) {
	apply(t, ok("istio"))
	stdout, stderr, code, _ := runLive(t, bed.Config, "-f", broken("pool-selects-no-pods"), "--cluster")
	want := "Error [IGW1101] (InferencePool default/vllm-llama3-8b-instruct in " + broken("pool-selects-no-pods") + ", document 1) selector"
	if code != 1 || !strings.Contains(stdout, want) || !strings.Contains(stderr, "from the cluster (namespace default) and 1 object from files") {
		t.Errorf("exit %d:\n%s%s", code, stdout, stderr)
	}
	if stdout, _, code, _ := runLive(t, bed.Config, "-f", broken("pool-selects-no-pods")); code != 0 || stdout != "no problems found\n" {
		t.Errorf("offline: exit %d\n%s", code, stdout)
	}
}

// One LIST per kind whatever the objects, and no GET of any single object.
func TestLiveRequests(t *testing.T) {
	apply(t, ok("istio-bbr"))
	var n standin.Counter
	_, _, code, err := runLive(t, n.Config(bed.Config), "-A")
	lists, others := n.Collections()
	if code != 0 || len(others) > 0 || len(lists) < 20 {
		t.Fatalf("exit %d (%v); %d collections; other requests: %v", code, err, len(lists), others)
	}
	for path, pages := range lists {
		if pages != 1 {
			t.Errorf("%s listed %d times", path, pages)
		}
	}
}

// An unreachable cluster is "could not run", exit 3, with a message naming the server.
func TestLiveUnreachable(t *testing.T) {
	cfg := rest.CopyConfig(bed.Config)
	cfg.Host = "https://127.0.0.1:1"
	stdout, _, code, err := runLive(t, cfg)
	if code != 3 || err == nil || !strings.Contains(err.Error(), "cluster unreachable") || !strings.Contains(err.Error(), "127.0.0.1:1") || stdout != "" {
		t.Errorf("exit %d, err %v, stdout %q", code, err, stdout)
	}
}

// A user who may not list pods is told so, and no finding claims the pool has none.
func TestLiveForbidden(t *testing.T) {
	apply(t, ok("istio"))
	user, err := bed.Environment.AddUser(envtest.User{Name: "no-pods"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	standin.ApplyT(t, bed.Config, standin.Options{}, standin.Reader("no-pods", "", "pods"))
	stdout, stderr, _, _ := runLive(t, user.Config())
	if !strings.Contains(stderr, `Not listed, so checks that need it did not run: Pod: pods is forbidden: User "no-pods" cannot list resource "pods"`) ||
		strings.Contains(stdout, "IGW1101") || strings.Contains(stdout, "IGW1118") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}
