package bbr_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/internal/cmd/install/bbr"
	unbbr "github.com/igw-dev/igw/internal/cmd/uninstall/bbr"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/ocitest"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

// The stand-in Istio and Agentgateway CRDs of internal/helm's tests, so the glue installs.
func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../helm/testdata/crds"))
}

// run executes `install bbr <args>` against the test bed, in namespace ns.
func run(t *testing.T, ns string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return cmdtest.Run(t, bbr.NewCmd, bed.Config, ns, args...)
}

// uninstall executes `uninstall bbr <args>`, which the install tests undo with.
func uninstall(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	stdout, _, err := cmdtest.Run(t, unbbr.NewCmd, bed.Config, ns, args...)
	return stdout, err
}

func parse(t *testing.T, args ...string) (*bbr.Options, error) {
	return cmdtest.Parse(t, bbr.NewCmd, args...)
}

func TestFlags(t *testing.T) {
	o, err := parse(t)
	if err != nil || o.Provider != "none" || o.Gateway != "inference-gateway" || o.Output != cmdutil.Text {
		t.Fatalf("defaults %+v %v", o, err)
	}
	v, err := merged(o, "0.1.0")
	if err != nil || v["provider"].(map[string]any)["name"] != "none" || v["image"] != nil {
		t.Errorf("default values %v %v", v, err)
	}
	// Explicit flags win over --set; defaults do not.
	o, err = parse(t, "--provider", "istio", "--image", "example.com/bbr:1.2.3", "--set", "provider.name=gke,gateway.name=x", "--gateway-namespace", "gw")
	if err != nil {
		t.Fatal(err)
	}
	v, _ = merged(o, "0.1.0")
	if p, _ := helm.ValuesPath(v, "provider.name"); p != "istio" {
		t.Errorf("provider.name = %v", p)
	}
	if g, _ := helm.ValuesPath(v, "gateway.name"); g != "x" {
		t.Errorf("gateway.name = %v (the --set should win over the default)", g)
	}
	if r, _ := helm.ValuesPath(v, "image.repository"); r != "example.com/bbr" {
		t.Errorf("image.repository = %v", r)
	}
	if tag, _ := helm.ValuesPath(v, "image.tag"); tag != "1.2.3" {
		t.Errorf("image.tag = %v", tag)
	}
	if n, _ := helm.ValuesPath(v, "gateway.namespace"); n != "gw" {
		t.Errorf("gateway.namespace = %v", n)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "envoy"}, `unknown --provider "envoy"; valid: none, istio, agentgateway, nginx, gke`},
		{[]string{"--image", "bbr"}, "give REPOSITORY:TAG"},
		{[]string{"--image", "localhost:5000/bbr"}, "give REPOSITORY:TAG"},
		{[]string{"--image", "x/bbr@sha256:abc"}, "the digest must be sha256: and 64 lowercase hex digits"},
		{[]string{"--chart", "x", "--chart-repo", "oci://h/p"}, "contradict"},
		{[]string{"--version", "0.1.0"}, "--version needs --chart or --chart-repo"},
		{[]string{"--plain-http"}, "--plain-http needs an oci://"},
		{[]string{"--timeout", "-1s"}, "--timeout must be positive"},
		{[]string{"extra"}, `unknown command "extra"`},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestInstallIstio(t *testing.T) {
	out, stderr, err := run(t, "bbr-istio", "--provider", "istio", "--image", "example.com/bbr:9.9.9", "--set", "logLevel=debug")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cmdtest.Contains(t, "stdout", out, "installed bbr 0.1.0 as release bbr in bbr-istio (revision 1)", "bbr installed but not ready: Deployment bbr-istio/bbr: 0 of 1 replicas ready",
		"Gateway glue (Istio): EnvoyFilter bbr adds the ext_proc filter to Gateway bbr-istio/inference-gateway")
	cmdtest.Contains(t, "stderr", stderr, "(built into igwctl)")
	cs, _ := kubernetes.NewForConfig(bed.Config)
	d, err := cs.AppsV1().Deployments("bbr-istio").Get(context.Background(), "bbr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	for _, arg := range []string{"--grpc-port=9004", "--secure-serving=true", "--log-level=debug"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %v lack %s", c.Args, arg)
		}
	}
	if c.Image != "example.com/bbr:9.9.9" {
		t.Errorf("image = %s", c.Image)
	}
	dyn, _ := dynamic.NewForConfig(bed.Config)
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "networking.istio.io", Version: "v1alpha3", Resource: "envoyfilters"},
		{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"},
	} {
		if _, err := dyn.Resource(gvr).Namespace("bbr-istio").Get(context.Background(), "bbr", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: %v", gvr.Resource, err)
		}
	}
	out, err = uninstall(t, "bbr-istio", "--dry-run", "-o", "json")
	if err != nil || !strings.Contains(out, `"existed": true`) || !strings.Contains(out, `"dryRun": "client"`) {
		t.Errorf("uninstall --dry-run: %q %v", out, err)
	}
	out, err = uninstall(t, "bbr-istio")
	if err != nil || !strings.Contains(out, "uninstalled release bbr-istio/bbr\n") {
		t.Errorf("uninstall: %q %v", out, err)
	}
	out, err = uninstall(t, "bbr-istio")
	if err != nil || !strings.Contains(out, "nothing to uninstall: no release bbr in namespace bbr-istio") {
		t.Errorf("uninstall again: %q %v", out, err)
	}
}

