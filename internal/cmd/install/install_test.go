package install_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/igw-dev/igw/api"
	cmdinstall "github.com/igw-dev/igw/internal/cmd/install"
	"github.com/igw-dev/igw/internal/cmd/install/crds"
	"github.com/igw-dev/igw/internal/cmd/root"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

func TestMain(m *testing.M) { testbed.Main(m, &bed) }

// run executes `install <args>` with injected streams and a factory for the test bed, as
// cmd/igwctl would (an error there means exit status 1).
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f, out, errOut := cmdtest.Factory(bed.Config, "")
	err = cmdtest.Execute(cmdinstall.NewCmd(f), f.IO, args...)
	return out.String(), errOut.String(), err
}

// reset removes every CRD, so each test starts from an empty cluster whatever ran before.
func reset(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c, err := apiextensionsclient.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all []install.CRD
	for _, crd := range list.Items {
		all = append(all, install.CRD{Name: crd.Name})
	}
	f := kube.NewFactoryFromConfig(bed.Config, "")
	dyn, err := f.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&install.Uninstaller{Client: c, Dynamic: dyn, Force: true}).Uninstall(ctx, all); err != nil {
		t.Fatal(err)
	}
}

func expectedNames(t *testing.T, sel install.Selection) []string {
	t.Helper()
	list, _, err := install.LoadEmbedded(sel)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	return names
}

func lines(names []string, action string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("customresourcedefinition.apiextensions.k8s.io/" + n + " " + action + "\n")
	}
	return b.String()
}

func TestInstallCRDs(t *testing.T) {
	reset(t)
	names := expectedNames(t, install.Selection{GatewayAPI: install.GatewayAPIStandard, Objective: install.ObjectiveLLMD})

	stdout, stderr, err := run(t, "crds", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != lines(names, "created (dry run)") || strings.Contains(stderr, "applying") {
		t.Errorf("--dry-run stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	stdout, stderr, err = run(t, "crds")
	if err != nil {
		t.Fatalf("install: %v\nstderr:\n%s", err, stderr)
	}
	if stdout != lines(names, "created") {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, lines(names, "created"))
	}
	n := strconv.Itoa(len(names))
	for _, want := range []string{
		"note: leaving out 2 object(s) of the manifests: ValidatingAdmissionPolicy/safe-upgrades.gateway.networking.k8s.io",
		"checking " + n + " CRDs with a server-side dry run...",
		"applying " + n + " CRDs (server-side apply, field manager igwctl)...",
		"waiting for " + n + " CRDs to be established...",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	stdout, _, err = run(t, "crds")
	if err != nil || stdout != lines(names, "unchanged") {
		t.Errorf("re-run: %v\n%s", err, stdout)
	}

	stdout, _, err = run(t, "crds", "-o", "json", "--dry-run=server")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Operation    string
		DryRun       string
		NotInstalled []string
		CRDs         []struct{ Name, Kind, Set, Source, BundleVersion, PreviousBundleVersion, Action string }
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, stdout)
	}
	if res.Operation != "install" || res.DryRun != "server" || len(res.CRDs) != len(names) || len(res.NotInstalled) != 2 {
		t.Errorf("-o json: %+v", res)
	}
	for _, c := range res.CRDs {
		if c.Action != "unchanged" || c.Source != "embedded" || c.BundleVersion == "" || c.BundleVersion != c.PreviousBundleVersion {
			t.Errorf("-o json entry %+v", c)
		}
	}
}

// TestRefusalExitsNonZero: a refused install prints nothing on stdout and returns the error that
// cmd/igwctl turns into exit status 1.
func TestRefusalExitsNonZero(t *testing.T) {
	reset(t)
	if _, _, err := run(t, "crds", "--gateway-api", "none", "--objective-group", "none"); err != nil {
		t.Fatal(err)
	}
	// Someone installed a newer InferencePool CRD since.
	c, err := apiextensionsclient.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	patch := `{"metadata":{"annotations":{"` + api.BundleVersionAnnotation + `":"v1.99.0"}}}`
	if _, err := c.ApiextensionsV1().CustomResourceDefinitions().Patch(context.Background(), "inferencepools.inference.networking.k8s.io",
		types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := run(t, "crds", "--gateway-api", "none", "--objective-group", "none")
	if err == nil || stdout != "" {
		t.Fatalf("err = %v, stdout %q", err, stdout)
	}
	for _, want := range []string{"inferencepools.inference.networking.k8s.io", "v1.99.0", api.BundleVersion, "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant %q", err, want)
		}
	}
	stdout, _, err = run(t, "crds", "--gateway-api", "none", "--objective-group", "none", "--force")
	if err != nil || !strings.Contains(stdout, "inferencepools.inference.networking.k8s.io configured") {
		t.Errorf("--force: %v %q", err, stdout)
	}
}

