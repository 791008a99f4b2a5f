package conformance

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	conf "github.com/igw-dev/igw/internal/conformance"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

// An implementation with one defect fails exactly the checks that defect breaks, saying what it
// saw against what it expected.
func TestBroken(t *testing.T) {
	pickerChecks := []string{"GatewayFollowingEPPRouting", "GatewayFollowingEPPRoutingWithDataParallelism", "GatewayDestinationEndpointServed", "InferencePoolAppProtocol"}
	for _, tc := range []struct {
		name   string
		faults standin.GatewayFaults
		failed []string
		says   []string
	}{
		{"wrong reason", standin.GatewayFaults{WrongBackendNotFoundReason: true}, []string{"HTTPRouteInvalidInferencePoolRef"},
			[]string{"want: Accepted=True reason Accepted at the current generation, ResolvedRefs=False reason BackendNotFound", `ResolvedRefs: status False reason "InvalidBackend" observedGeneration 1`,
				"look at: kubectl get httproute -n inference-conformance-app-backend httproute-to-non-existent-pool -o yaml"}},
		{"no observedGeneration on routes", standin.GatewayFaults{NoRouteObservedGeneration: true},
			[]string{"HTTPRouteInvalidInferencePoolRef", "InferencePoolMissingEPPRef", "InferencePoolInvalidEPPService", "InferencePoolHTTPRoutePortValidation",
				"HTTPRouteMultipleGatewaysDifferentPools", "HTTPRouteMultipleRulesDifferentPools", "GatewayFollowingEPPRouting", "GatewayFollowingEPPRoutingWithDataParallelism",
				"GatewayWeightedAcrossTwoInferencePools", "GatewayDestinationEndpointServed", "InferencePoolAppProtocol", "EppUnAvailableFailOpen"},
			[]string{`Accepted: status True reason "Accepted" observedGeneration 0`}},
		{"ignores the picker", standin.GatewayFaults{IgnorePicker: true}, pickerChecks,
			[]string{"which the picker was not allowed to choose"}},
		{"ignores weights", standin.GatewayFaults{IgnoreWeights: true}, []string{"GatewayWeightedAcrossTwoInferencePools"},
			[]string{"want: 70% to primary-inference-pool, within 14.6 points (route weights 70/30)", "saw:  200 to primary-inference-pool (100.0%), 0 to secondary-inference-pool"}},
		{"does not fail open", standin.GatewayFaults{NeverFailOpen: true}, []string{"EppUnAvailableFailOpen"},
			[]string{"status 503, want [200]"}},
		{"does not fail closed", standin.GatewayFaults{AlwaysFailOpen: true}, []string{"InferencePoolInvalidEPPService"},
			[]string{"want: status in [500 501 502 503 504]", "status 200 from pod inference-conformance-app-backend/primary-inference-model-server-deployment-"}},
		{"no served endpoint", standin.GatewayFaults{NoServedMetadata: true}, []string{"GatewayDestinationEndpointServed", "InferencePoolAppProtocol"},
			[]string{`x-conformance-test-served-endpoint "fail: missing envoy.lb x-gateway-destination-endpoint-served in metadata_context"`}},
		{"pool parentRef without namespace", standin.GatewayFaults{NoPoolParentNamespace: true}, except("HTTPRouteInvalidInferencePoolRef"),
			[]string{"saw:  no status.parents entry for Gateway inference-conformance-infra/conformance-primary (parents: Gateway (namespace unset)/conformance-primary"}},
		{"HTTP/1.1 to h2c pools", standin.GatewayFaults{HTTP1Only: true}, []string{"InferencePoolAppProtocol"},
			[]string{"appprotocol-h2c", "status 502"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			standIn(t, tc.faults)
			report := filepath.Join(t.TempDir(), "report.yaml")
			stdout, stderr, code := run(t, "--cleanup=false", "--report-output", report, "--organization", "o", "--project", "p", "--url", "u", "--version", "v", "--contact", "c")
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var r conf.Report
			if err := yaml.UnmarshalStrict(b, &r); err != nil {
				t.Fatal(err)
			}
			core := r.ProfileReports[0].Core
			if !slices.Equal(core.FailedTests, tc.failed) || core.Result != "failure" || int(core.Passed) != 14-len(tc.failed) {
				t.Errorf("failed %v (passed %d), want %v\n%s", core.FailedTests, core.Passed, tc.failed, stderr)
			}
			for _, name := range tc.failed {
				cmdtest.Contains(t, "stdout", stdout, "FAILED  "+name)
			}
			cmdtest.Contains(t, "stderr", stderr, tc.says...)
			if t.Failed() || testing.Verbose() {
				t.Logf("stderr:\n%s", stderr)
			}
			if !strings.Contains(stderr, "Leaving the base in namespaces") {
				t.Errorf("stderr does not say the base stays:\n%s", stderr)
			}
		})
	}
}

// --run-test runs only the named checks and counts the others as skipped; --skip-tests skips.
func TestSelection(t *testing.T) {
	standIn(t, standin.GatewayFaults{})
	stdout, stderr, code := run(t, "--cleanup=false", "--run-test", "InferencePoolAccepted,EppUnAvailableFailOpen", "--skip-tests", "EppUnAvailableFailOpen", "-o", "yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var out struct {
		Checks []conf.CheckResult `json:"checks"`
		Report conf.Report        `json:"report"`
	}
	if err := yaml.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	core := out.Report.ProfileReports[0].Core
	if core.Passed != 1 || core.Skipped != 13 || core.Result != "partial" || len(out.Checks) != 14 || out.Checks[0].Outcome != conf.Passed ||
		out.Report.ProfileReports[0].Summary != "Core tests partially succeeded with 13 test skips." {
		t.Errorf("report %+v\n%s", core, stdout)
	}
	if strings.Count(stderr, "=== RUN") != 1 || strings.Count(stderr, "--- SKIP") != 13 {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// except is every check but those named: a defect in the pool's status breaks every check that
// waits for the pool to be accepted.
func except(names ...string) []string {
	var out []string
	for _, n := range conf.CheckNames() {
		if !slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	return out
}
