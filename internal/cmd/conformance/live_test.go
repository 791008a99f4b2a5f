package conformance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	conf "github.com/igw-dev/igw/internal/conformance"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var bed *testbed.Env

// The primary Gateway is served on the namespace's own address, the secondary on another
// loopback address; pods get loopback addresses of their own, so each echo server and picker
// listens on its pod's IP with upstream's ports.
func TestMain(m *testing.M) {
	testbed.MainInNetNS(m, &bed, "10.99.0.2", testbed.WithCRDPaths("../../../config/crd", "../../../config/gateway-api/standard"))
}

const (
	className      = "standin"
	controllerName = "igw.dev/gateway-standin"
)

// fast are waits short enough for a stand-in that answers within a poll, and for a defect to
// fail its check in seconds.
var fast = strings.Join([]string{
	"GatewayObjectPollInterval=50ms", "InferencePoolMustHaveConditionInterval=50ms",
	"HTTPRouteMustHaveCondition=3s", "InferencePoolMustHaveCondition=3s", "MaxTimeToConsistency=3s",
	"HTTPRouteDeletionReconciliationTimeout=200ms", "EPPRoutingRetry=3s", "ServiceUpdateTimeout=3s",
	"GatewayClassMustHaveCondition=10s", "NamespacesMustBeReady=20s", "GatewayMustHaveAddress=10s",
}, ",")

func gatewayClass(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	gc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": className}, "spec": map[string]any{"controllerName": controllerName}}}
	_, err := dyn.Resource(schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}).
		Create(context.Background(), gc, metav1.CreateOptions{})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

// podNet is added to the namespace's loopback, so every address in it is this machine's inside
// the namespace only: the API server refuses loopback addresses in EndpointSlices.
const podNet = "10.98.0.1/16"

func podIP(n int) string { return fmt.Sprintf("10.98.%d.%d", 1+n/200, 1+n%200) }

// standIn starts a gateway implementation with faults for one test.
func standIn(t *testing.T, faults standin.GatewayFaults) {
	t.Helper()
	if out, err := exec.Command("ip", "addr", "replace", podNet, "dev", "lo").CombinedOutput(); err != nil {
		t.Fatalf("ip addr replace %s dev lo (in the test's network namespace): %v: %s", podNet, err, out)
	}
	dyn, err := dynamic.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	gatewayClass(t, dyn)
	standin.StartGatewayController(t, bed.Config, standin.GatewayOptions{
		ControllerName: controllerName,
		Addresses:      map[string]string{conf.PrimaryGateway: bed.PodIP, conf.SecondaryGateway: "10.98.0.2"},
		PodIP:          podIP,
		Faults:         faults,
	})
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, code, _ = cmdtest.RunAsRoot(t, NewCmd, nil, bed.Config, append([]string{"--gateway-class", className, "--timeout-config", fast}, args...)...)
	return stdout, stderr, code
}

// A correct implementation passes every check; the report decodes to upstream's shape with the
// versions of the installed CRDs; cleanup leaves nothing behind.
func TestAllPass(t *testing.T) {
	standIn(t, standin.GatewayFaults{})
	report := filepath.Join(t.TempDir(), "report.yaml")
	start := time.Now()
	stdout, stderr, code := run(t, "--report-output", report, "--organization", "igw-dev", "--project", "standin",
		"--url", "https://github.com/igw-dev/igw", "--version", "v0.0.0-test", "--contact", "@igw-dev/maintainers")
	t.Logf("took %s\nstderr:\n%s\nstdout:\n%s", time.Since(start), stderr, stdout)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s", code, stdout)
	}
	for _, name := range conf.CheckNames() {
		cmdtest.Contains(t, "stdout", stdout, "PASSED  "+name)
		cmdtest.Contains(t, "stderr", stderr, "--- PASS "+name+" (")
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", b)
	var got conf.Report
	if err := yaml.UnmarshalStrict(b, &got); err != nil {
		t.Fatalf("report: %v\n%s", err, b)
	}
	p := got.ProfileReports
	if got.GatewayAPIInferenceExtensionVersion != "v1.6.0" || got.GatewayAPIVersion != "v1.6.3" || got.GatewayAPIChannel != "standard" ||
		got.APIVersion != "gateway.networking.k8s.io/v1" || got.Kind != "ConformanceReport" || got.Mode != "default" ||
		got.Implementation.Project != "standin" || len(p) != 1 || p[0].Name != "Gateway" || p[0].Core.Result != "success" ||
		p[0].Core.Passed != 14 || p[0].Core.Failed != 0 || p[0].Core.Skipped != 0 || !strings.Contains(p[0].Summary, "Note: EppUnAvailableFailOpen differs") {
		t.Errorf("report:\n%s", b)
	}
	if !strings.Contains(string(b), "GatewayAPIInferenceExtensionVersion: v1.6.0\n") {
		t.Errorf("the version key is not upstream's:\n%s", b)
	}
	if _, err := time.Parse(time.RFC3339, got.Date); err != nil {
		t.Errorf("date %q: %v", got.Date, err)
	}
	leftovers(t)
}

// leftovers fails when the run left objects in its namespaces (beyond the namespaces
// themselves, which stay Terminating on a test bed without a namespace controller).
func leftovers(t *testing.T) {
	t.Helper()
	dyn, _ := dynamic.NewForConfig(bed.Config)
	gvrs := []schema.GroupVersionResource{
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"},
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"},
		{Group: "inference.networking.k8s.io", Version: "v1", Resource: "inferencepools"},
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Version: "v1", Resource: "services"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
		{Version: "v1", Resource: "pods"},
		{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"},
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []string
		for _, ns := range []string{conf.InfraNamespace, conf.AppNamespace} {
			for _, gvr := range gvrs {
				l, err := dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range l.Items {
					left = append(left, gvr.Resource+" "+ns+"/"+o.GetName())
				}
			}
			n, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(context.Background(), ns, metav1.GetOptions{})
			if err == nil && n.GetDeletionTimestamp() == nil {
				left = append(left, "namespace "+ns+" not deleted")
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("left behind: %s", strings.Join(left, ", "))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
