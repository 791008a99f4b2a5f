package pool_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/api"
	poolcmd "github.com/igw-dev/igw/internal/cmd/install/pool"
	unpool "github.com/igw-dev/igw/internal/cmd/uninstall/pool"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/ocitest"
	"github.com/igw-dev/igw/internal/pool"
	"github.com/igw-dev/igw/internal/providers"
	"github.com/igw-dev/igw/internal/testbed"
)

var (
	bed    *testbed.Env
	update = flag.Bool("update", false, "rewrite the golden files")
)

// Istio's DestinationRule CRD from internal/helm's tests, for the chart's Istio glue.
func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../helm/testdata/crds"))
}

const charts = "../../../../testdata/charts/"

// newCmd is install pool polling every 50 ms, so waits in tests are short.
func newCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[poolcmd.Options]) *cobra.Command {
	if hook != nil {
		return poolcmd.NewCmd(f, hook)
	}
	return poolcmd.NewCmd(f, func(ctx context.Context, o *poolcmd.Options) error {
		o.PollInterval = 50 * time.Millisecond
		return poolcmd.Run(ctx, o)
	})
}

func run(t *testing.T, ns string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return cmdtest.Run(t, newCmd, bed.Config, ns, args...)
}

func uninstall(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	out, _, err := cmdtest.Run(t, unpool.NewCmd, bed.Config, ns, args...)
	return out, err
}

