package provider_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmd/install/provider"
	unprovider "github.com/igw-dev/igw/internal/cmd/uninstall/provider"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/ocitest"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

// The bed starts without the Gateway API CRDs, so the refusal can be tested; tests that need them
// call gatewayAPI(t, true).
func TestMain(m *testing.M) { testbed.Main(m, &bed) }

const charts = "../../../../testdata/charts"

// run executes `install provider <args>` against the test bed, in namespace ns.
func run(t *testing.T, ns string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return cmdtest.Run(t, provider.NewCmd, bed.Config, ns, args...)
}

// uninstall executes `uninstall provider <args>`, the counterpart the install tests undo with.
func uninstall(t *testing.T, ns string, args ...string) (stdout string, err error) {
	t.Helper()
	stdout, _, err = cmdtest.Run(t, unprovider.NewCmd, bed.Config, ns, args...)
	return stdout, err
}

// gatewayAPI installs (want) or removes the Gateway API and InferencePool CRDs.
func gatewayAPI(t *testing.T, want bool) {
	t.Helper()
	ctx := context.Background()
	crds, _, err := install.LoadEmbedded(install.Selection{GatewayAPI: install.GatewayAPIStandard, Objective: install.ObjectiveNone, InferenceVersion: api.BundleVersion})
	if err != nil {
		t.Fatal(err)
	}
	f := kube.NewFactoryFromConfig(bed.Config, "")
	client, _ := f.APIExtensions()
	dyn, _ := f.Dynamic()
	if want {
		if _, err := (&install.Installer{Client: client, Progress: &strings.Builder{}, Force: true, DryRun: kube.DryRunNone}).Install(ctx, crds); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := (&install.Uninstaller{Client: client, Dynamic: dyn, Progress: &strings.Builder{}, Force: true, DryRun: kube.DryRunNone}).Uninstall(ctx, crds); err != nil {
		t.Fatal(err)
	}
}

func clients(t *testing.T) (*kubernetes.Clientset, *helm.Client) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := helm.NewForConfig(bed.Config, "default", helm.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return cs, hc
}

func releaseInstalled(t *testing.T, hc *helm.Client, name, ns string) bool {
	t.Helper()
	st, err := hc.Status(context.Background(), name, ns)
	if err != nil {
		t.Fatal(err)
	}
	return st.Installed
}

func getGateway(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	dyn, _ := kube.NewFactoryFromConfig(bed.Config, "").Dynamic()
	gw, err := dyn.Resource(gateway.GatewayGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

func pushAll(t *testing.T) *ocitest.Registry {
	t.Helper()
	reg := ocitest.Start(t)
	for _, dir := range []string{"istio/base", "istio/istiod", "agentgateway-crds", "agentgateway", "nginx-gateway-fabric"} {
		reg.MustPushChart(t, filepath.Join(charts, dir), "")
	}
	return reg
}

func TestRefusedWithoutGatewayAPI(t *testing.T) {
	gatewayAPI(t, false)
	reg := pushAll(t)
	_, hc := clients(t)
	for _, p := range []string{"istio", "agentgateway", "nginx"} {
		_, _, err := run(t, "refused", p, "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0")
		if err == nil || !strings.Contains(err.Error(), "run igwctl install crds first") || !strings.Contains(err.Error(), "nothing was installed") {
			t.Errorf("%s: err = %v", p, err)
		}
	}
	if releaseInstalled(t, hc, "istio-base", "istio-system") {
		t.Error("istio-base installed despite the refusal")
	}
	if _, err := uninstall(t, "refused", "istio", "--delete-gateway"); err != nil {
		t.Errorf("uninstall without Gateway API: %v", err)
	}
}

func TestGKE(t *testing.T) {
	gatewayAPI(t, false)
	out, _, err := run(t, "gke-test", "gke")
	if err == nil || !strings.Contains(err.Error(), "GKE is not ready") {
		t.Fatalf("err = %v", err)
	}
	cmdtest.Contains(t, "gke output", out, "igwctl installs nothing", "MISSING Gateway API CRDs", "--gateway-api=standard",
		"MISSING GatewayClass gke-l7-regional-external-managed", "MISSING InferencePool CRD", "igwctl install crds --gateway-api none")

	gatewayAPI(t, true)
	// Gateway API and InferencePool served, but no GKE class.
	out, _, err = run(t, "gke-test", "gke")
	if err == nil {
		t.Fatal("passed without a gke-l7 class")
	}
	cmdtest.Contains(t, "gke output", out, "ok      Gateway API CRDs", "ok      InferencePool CRD", "MISSING GatewayClass gke-l7-regional-external-managed", "no gke-l7-* GatewayClass")

	dyn, _ := kube.NewFactoryFromConfig(bed.Config, "").Dynamic()
	for _, name := range []string{"gke-l7-regional-external-managed", "gke-l7-rilb"} {
		gc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
			"metadata": map[string]any{"name": name}, "spec": map[string]any{"controllerName": "networking.gke.io/gateway"}}}
		if _, err := dyn.Resource(gateway.GatewayClassGVR).Create(context.Background(), gc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, name := range []string{"gke-l7-regional-external-managed", "gke-l7-rilb"} {
			_ = dyn.Resource(gateway.GatewayClassGVR).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	out, _, err = run(t, "gke-test", "gke")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	cmdtest.Contains(t, "gke output", out, "ok      GatewayClass gke-l7-regional-external-managed: present, not accepted yet", "other GKE classes: gke-l7-rilb",
		"Gateway gke-test/inference-gateway created (gatewayClassName gke-l7-regional-external-managed)", "proxy-only subnet")
	if gw := getGateway(t, "gke-test", "inference-gateway"); gw == nil {
		t.Fatal("no Gateway")
	}
	out, err = uninstall(t, "gke-test", "gke")
	cmdtest.Contains(t, "gke uninstall", out, "nothing to uninstall", "left in place")
	if err != nil {
		t.Fatal(err)
	}
}

func TestInstallIstio(t *testing.T) {
	gatewayAPI(t, true)
	reg := pushAll(t)
	cs, hc := clients(t)
	ctx := context.Background()
	start := time.Now()
	out, stderr, err := run(t, "istio-gw", "istio", "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0", "--set", "global.hub=example.com/istio")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	t.Logf("installed in %s", time.Since(start))
	cmdtest.Contains(t, "stdout", out,
		"installed base 1.28.0 as release istio-base in istio-system (revision 1)",
		"installed istiod 1.28.0 as release istiod in istio-system (revision 1)",
		"Gateway istio-gw/inference-gateway created (gatewayClassName istio)",
		"Istio 1.28.0 installed but not ready:",
		"GatewayClass istio not accepted",
		"Deployment istio-system/istiod: 0 of 1 replicas ready")
	if strings.Contains(stderr, "OFF") {
		t.Errorf("switch warning without cause: %s", stderr)
	}
	for _, r := range []string{"istio-base", "istiod"} {
		if !releaseInstalled(t, hc, r, "istio-system") {
			t.Errorf("release %s not installed", r)
		}
	}
	cm, err := cs.CoreV1().ConfigMaps("istio-system").Get(ctx, "istiod-test-values", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["inferenceExtension"] != "true" {
		t.Errorf("istiod inferenceExtension = %q", cm.Data["inferenceExtension"])
	}
	d, err := cs.AppsV1().Deployments("istio-system").Get(ctx, "istiod", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "ENABLE_GATEWAY_API_INFERENCE_EXTENSION" && e.Value == "true"
	}) ||
		!strings.HasPrefix(c.Image, "example.com/istio/") {
		t.Errorf("istiod container = %+v", c)
	}
	gw := getGateway(t, "istio-gw", "inference-gateway")
	if gw == nil {
		t.Fatal("no Gateway")
	}
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	if class != "istio" || len(listeners) != 1 || !slices.ContainsFunc(gw.GetManagedFields(), func(m metav1.ManagedFieldsEntry) bool {
		return m.Manager == "igwctl" && m.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("Gateway = %v", gw.Object)
	}

	// Again: an upgrade, Gateway unchanged.
	out, _, err = run(t, "istio-gw", "istio", "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "json", out, `"action": "upgrade"`, `"revision": 2`, `"action": "unchanged"`, `"ready": false`)

	// A dry run says what would go and removes nothing; the server one has the Gateway's
	// deletion checked.
	for _, mode := range []string{"client", "server"} {
		out, err = uninstall(t, "istio-gw", "istio", "--delete-gateway", "--dry-run="+mode)
		suffix := map[string]string{"client": " (dry run)", "server": " (server dry run)"}[mode]
		if err != nil {
			t.Fatal(err)
		}
		cmdtest.Contains(t, "uninstall --dry-run="+mode, out, "deleted Gateway istio-gw/inference-gateway"+suffix,
			"uninstalled release istio-system/istiod"+suffix+"\nuninstalled release istio-system/istio-base"+suffix)
	}
	if getGateway(t, "istio-gw", "inference-gateway") == nil || !releaseInstalled(t, hc, "istiod", "istio-system") {
		t.Fatal("a dry run uninstalled")
	}

	// Uninstall: releases in reverse, the Gateway only with --delete-gateway.
	out, err = uninstall(t, "istio-gw", "istio")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "uninstall", out, "uninstalled release istio-system/istiod\nuninstalled release istio-system/istio-base", "Gateway istio-gw/inference-gateway is left in place")
	if getGateway(t, "istio-gw", "inference-gateway") == nil {
		t.Error("Gateway deleted without --delete-gateway")
	}
	out, err = uninstall(t, "istio-gw", "istio", "--delete-gateway")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "uninstall again", out, "deleted Gateway istio-gw/inference-gateway", "release istio-system/istiod not found, skipped")
	if getGateway(t, "istio-gw", "inference-gateway") != nil {
		t.Error("Gateway not deleted")
	}
	out, err = uninstall(t, "istio-gw", "istio")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "uninstall nothing", out, "nothing to uninstall: no Istio release in namespace istio-system")
}

func TestInstallAgentgatewaySwitchOff(t *testing.T) {
	gatewayAPI(t, true)
	reg := pushAll(t)
	cs, hc := clients(t)
	out, stderr, err := run(t, "agw", "agentgateway", "--chart-repo", reg.URL(), "--plain-http", "--gateway", "my-gw", "--set", "inferenceExtension.enabled=false")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cmdtest.Contains(t, "stderr", stderr, "warning: the inference extension is OFF: your values set it to false for inferenceExtension.enabled (release agentgateway)")
	cmdtest.Contains(t, "stdout", out, "installed agentgateway-crds v1.0.0 as release agentgateway-crds in agentgateway-system",
		"installed agentgateway v1.0.0 as release agentgateway", "Gateway agw/my-gw created (gatewayClassName agentgateway)", "installed but not ready")
	cm, err := cs.CoreV1().ConfigMaps("agentgateway-system").Get(context.Background(), "agentgateway-test-values", metav1.GetOptions{})
	if err != nil || cm.Data["inferenceExtension"] != "false" {
		t.Errorf("user's value not applied: %v %v", cm.Data, err)
	}
	// Default values: switch on.
	if _, _, err := run(t, "agw", "agentgateway", "--chart-repo", reg.URL(), "--plain-http", "--gateway", "my-gw"); err != nil {
		t.Fatal(err)
	}
	cm, _ = cs.CoreV1().ConfigMaps("agentgateway-system").Get(context.Background(), "agentgateway-test-values", metav1.GetOptions{})
	if cm.Data["inferenceExtension"] != "true" {
		t.Errorf("switch = %q", cm.Data["inferenceExtension"])
	}
	if !releaseInstalled(t, hc, "agentgateway-crds", "agentgateway-system") {
		t.Error("crds release missing")
	}
	out, err = uninstall(t, "agw", "agentgateway", "--delete-gateway", "--gateway", "my-gw")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "uninstall", out, "deleted Gateway agw/my-gw\nuninstalled release agentgateway-system/agentgateway\nuninstalled release agentgateway-system/agentgateway-crds")
}

func TestInstallNGINX(t *testing.T) {
	gatewayAPI(t, true)
	reg := pushAll(t)
	cs, _ := clients(t)
	out, stderr, err := run(t, "ngf-gw", "nginx", "--chart-repo", reg.URL(), "--plain-http", "--version", "2.2.0", "--wait", "--timeout", "3s")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cmdtest.Contains(t, "stdout", out, "installed nginx-gateway-fabric 2.2.0 as release ngf in nginx-gateway (revision 1), but not ready",
		"Gateway ngf-gw/inference-gateway created (gatewayClassName nginx)", "NGINX Gateway Fabric 2.2.0 installed but not ready:",
		"did not wait for GatewayClass nginx: the controller is not running")
	d, err := cs.AppsV1().Deployments("nginx-gateway").Get(context.Background(), "ngf-nginx-gateway-fabric", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "--gateway-api-inference-extension") {
		t.Errorf("args = %v", d.Spec.Template.Spec.Containers[0].Args)
	}
	if _, err := uninstall(t, "ngf-gw", "nginx", "--delete-gateway"); err != nil {
		t.Fatal(err)
	}
}

func TestDryRun(t *testing.T) {
	reg := pushAll(t)
	_, hc := clients(t)
	out, _, err := run(t, "dry", "istio", "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "dry run", out, "rendered base 1.28.0 as release istio-base in istio-system", "rendered istiod 1.28.0 as release istiod",
		"Deployment istio-system/istiod", "Gateway dry/inference-gateway would be applied (gatewayClassName istio)", "dry run: nothing was installed")
	out, _, err = run(t, "dry", "nginx", "--chart-repo", reg.URL(), "--plain-http", "--version", "2.2.0", "--dry-run", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "yaml", out, "--gateway-api-inference-extension", "dryRun: client", "gatewayClassName: nginx")
	if releaseInstalled(t, hc, "istio-base", "istio-system") || releaseInstalled(t, hc, "ngf", "nginx-gateway") {
		t.Error("dry run installed a release")
	}
	if gatewayServed(t) && getGateway(t, "dry", "inference-gateway") != nil {
		t.Error("dry run created the Gateway")
	}
	cs, _ := clients(t)
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry run created namespace dry: %v", err)
	}
}

// --dry-run=server renders against the cluster (Helm's server dry run) and has the API server
// check the Gateway; nothing is installed, not even the namespaces.
func TestServerDryRun(t *testing.T) {
	gatewayAPI(t, true)
	reg := pushAll(t)
	_, hc := clients(t)
	out, _, err := run(t, "dry-srv", "istio", "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0", "--dry-run=server")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "server dry run", out, "rendered base 1.28.0 as release istio-base in istio-system (server dry run)",
		"rendered istiod 1.28.0 as release istiod in istio-system (server dry run)", "Deployment istio-system/istiod",
		"Gateway dry-srv/inference-gateway created (server dry run) (gatewayClassName istio):", "dry run: nothing was installed")
	if releaseInstalled(t, hc, "istiod", "istio-system") || getGateway(t, "dry-srv", "inference-gateway") != nil {
		t.Error("a server dry run installed something")
	}
	cs, _ := clients(t)
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "dry-srv", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("server dry run created namespace dry-srv: %v", err)
	}
	out, _, err = run(t, "dry-srv", "nginx", "--chart-repo", reg.URL(), "--plain-http", "--version", "2.2.0", "--dry-run=server", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "json", out, `"dryRun": "server"`, `"action": "dry-run"`, `"gatewayClassName": "nginx"`)
}