func TestDryRunNGINX(t *testing.T) {
	out, stderr, err := run(t, "bbr-dry", "--provider", "nginx", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "stdout", out, "rendered bbr 0.1.0 as release bbr in bbr-dry", "Deployment bbr-dry/bbr", "dry run: nothing was installed", "NGINX Gateway Fabric has no way to call an ext_proc server")
	cmdtest.Contains(t, "stderr", stderr, "NGINX Gateway Fabric has no ext_proc hook")
	cs, _ := kubernetes.NewForConfig(bed.Config)
	if _, err := cs.AppsV1().Deployments("bbr-dry").Get(context.Background(), "bbr", metav1.GetOptions{}); err == nil {
		t.Error("dry run created the Deployment")
	}
}

func TestGKEGlueMissing(t *testing.T) {
	_, _, err := run(t, "bbr-gke", "--provider", "gke")
	if err == nil || !strings.Contains(err.Error(), "run igwctl install provider gke first, or install bbr alone with --provider none") {
		t.Errorf("err = %v", err)
	}
}

func TestChartFromRegistry(t *testing.T) {
	reg := ocitest.Start(t)
	reg.MustPushChart(t, "../../../../charts/bbr", "0.2.0")
	out, _, err := run(t, "bbr-oci", "--chart-repo", reg.URL(), "--plain-http", "--version", "0.2.0", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "json", out, `"chartVersion": "0.2.0"`, `"source": "oci://`+reg.Host+`/charts/bbr:0.2.0"`, `"provider": "none"`, `"ready": false`)
	if _, err := uninstall(t, "bbr-oci"); err != nil {
		t.Fatal(err)
	}
}

// --dry-run=server renders against the cluster, which knows the provider's CRDs, and installs
// nothing; a provider whose CRDs are missing fails as the real install would.
func TestServerDryRun(t *testing.T) {
	out, _, err := run(t, "bbr-srv", "--provider", "istio", "--dry-run=server")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "stdout", out, "rendered bbr 0.1.0 as release bbr in bbr-srv (server dry run)", "EnvoyFilter bbr-srv/bbr", "dry run: nothing was installed")
	cs, _ := kubernetes.NewForConfig(bed.Config)
	if _, err := cs.AppsV1().Deployments("bbr-srv").Get(context.Background(), "bbr", metav1.GetOptions{}); err == nil {
		t.Error("server dry run created the Deployment")
	}
	out, _, err = run(t, "bbr-srv", "--provider", "none", "--dry-run=server", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "json", out, `"dryRun": "server"`, `"action": "dry-run"`)
	if _, _, err := run(t, "bbr-srv", "--provider", "gke", "--dry-run=server"); err == nil || !strings.Contains(err.Error(), "run igwctl install provider gke first") {
		t.Errorf("gke glue without its CRDs: %v", err)
	}
}
