package set

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmd/route/simulate"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var (
	bed    *testbed.Env
	update = flag.Bool("update", false, "rewrite the golden files in testdata")
)

const dir = "../../../../testdata/route/set/"

var classGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../../config/crd", "../../../../config/gateway-api/standard", "../../../../testdata/crds/standins.yaml"))
}

// world applies the Gateway and the pools in ns, with bbr in front of the Gateway when withBBR.
func world(t *testing.T, ns string, withBBR bool) {
	t.Helper()
	files := []string{"gateway.yaml", "pools.yaml"}
	if withBBR {
		files = append(files, "bbr.yaml")
	}
	var paths []string
	for _, f := range files {
		data, err := os.ReadFile(dir + f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), f)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(data), "NAMESPACE", ns)), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	objs, err := standin.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	var mine []*unstructured.Unstructured
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	for _, u := range objs {
		if u.GetKind() != "GatewayClass" {
			u.SetNamespace(ns)
		} else if _, err := dyn.Resource(classGVR).Get(context.Background(), u.GetName(), metav1.GetOptions{}); err == nil {
			continue // an earlier world of this test made it
		}
		mine = append(mine, u)
	}
	standin.ApplyT(t, bed.Config, standin.Options{}, mine)
}

func run(t *testing.T, ns string, args ...string) (string, string, error) {
	t.Helper()
	return cmdtest.Run(t, NewCmd, bed.Config, ns, args...)
}

func decode(t *testing.T, stdout string) Result {
	t.Helper()
	var r Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return r
}

func weights(t *testing.T, ns, model string) string {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	u, err := dyn.Resource(routeGVR).Namespace(ns).Get(context.Background(), RouteName(model), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	data, _ := json.Marshal(refs[0].(map[string]any)["backendRefs"])
	return string(data)
}

// A route's life: created, unchanged, configured, checked by the server without a change, then
// shown by a client dry run.
func TestSetLifecycle(t *testing.T) {
	ns := "route-set"
	world(t, ns, true)
	canary := []string{"llama", "--gateway", "inference-gateway", "--pool", "llama-v1=90", "--pool", "llama-v2=10"}
	stdout, stderr, err := run(t, ns, canary...)
	if err != nil || stderr != "" {
		t.Fatalf("create: %v, stderr %q", err, stderr)
	}
	golden(t, "created", stdout)
	stdout, _, err = run(t, ns, append(canary, "-o", "json")...)
	if r := decode(t, stdout); err != nil || r.Action != "unchanged" {
		t.Errorf("second set: %+v %v", r, err)
	}
	stdout, _, err = run(t, ns, "llama", "--gateway", "inference-gateway", "--pool", "llama-v1=80", "--pool", "llama-v2=20", "-o", "json")
	r := decode(t, stdout)
	if err != nil || r.Action != "configured" || len(r.Pools) != 2 || r.Pools[1] != (PoolWeight{"llama-v2", 20}) || r.Route != RouteName("llama") {
		t.Errorf("weight change: %+v %v", r, err)
	}
	before := weights(t, ns, "llama")
	if !strings.Contains(before, `"weight":80`) || !strings.Contains(before, `"kind":"InferencePool"`) || !strings.Contains(before, `"group":"inference.networking.k8s.io"`) {
		t.Errorf("stored backendRefs %s", before)
	}
	for _, mode := range []string{"server", "client"} {
		stdout, _, err = run(t, ns, "llama", "--gateway", "inference-gateway", "--pool", "llama-v1=50", "--pool", "llama-v2=50", "--dry-run="+mode, "-o", "json")
		if r := decode(t, stdout); err != nil || r.Action != "configured" || string(r.DryRun) != mode {
			t.Errorf("--dry-run=%s: %+v %v", mode, r, err)
		}
		if after := weights(t, ns, "llama"); after != before {
			t.Errorf("--dry-run=%s changed the route: %s", mode, after)
		}
	}
	// simulate, live: the cluster's route, read with one LIST per kind, splits llama 80/20.
	stdout, _, err = cmdtest.Run(t, simulate.NewCmd, bed.Config, ns, "--gateway", "inference-gateway", "--body", `{"messages":[],"model":"llama"}`,
		"-H", "x-gateway-inference-model: qwen", "-o", "json")
	var sim simulate.Result
	if err != nil || json.Unmarshal([]byte(stdout), &sim) != nil || sim.Route == nil || sim.Route.Name != RouteName("llama") ||
		len(sim.Pools) != 2 || sim.Pools[0].Probability != "4/5" || sim.Pools[1].Probability != "1/5" || len(sim.BBR.Stripped) != 1 {
		t.Errorf("simulate live: %v %s", err, stdout)
	}
	stdout, _, _ = run(t, ns, "mistral", "--gateway", "inference-gateway", "--pool", "llama-v1", "--dry-run=server")
	cmdtest.Contains(t, "server dry run of a new route", stdout, "created (server dry run)", "100%")
}

// What set refuses, before changing anything, and what it says to do.
func TestSetRefuses(t *testing.T) {
	ns := "route-refuse"
	world(t, ns, true)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing pool", []string{"llama", "--gateway", "inference-gateway", "--pool", "llama-v1=1", "--pool", "nope=1"},
			[]string{"no InferencePool route-refuse/nope (inference.networking.k8s.io)"}},
		{"alpha pool", []string{"llama", "--gateway", "inference-gateway", "--pool", "legacy=1"},
			[]string{"InferencePool route-refuse/legacy exists only in the alpha group inference.networking.x-k8s.io", "igwctl convert -f -"}},
		{"missing Gateway", []string{"llama", "--gateway", "missing", "--pool", "llama-v1=1"},
			[]string{"no Gateway route-refuse/missing", "igwctl install provider PROVIDER --gateway missing"}},
	} {
		_, _, err := run(t, ns, tc.args...)
		if err == nil {
			t.Errorf("%s: applied", tc.name)
			continue
		}
		cmdtest.Contains(t, tc.name, err.Error(), append(tc.want, "nothing was changed", "--force")...)
	}
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	if l, err := dyn.Resource(routeGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("refusals left routes: %v %v", l, err)
	}

	nobbr := "route-nobbr"
	world(t, nobbr, false)
	_, _, err := run(t, nobbr, "llama", "--gateway", "inference-gateway", "--pool", "llama-v1=1")
	if err == nil {
		t.Fatal("no bbr: applied")
	}
	cmdtest.Contains(t, "no bbr", err.Error(), "[IGW1301]", "igwctl install bbr --provider")
}

