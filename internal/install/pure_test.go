package install

import (
	"reflect"
	"strings"
	"testing"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/config"
)

// The tests in this file need no cluster; TestMain still starts one for the package.

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.6.0", "v1.6.0", 0},
		{"v1.6.0", "v1.5.1", 1},
		{"v1.5.1", "v1.6.0", -1},
		{"v1.10.0", "v1.9.0", 1}, // numeric, not lexical
		{"v1.7.0-rc.1", "v1.7.0", -1},
		{"v1.7.0-rc.2", "v1.7.0-rc.10", -1},
		{"v1.7.0", "v1.6.9", 1},
		{"v2.0.0", "v1.99.99", 1},
		{"v1.6.0+build.1", "v1.6.0", 0},
		{"1.6.0", "v1.6.0", 0}, // installed annotations may lack the v
	} {
		got, err := CompareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"latest", "v1.6.0"}, {"v1.6.0", "v1.6"}, {"", "v1.0.0"}} {
		if _, err := CompareVersions(bad[0], bad[1]); err == nil {
			t.Errorf("CompareVersions(%q, %q): no error", bad[0], bad[1])
		}
	}
}

func TestValidateVersion(t *testing.T) {
	for _, ok := range []string{"v1.6.0", "v1.0.0", "v1.7.0-rc.1", "v10.20.30"} {
		if err := ValidateVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"1.6.0", "v1.6", "latest", "", "v1.6.0.1", "vx.y.z"} {
		if err := ValidateVersion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSelectionSets(t *testing.T) {
	for _, tc := range []struct {
		gw   GatewayAPI
		obj  ObjectiveGroup
		want []config.Set
	}{
		{GatewayAPIStandard, ObjectiveLLMD, []config.Set{config.GatewayAPIStandard, config.InferenceV1, config.LLMDObjective}},
		{GatewayAPIExperimental, ObjectiveXK8s, []config.Set{config.GatewayAPIExperimental, config.InferenceV1, config.XObjective}},
		{GatewayAPINone, ObjectiveBoth, []config.Set{config.InferenceV1, config.LLMDObjective, config.XObjective}},
		{GatewayAPINone, ObjectiveNone, []config.Set{config.InferenceV1}},
	} {
		got := Selection{GatewayAPI: tc.gw, Objective: tc.obj}.Sets()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s/%s: sets = %v, want %v", tc.gw, tc.obj, got, tc.want)
		}
	}
}

func TestLoadEmbedded(t *testing.T) {
	crds, skipped, err := LoadEmbedded(Selection{GatewayAPI: GatewayAPIStandard, Objective: ObjectiveBoth})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]CRD{}
	for _, c := range crds {
		byName[c.Name] = c
		if c.Object.Object["status"] != nil {
			t.Errorf("%s: status would be applied", c.Name)
		}
	}
	pool := byName["inferencepools.inference.networking.k8s.io"]
	if pool.Set != config.InferenceV1 || pool.BundleVersion != api.BundleVersion || pool.Kind != "InferencePool" || pool.IsGatewayAPI() {
		t.Errorf("pool = %+v", pool)
	}
	gw := byName["httproutes.gateway.networking.k8s.io"]
	if gw.Channel != "standard" || gw.BundleVersion != config.GatewayAPIVersion() || gw.VersionAnnotation != GatewayAPIBundleVersionAnnotation {
		t.Errorf("httproutes = %+v", gw)
	}
	for _, name := range []string{"inferenceobjectives.llm-d.ai", "inferenceobjectives.inference.networking.x-k8s.io"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if _, ok := byName["xbackends.gateway.networking.x-k8s.io"]; ok {
		t.Error("standard channel includes an experimental CRD")
	}
	if crds[0].Set != config.GatewayAPIStandard || crds[len(crds)-1].Set != config.XObjective {
		t.Errorf("order: first %s, last %s; want Gateway API first, objectives last", crds[0].Set, crds[len(crds)-1].Set)
	}
	if !reflect.DeepEqual(skipped, []string{"ValidatingAdmissionPolicy/safe-upgrades.gateway.networking.k8s.io",
		"ValidatingAdmissionPolicyBinding/safe-upgrades.gateway.networking.k8s.io"}) {
		t.Errorf("skipped = %v", skipped)
	}
	if note := SkipNote(skipped); !strings.Contains(note, "ValidatingAdmissionPolicy/safe-upgrades") {
		t.Errorf("note = %q", note)
	}
}

func TestSelectionValidate(t *testing.T) {
	if err := (Selection{InferenceVersion: api.BundleVersion}).Validate(api.BundleVersion); err != nil {
		t.Error(err)
	}
	err := Selection{InferenceVersion: "v1.5.0"}.Validate(api.BundleVersion)
	if err == nil || !strings.Contains(err.Error(), "--from-release") || !strings.Contains(err.Error(), api.BundleVersion) {
		t.Errorf("other version offline: %v", err)
	}
	if err := (Selection{InferenceVersion: "v1.5.0", FromRelease: true}).Validate(api.BundleVersion); err != nil {
		t.Error(err)
	}
	err = Selection{InferenceVersion: "1.5.0", FromRelease: true}.Validate(api.BundleVersion)
	if err == nil || !strings.Contains(err.Error(), "--inference-version") {
		t.Errorf("bad version: %v", err)
	}
}

func TestSubset(t *testing.T) {
	for i, tc := range []struct {
		want, have any
		ok         bool
	}{
		{map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 2.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, false},
		{map[string]any{"a": 1.0}, map[string]any{}, false},
		{[]any{map[string]any{"x": "y"}}, []any{map[string]any{"x": "y", "default": true}}, true},
		{[]any{"a"}, []any{"a", "b"}, false},
		{nil, map[string]any{"a": 1.0}, true},
		{map[string]any{}, nil, true},
		{"s", nil, false},
	} {
		if got := subset(tc.want, tc.have); got != tc.ok {
			t.Errorf("%d: subset(%v, %v) = %v", i, tc.want, tc.have, got)
		}
	}
}

func TestPartialError(t *testing.T) {
	err := partialError("applied", "not applied",
		[]CRDResult{{CRD: CRD{Name: "a"}, Action: ActionCreated}, {CRD: CRD{Name: "b"}, Action: ActionUnchanged}},
		[]CRD{{Name: "d"}}, "c", "boom")
	want := `c failed: boom
  applied (2):
    a (created)
    b (unchanged)
  not applied (2):
    c (failed)
    d`
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}
