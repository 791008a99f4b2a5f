package uninstall_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmd/uninstall"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

func TestMain(m *testing.M) { testbed.Main(m, &bed) }

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f, out, errOut := cmdtest.Factory(bed.Config, "")
	err = cmdtest.Execute(uninstall.NewCmd(f), f.IO, args...)
	return out.String(), errOut.String(), err
}

// installCRDs installs a selection with the library the install command uses.
func installCRDs(t *testing.T, sel install.Selection) []string {
	t.Helper()
	crds, _, err := install.LoadEmbedded(sel)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kube.NewFactoryFromConfig(bed.Config, "").APIExtensions()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&install.Installer{Client: client}).Install(context.Background(), crds); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range crds {
		names = append(names, c.Name)
	}
	return names
}

var poolGVR = schema.GroupVersionResource{Group: "inference.networking.k8s.io", Version: "v1", Resource: "inferencepools"}

func TestUninstallCRDs(t *testing.T) {
	sel := install.Selection{GatewayAPI: install.GatewayAPINone, Objective: install.ObjectiveBoth}
	names := installCRDs(t, sel)
	dyn, err := kube.NewFactoryFromConfig(bed.Config, "").Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	pool := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: llama, namespace: default}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
`), &pool.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(poolGVR).Namespace("default").Create(context.Background(), pool, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	args := []string{"crds", "--gateway-api", "none", "--objective-group", "both"}
	stdout, _, err := run(t, args...)
	if err == nil || stdout != "" {
		t.Fatalf("uninstall with an InferencePool left: err = %v, stdout %q", err, stdout)
	}
	if want := "1 InferencePool object(s) still exist: 1 in default (llama)"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v\nwant %q", err, want)
	}

	stdout, _, err = run(t, append(args, "--dry-run")...)
	if err == nil {
		t.Errorf("--dry-run must refuse as the real run does; stdout %q", stdout)
	}
	stdout, _, err = run(t, append(args, "--dry-run=server", "--force")...)
	if err != nil || strings.Count(stdout, "deleted (server dry run)\n") != len(names) {
		t.Errorf("server dry run: %v\n%s", err, stdout)
	}

	stdout, stderr, err := run(t, append(args, "--force", "-o", "yaml")...)
	if err != nil {
		t.Fatalf("--force: %v\n%s", err, stderr)
	}
	for _, want := range []string{"operation: uninstall", "action: deleted", "objects: 1", "name: " + names[0]} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "warning: --force: inferencepools.inference.networking.k8s.io: 1 InferencePool") {
		t.Errorf("stderr = %q", stderr)
	}

	// Everything is gone: a second uninstall reports that and succeeds.
	stdout, _, err = run(t, args...)
	want := ""
	for i := len(names) - 1; i >= 0; i-- {
		want += "customresourcedefinition.apiextensions.k8s.io/" + names[i] + " not found\n"
	}
	if err != nil || stdout != want {
		t.Errorf("second uninstall: %v\n%s\nwant\n%s", err, stdout, want)
	}
}