// crds installs (want) or removes the InferencePool, both objective groups' and Gateway API's CRDs.
func crds(t *testing.T, want bool) {
	t.Helper()
	list, _, err := install.LoadEmbedded(install.Selection{GatewayAPI: install.GatewayAPIStandard, Objective: install.ObjectiveBoth, InferenceVersion: api.BundleVersion})
	if err != nil {
		t.Fatal(err)
	}
	f := kube.NewFactoryFromConfig(bed.Config, "")
	client, _ := f.APIExtensions()
	dyn, _ := f.Dynamic()
	if want {
		_, err = (&install.Installer{Client: client, Progress: &strings.Builder{}, Force: true}).Install(context.Background(), list)
	} else {
		_, err = (&install.Uninstaller{Client: client, Dynamic: dyn, Progress: &strings.Builder{}, Force: true}).Uninstall(context.Background(), list)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func dyn(t *testing.T) dynamic.Interface {
	t.Helper()
	d, err := kube.NewFactoryFromConfig(bed.Config, "").Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// create creates an object, and its namespace when missing.
func create(t *testing.T, gvr schema.GroupVersionResource, obj map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": u.GetNamespace()}}}
	if _, err := dyn(t).Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := dyn(t).Resource(gvr).Namespace(u.GetNamespace()).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// modelServer creates a pod the selector app=NAME matches.
func modelServer(t *testing.T, ns, app string) {
	create(t, schema.GroupVersionResource{Version: "v1", Resource: "pods"}, map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": app + "-0", "namespace": ns, "labels": map[string]any{"app": app}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "vllm", "image": "vllm/vllm-openai:v0.10.0"}}}})
}

func gatewayObj(t *testing.T, ns string) {
	create(t, gateway.GatewayGVR, providers.Gateway(providers.DefaultGateway, ns, "istio", providers.Istio))
}

// registry serves both stand-in charts, the old one at two releases.
func registry(t *testing.T) *ocitest.Registry {
	reg := ocitest.Start(t)
	reg.MustPushChart(t, charts+"llm-d-router-gateway", "")
	reg.MustPushChart(t, charts+"inferencepool", "")
	reg.MustPushChart(t, charts+"inferencepool", "v1.3.0")
	return reg
}

// golden compares text output with testdata/NAME, after replacing the registry's address.
func golden(t *testing.T, name, got string, reg *ocitest.Registry) {
	t.Helper()
	got = strings.ReplaceAll(got, reg.Host, "REGISTRY")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// setStatus writes status through the status subresource as a controller would, once the object
// exists; it gives up when the test ends.
func setStatus(t *testing.T, gvr schema.GroupVersionResource, ns, name string, status map[string]any) {
	t.Helper()
	go func() {
		c := dyn(t).Resource(gvr).Namespace(ns)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			u, err := c.Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			u.Object["status"] = status
			if _, err := c.UpdateStatus(context.Background(), u, metav1.UpdateOptions{}); err == nil {
				return
			}
		}
	}()
}

func get(t *testing.T, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := dyn(t).Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var deployGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func TestFlags(t *testing.T) {
	o, err := cmdtest.Parse(t, poolcmd.NewCmd, "llama", "--selector", "app=llama,tier=gpu")
	if err != nil || o.FailureMode != pool.FailClose || !o.Wait || o.PickerReplicas != 1 || o.TargetPorts[0] != 8000 {
		t.Fatalf("defaults %+v %v", o, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"llama"}, "--selector is required"},
		{[]string{"llama", "--selector", "app"}, "write KEY=VALUE pairs"},
		{[]string{"llama", "--selector", "app!=x"}, "without expressions"},
		{[]string{"llama", "--selector", "app=a b"}, "not a valid label value"},
		{[]string{"llama", "--selector", "app=x", "--target-port", "70000"}, "out of range"},
		{[]string{"llama", "--selector", "app=x", "--target-port", "8000,8000"}, "given twice"},
		{[]string{"llama", "--selector", "app=x", "--objective", "critical=high"}, "the priority must be an integer"},
		{[]string{"llama", "--selector", "app=x", "--objective", "critical"}, "write NAME=PRIORITY"},
		{[]string{"llama", "--selector", "app=x", "--picker-replicas", "0"}, "--picker-replicas must be 1 or more"},
		{[]string{"llama", "--selector", "app=x", "--failure-mode", "FailClosed"}, `unknown --failure-mode "FailClosed"`},
		{[]string{"llama", "--selector", "app=x", "--engine", "ollama"}, "unknown --engine"},
		{[]string{"llama", "--selector", "app=x", "--base-model", "m"}, "needs --route"},
		{[]string{"llama", "--selector", "app=x", "--inference-version", "v0.5.1"}, "igwctl installs pools from v1.0.0 on"},
		{[]string{"Llama", "--selector", "app=x"}, "pool name"},
		{[]string{"llama", "--selector", "app=x", "--plain-http"}, "--plain-http needs"},
	} {
		if _, err := cmdtest.Parse(t, poolcmd.NewCmd, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// Without the InferencePool CRD nothing is installed, and the message says what to run.
func TestRefusedWithoutCRD(t *testing.T) {
	crds(t, false)
	defer crds(t, true)
	reg := registry(t)
	_, _, err := run(t, "nocrd", "llama", "--selector", "app=llama", "--chart-repo", reg.URL(), "--plain-http", "--wait=false")
	if err == nil || !strings.Contains(err.Error(), "run igwctl install crds first") || !strings.Contains(err.Error(), "nothing was installed") {
		t.Fatalf("err = %v", err)
	}
	hc, _ := helm.NewForConfig(bed.Config, "nocrd", helm.Settings{})
	if st, err := hc.Status(context.Background(), "llama", "nocrd"); err != nil || st.Installed {
		t.Errorf("release installed despite the refusal: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	crds(t, true)
	reg := registry(t)
	repo := []string{"--chart-repo", reg.URL(), "--plain-http"}
	_, _, err := run(t, "refuse", append([]string{"llama", "--selector", "app=llama", "--route"}, repo...)...)
	if err == nil || !strings.Contains(err.Error(), "there is no Gateway refuse/inference-gateway") || !strings.Contains(err.Error(), "igwctl install provider") {
		t.Errorf("no Gateway: %v", err)
	}
	_, _, err = run(t, "refuse", append([]string{"llama", "--selector", "app=llama"}, repo...)...)
	if err == nil || !strings.Contains(err.Error(), "no pod in namespace refuse matches --selector app=llama") || !strings.Contains(err.Error(), "--wait=false") {
		t.Errorf("no pods: %v", err)
	}
	if get(t, pool.PoolGVR, "refuse", "llama") != nil {
		t.Fatal("a refusal created the pool")
	}
	// --wait=false: a warning, and the pool is installed for pods to come.
	out, stderr, err := run(t, "refuse", append([]string{"llama", "--selector", "app=llama", "--wait=false"}, repo...)...)
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "stderr", stderr, "warning: no pod in namespace refuse matches --selector app=llama")
	cmdtest.Contains(t, "stdout", out, "pool refuse/llama installed but not ready:", "Deployment refuse/llama-epp: 0 of 1 replicas ready", "(--wait waits for it)")
	// A release of that name igwctl did not install is left alone.
	hc, _ := helm.NewForConfig(bed.Config, "refuse", helm.Settings{})
	if _, err := hc.Install(context.Background(), helm.InstallOptions{ReleaseName: "other", Namespace: "refuse", Chart: helm.ChartRef{Chart: charts + "inferencepool"},
		Values: helm.Values{Set: []string{"inferencePool.modelServers.matchLabels.app=other"}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "refuse", append([]string{"other", "--selector", "app=other", "--wait=false"}, repo...)...); err == nil || !strings.Contains(err.Error(), "igwctl install pool did not install it") {
		t.Errorf("install over another release: %v", err)
	}
	if _, err := uninstall(t, "refuse", "other"); err == nil || !strings.Contains(err.Error(), "was not installed by igwctl install pool; nothing was removed") {
		t.Errorf("uninstall of another release: %v", err)
	}
	if out, err := uninstall(t, "refuse", "other", "--force"); err != nil || !strings.Contains(out, "uninstalled release refuse/other (inferencepool v1.5.0)") {
		t.Errorf("uninstall --force: %q %v", out, err)
	}
	// A route someone else wrote still sends requests to the pool: refused, until its weight is 0.
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "canary", "namespace": "refuse"},
		"spec": map[string]any{"rules": []any{map[string]any{"backendRefs": []any{
			map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "llama", "weight": int64(3)},
			map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "other"},
		}}}},
	}}
	if _, err := dyn.Resource(pool.RouteGVR).Namespace("refuse").Create(context.Background(), route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = uninstall(t, "refuse", "llama")
	if err == nil || !strings.Contains(err.Error(), "InferencePool refuse/llama still receives requests; nothing was removed:\n  - HTTPRoute refuse/canary rule 0 sends 75% of its requests to it (weight 3)") {
		t.Errorf("uninstall of a pool in use: %v", err)
	}
	if get(t, pool.PoolGVR, "refuse", "llama") == nil {
		t.Fatal("the refused uninstall removed the pool")
	}
	cur, err := dyn.Resource(pool.RouteGVR).Namespace("refuse").Get(context.Background(), "canary", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs := []any{
		map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "llama", "weight": int64(0)},
		map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "other"},
	}
	if err := unstructured.SetNestedSlice(cur.Object, []any{map[string]any{"backendRefs": refs}}, "spec", "rules"); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(pool.RouteGVR).Namespace("refuse").Update(context.Background(), cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := uninstall(t, "refuse", "llama"); err != nil {
		t.Fatal(err)
	}
}

// The new generation from the registry, with a route and objectives, waiting while a gateway and
// the picker's controller write their statuses; then an upgrade, then uninstall.
func TestInstallRouter(t *testing.T) {
	crds(t, true)
	reg := registry(t)
	ns := "router"
	modelServer(t, ns, "llama")
	gatewayObj(t, ns)
	setStatus(t, deployGVR, ns, "llama-epp", map[string]any{"replicas": int64(1), "readyReplicas": int64(1), "availableReplicas": int64(1)})
	parent := map[string]any{"parentRef": map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway", "namespace": ns},
		"controllerName": "istio.io/gateway-controller",
		"conditions":     []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-08-20T00:00:00Z"}}}
	setStatus(t, pool.PoolGVR, ns, "llama", map[string]any{"parents": []any{parent}})
	args := []string{"llama", "--selector", "app=llama", "--provider", "istio", "--route", "--base-model", "meta-llama/Llama-3.1-8B",
		"--objective", "critical=10", "--objective", "batch=-1", "--chart-repo", reg.URL(), "--plain-http", "--timeout", "20s"}
	out, stderr, err := run(t, ns, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	golden(t, "install-router.txt", out, reg)

	rt := get(t, pool.RouteGVR, ns, "llama")
	if rt == nil || !pool.Owned(rt, "llama") {
		t.Fatalf("route %v", rt)
	}
	if h, _, _ := unstructured.NestedSlice(rt.Object, "spec", "rules"); !strings.Contains(toJSON(t, h), `"value":"meta-llama/Llama-3.1-8B"`) {
		t.Errorf("route rules %s", toJSON(t, h))
	}
	if o := get(t, pool.ObjectiveGVR(pool.LLMDGroup), ns, "batch"); o == nil || toJSON(t, o.Object["spec"]) != `{"poolRef":{"group":"inference.networking.k8s.io","kind":"InferencePool","name":"llama"},"priority":-1}` {
		t.Errorf("objective batch %v", o)
	}
	p := get(t, pool.PoolGVR, ns, "llama")
	if fm, _, _ := unstructured.NestedString(p.Object, "spec", "endpointPickerRef", "failureMode"); fm != pool.FailClose {
		t.Errorf("failureMode %s", fm)
	}
	for _, kind := range []schema.GroupVersionResource{{Version: "v1", Resource: "services"}, {Version: "v1", Resource: "serviceaccounts"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, {Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}} {
		if get(t, kind, ns, "llama-epp") == nil {
			t.Errorf("no %s llama-epp", kind.Resource)
		}
	}

	// Again with two replicas: an upgrade saying what changed; the route is unchanged.
	out, _, err = run(t, ns, append(args, "--picker-replicas", "2", "--wait=false", "-o", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var res poolcmd.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Action != "upgrade" || res.Revision != 2 || res.Changes == nil || strings.Join(res.Changes.Changed, ",") != "Deployment router/llama-epp" ||
		strings.Join(res.Changes.Values, ",") != "router.epp.replicas: 1 → 2" || res.Ready || res.Applied[0].Action != "unchanged" {
		t.Errorf("upgrade %+v %+v", res, res.Changes)
	}
	if len(res.NotReady) == 0 || !strings.Contains(res.NotReady[0], "Deployment router/llama-epp: 1 of 2 replicas ready") {
		t.Errorf("not ready %q", res.NotReady)
	}

	out, err = uninstall(t, ns, "llama", "--dry-run")
	if err != nil || !strings.Contains(out, "deleted HTTPRoute router/llama (dry run)") || get(t, pool.RouteGVR, ns, "llama") == nil {
		t.Errorf("uninstall --dry-run: %q %v", out, err)
	}
	out, err = uninstall(t, ns, "llama")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "uninstall-router.txt", out, reg)
	if get(t, pool.ObjectiveGVR(pool.LLMDGroup), ns, "critical") != nil || get(t, pool.RouteGVR, ns, "llama") != nil {
		t.Error("uninstall left igwctl's objects")
	}
	if out, err = uninstall(t, ns, "llama"); err != nil || !strings.Contains(out, "nothing to uninstall") {
		t.Errorf("again: %q %v", out, err)
	}
}

// The old generation: values under inferencePool.*, objectives in the legacy group; the wait
// runs out and says why; the dry runs change nothing.
func TestInstallGIE(t *testing.T) {
	crds(t, true)
	reg := registry(t)
	ns := "gie"
	modelServer(t, ns, "qwen")
	args := []string{"qwen", "--selector", "app=qwen", "--inference-version", "v1.3.0", "--objective", "critical=5", "--chart-repo", reg.URL(), "--plain-http"}
	for _, mode := range []string{"client", "server"} {
		out, _, err := run(t, ns, append(args, "--dry-run="+mode)...)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if mode == "client" {
			golden(t, "dry-run-gie.txt", out, reg)
		}
		cmdtest.Contains(t, mode, out, "dry run: nothing was installed", "InferenceObjective gie/critical")
		if get(t, pool.PoolGVR, ns, "qwen") != nil || get(t, pool.ObjectiveGVR(pool.LegacyGroup), ns, "critical") != nil {
			t.Fatalf("--dry-run=%s changed the cluster", mode)
		}
	}
	out, _, err := run(t, ns, append(args, "--timeout", "1s", "-o", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var res poolcmd.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Generation != pool.GIE || res.ChartVersion != "v1.3.0" || res.ObjectiveGroup != pool.LegacyGroup || res.Ready || !res.Waited ||
		res.FailureMode != pool.FailClose || !strings.Contains(strings.Join(res.NotReady, ";"), "Deployment gie/qwen-epp: 0 of 1 replicas ready") {
		t.Errorf("result %+v", res)
	}
	if get(t, pool.ObjectiveGVR(pool.LegacyGroup), ns, "critical") == nil {
		t.Error("no legacy objective")
	}
	if v, _, _ := unstructured.NestedString(get(t, pool.PoolGVR, ns, "qwen").Object, "spec", "endpointPickerRef", "failureMode"); v != pool.FailClose {
		t.Errorf("failureMode %s", v)
	}
	if _, err := uninstall(t, ns, "qwen"); err != nil {
		t.Fatal(err)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