// TestThroughRootFlags runs the real command tree: the kubeconfig comes from --kubeconfig, as a
// user would pass it.
func TestThroughRootFlags(t *testing.T) {
	io, out, errOut := cmdtest.Streams()
	cmd := root.NewCmd(io)
	cmd.SetArgs([]string{"install", "crds", "--kubeconfig", bed.Kubeconfig, "--gateway-api", "none", "--dry-run=server"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out.String(), "inferencepools.inference.networking.k8s.io ") || !strings.Contains(out.String(), "(server dry run)") {
		t.Errorf("stdout = %q", out)
	}

	io, out, _ = cmdtest.Streams()
	cmd = root.NewCmd(io)
	cmd.SetArgs([]string{"install", "crds", "--server", "https://127.0.0.1:1", "--timeout", "20s"})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "https://127.0.0.1:1") || !strings.Contains(err.Error(), "--kubeconfig") || out.Len() != 0 {
		t.Errorf("unreachable server: err = %v, stdout %q", err, out)
	}
}

func TestFromRelease(t *testing.T) {
	pool := strings.ReplaceAll(embeddedPool(t), `"`+api.BundleVersionAnnotation+`":"`+api.BundleVersion+`"`, `"`+api.BundleVersionAnnotation+`":"v1.5.0"`)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path != "/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.5.0/manifests.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(pool))
	}))
	defer srv.Close()

	// The embedded (newer) release is installed, so v1.5.0 is a downgrade.
	if _, _, err := run(t, "crds", "--gateway-api", "none", "--objective-group", "none", "--force"); err != nil {
		t.Fatal(err)
	}
	fromRelease := func(args ...string) (string, string, error) {
		f, out, errOut := cmdtest.Factory(bed.Config, "")
		cmd := crds.NewCmd(f, func(ctx context.Context, o *crds.Options) error {
			o.Fetcher = &install.Fetcher{BaseURL: srv.URL}
			return crds.Run(ctx, o)
		})
		err := cmdtest.Execute(cmd, f.IO, append([]string{"--from-release", "--inference-version", "v1.5.0", "--gateway-api", "none"}, args...)...)
		return out.String(), errOut.String(), err
	}
	_, stderr, err := fromRelease("--dry-run=client")
	if err == nil || !strings.Contains(err.Error(), "installed version "+api.BundleVersion+" is newer than v1.5.0") {
		t.Errorf("downgrade from a release: %v", err)
	}
	if len(paths) != 1 || !strings.Contains(stderr, "downloading the v1.5.0 CRDs from "+srv.URL) {
		t.Errorf("requests %v, stderr %q", paths, stderr)
	}
	stdout, stderr, err := fromRelease("--dry-run=client", "--force", "-o", "yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"operation: install", "dryRun: client", "action: configured", "bundleVersion: v1.5.0",
		"previousBundleVersion: " + api.BundleVersion, "source: " + srv.URL} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "warning: --force: inferencepools.inference.networking.k8s.io: installed version") {
		t.Errorf("stderr = %q", stderr)
	}
}

func embeddedPool(t *testing.T) string {
	t.Helper()
	list, _, err := install.LoadEmbedded(install.Selection{GatewayAPI: install.GatewayAPINone, Objective: install.ObjectiveNone})
	if err != nil {
		t.Fatal(err)
	}
	data, err := list[0].Object.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(data) // JSON is YAML
}