func gatewayServed(t *testing.T) bool {
	dc, _ := kube.NewFactoryFromConfig(bed.Config, "").Discovery()
	missing, err := gateway.MissingResources(dc, gateway.APIGroupVersion, "gateways")
	if err != nil {
		t.Fatal(err)
	}
	return len(missing) == 0
}

func TestErrors(t *testing.T) {
	gatewayAPI(t, true)
	reg := pushAll(t)
	_, hc := clients(t)

	// Bad values file: named, nothing installed.
	_, _, err := run(t, "errs", "nginx", "--chart-repo", reg.URL(), "--plain-http", "--version", "2.2.0", "-f", "/nonexistent/values.yaml")
	if err == nil || !strings.Contains(err.Error(), "values file /nonexistent/values.yaml does not exist") {
		t.Errorf("bad values file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("a: [\n"), 0o600)
	if _, _, err := run(t, "errs", "nginx", "--chart-repo", reg.URL(), "--plain-http", "-f", bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad YAML: %v", err)
	}

	// Unreachable mirror: named, nothing installed.
	dead := ocitest.Start(t)
	deadURL := dead.URL()
	dead.Close()
	// A bad values file is reported before any chart is fetched, even for a provider
	// whose first chart takes no values (Istio's base).
	_, _, err = run(t, "errs", "istio", "--chart-repo", deadURL, "--plain-http", "-f", "/nonexistent/values.yaml")
	if err == nil || !strings.Contains(err.Error(), "values file /nonexistent/values.yaml does not exist") {
		t.Errorf("bad values file behind an unreachable mirror: %v", err)
	}
	_, _, err = run(t, "errs", "agentgateway", "--chart-repo", deadURL, "--plain-http")
	if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(deadURL, "oci://")) || !strings.Contains(err.Error(), "--chart-repo") || !strings.Contains(err.Error(), "nothing was installed") {
		t.Errorf("unreachable: %v", err)
	}
	if releaseInstalled(t, hc, "agentgateway-crds", "agentgateway-system") {
		t.Error("installed from an unreachable registry")
	}
	// A missing chart in the mirror fails before anything is installed.
	partial := ocitest.Start(t)
	partial.MustPushChart(t, filepath.Join(charts, "istio/base"), "")
	_, _, err = run(t, "errs", "istio", "--chart-repo", partial.URL(), "--plain-http", "--version", "1.28.0")
	if err == nil || !strings.Contains(err.Error(), "nothing was installed") || releaseInstalled(t, hc, "istio-base", "istio-system") {
		t.Errorf("missing istiod: %v", err)
	}

	// istiod fails after istio-base is applied: both said.
	_, _, err = run(t, "errs", "istio", "--chart-repo", reg.URL(), "--plain-http", "--version", "1.28.0", "--set", "pilot=oops")
	if err == nil || !strings.Contains(err.Error(), "release istiod (istiod 1.28.0) in istio-system failed") ||
		!strings.Contains(err.Error(), "already applied: release istio-base (base 1.28.0) in istio-system") ||
		!strings.Contains(err.Error(), "igwctl uninstall provider istio") {
		t.Errorf("partial: %v", err)
	}
	if !releaseInstalled(t, hc, "istio-base", "istio-system") {
		t.Error("istio-base not left installed")
	}
	if _, err := uninstall(t, "errs", "istio"); err != nil {
		t.Fatal(err)
	}

	// A Gateway igwctl did not create is not deleted.
	dyn, _ := kube.NewFactoryFromConfig(bed.Config, "").Dynamic()
	cs, _ := clients(t)
	cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}}, metav1.CreateOptions{})
	gw := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "inference-gateway", "namespace": "foreign"},
		"spec":     map[string]any{"gatewayClassName": "other", "listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"}}}}}
	if _, err := dyn.Resource(gateway.GatewayGVR).Namespace("foreign").Create(context.Background(), gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := uninstall(t, "foreign", "istio", "--delete-gateway"); err == nil || !strings.Contains(err.Error(), "was not created by igwctl") {
		t.Errorf("foreign gateway: %v", err)
	}
}