// A route of the same name that kubectl created is not igwctl's to change, until --force.
func TestSetTakeover(t *testing.T) {
	ns := "route-takeover"
	world(t, ns, true)
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	theirs := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": RouteName("qwen"), "namespace": ns},
		"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "inference-gateway"}},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"group": PoolGroup, "kind": "InferencePool", "name": "llama-v1"}}}}}}}
	if _, err := dyn.Resource(routeGVR).Namespace(ns).Create(context.Background(), theirs, metav1.CreateOptions{FieldManager: "kubectl-create"}); err != nil {
		t.Fatal(err)
	}
	args := []string{"qwen", "--gateway", "inference-gateway", "--pool", "llama-v2=1"}
	_, _, err := run(t, ns, args...)
	if err == nil {
		t.Fatal("took over without --force")
	}
	cmdtest.Contains(t, "takeover", err.Error(), "igwctl did not create it (field managers kubectl-create)", "--force takes it over")
	stdout, stderr, err := run(t, ns, append(args, "--force")...)
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "--force", stdout, "configured")
	cmdtest.Contains(t, "--force warning", stderr, "warning: --force: HTTPRoute route-takeover/"+RouteName("qwen"))
	if w := weights(t, ns, "qwen"); !strings.Contains(w, `"name":"llama-v2"`) {
		t.Errorf("after --force: %s", w)
	}
	if _, _, err := run(t, ns, args...); err != nil {
		t.Errorf("igwctl's now, no --force needed: %v", err)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"m", "--pool", "a=1"}, "--gateway is required"},
		{[]string{"m", "--gateway", "g"}, "--pool is required"},
		{[]string{"m", "--gateway", "g", "--pool", "a=-1"}, "whole number from 0 to 1000000"},
		{[]string{"m", "--gateway", "g", "--pool", "a=1.5"}, "whole number"},
		{[]string{"m", "--gateway", "g", "--pool", "a=0", "--pool", "b=0"}, "every --pool weight is 0"},
		{[]string{"m", "--gateway", "g", "--pool", "a=1", "--pool", "a=2"}, "given twice"},
		{[]string{"m", "--gateway", "g", "--pool", "A_b=1"}, "not an InferencePool name"},
		{[]string{" m", "--gateway", "g", "--pool", "a"}, "surrounding spaces"},
		{[]string{"m", "--gateway", "a/b/c", "--pool", "a"}, "NAME or NAMESPACE/NAME"},
	} {
		if _, err := cmdtest.Parse(t, NewCmd, tc.args...); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.err)
		}
	}
	o, err := cmdtest.Parse(t, NewCmd, "Llama/3", "--gateway", "gw", "--pool", "v1=90", "--pool", "v2=10", "--header", "X-Gateway-Base-Model-Name")
	if err != nil || o.Header != "x-gateway-base-model-name" || len(o.weights) != 2 || o.weights[0] != (PoolWeight{"v1", 90}) {
		t.Errorf("%+v %v", o, err)
	}
}

func TestRouteName(t *testing.T) {
	a, b := RouteName("meta-llama/Llama-3.1-8B-Instruct"), RouteName("meta-llama/llama-3.1-8b-instruct")
	if a == b || !strings.HasPrefix(a, "meta-llama-llama-3-1-8b-instruct-") || len(a) > 63 {
		t.Errorf("%s %s", a, b)
	}
	if long := RouteName(strings.Repeat("x", 300)); len(long) > 63 {
		t.Errorf("%d chars", len(long))
	}
	if RouteName("///") == "" || RouteName("llama") != "llama-fc5a1047" {
		t.Error("names")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, dir+name+".golden", got, *update)
}
