package pool_test

import (
	"context"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/pool"
)

const charts = "../../testdata/charts/"

var spec = pool.Spec{Name: "llama", Namespace: "llm", Selector: map[string]string{"app": "llama"}, TargetPorts: []int{8000, 8001},
	Engine: "sglang", Provider: "agentgateway", PickerReplicas: 2, FailureMode: pool.FailClose}

// The value path of every flag in each generation, as the real charts name them.
func TestPaths(t *testing.T) {
	want := map[pool.Generation]map[string]string{
		pool.Router: {"selector": "router.modelServers.matchLabels", "target-port": "router.modelServers.targetPorts", "engine": "router.modelServers.type",
			"picker-replicas": "router.epp.replicas", "failure-mode": "router.inferencePool.failureMode", "provider": "provider.name"},
		pool.GIE: {"selector": "inferencePool.modelServers.matchLabels", "target-port": "inferencePool.targetPorts", "engine": "inferencePool.modelServerType",
			"picker-replicas": "inferenceExtension.replicas", "failure-mode": "inferenceExtension.failureMode", "provider": "provider.name"},
	}
	for gen, paths := range want {
		settings := spec.Settings(gen)
		if len(settings) != len(paths) {
			t.Errorf("%s: %d settings, want %d", gen, len(settings), len(paths))
		}
		for _, s := range settings {
			if s.Path != paths[s.Flag] {
				t.Errorf("%s --%s: path %q, want %q", gen, s.Flag, s.Path, paths[s.Flag])
			}
		}
	}
	if p := pool.ChartProvider("nginx"); p != "none" {
		t.Errorf("nginx → %s", p)
	}
}

func TestGenerationOf(t *testing.T) {
	for v, want := range map[string]pool.Generation{"v1.6.0": pool.Router, "v1.7.0-rc.1": pool.Router, "v1.5.0": pool.GIE, "v1.0.0": pool.GIE} {
		if g, err := pool.GenerationOf(v); err != nil || g != want {
			t.Errorf("%s: %s %v, want %s", v, g, err, want)
		}
	}
	for _, v := range []string{"v0.5.1", "1.x", ""} {
		if _, err := pool.GenerationOf(v); err == nil {
			t.Errorf("%s accepted", v)
		}
	}
	if c := pool.ChartFor(pool.GIE, "v1.3.0"); c.Name != "inferencepool" || c.Version != "v1.3.0" {
		t.Errorf("GIE chart %+v", c)
	}
	if r := pool.ChartFor(pool.Router, "v1.6.0").Ref("oci://mirror.example/charts", "", true); r.Chart != "oci://mirror.example/charts/llm-d-router-gateway" || r.Version != pool.RouterChartVersion {
		t.Errorf("router ref %+v", r)
	}
}

// render renders the stand-in chart of gen with the values igwctl makes.
func render(t *testing.T, gen pool.Generation, given func(string) bool, set ...string) (*helm.Result, map[string]any, error) {
	t.Helper()
	dir := map[pool.Generation]string{pool.Router: "llm-d-router-gateway", pool.GIE: "inferencepool"}[gen]
	ch, src, err := helm.LoadChart(context.Background(), helm.Settings{}, helm.ChartRef{Chart: charts + dir})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pool.Values(gen, spec, given, nil, set, nil).Merge()
	if err != nil {
		t.Fatal(err)
	}
	r, err := helm.RenderChart(context.Background(), helm.Settings{}, ch, src, spec.Namespace, spec.Name, "", vals)
	return r, vals, err
}

// Each generation's values, rendered by a chart with the real chart's paths, make the pool the
// flags describe; the failure mode is FailClose though both charts default to FailOpen.
func TestValuesRender(t *testing.T) {
	all := func(string) bool { return true }
	for _, gen := range []pool.Generation{pool.Router, pool.GIE} {
		r, _, err := render(t, gen, all)
		if err != nil {
			t.Fatalf("%s: %v", gen, err)
		}
		for _, want := range []string{"failureMode: FailClose", `app: "llama"`, "- number: 8000\n  - number: 8001", "replicas: 2", "--ha-enable-leader-election", "name: llama-epp"} {
			if !strings.Contains(r.Manifest, want) {
				t.Errorf("%s manifest lacks %q:\n%s", gen, want, r.Manifest)
			}
		}
		if strings.Contains(r.Manifest, "DestinationRule") {
			t.Errorf("%s: agentgateway got Istio's glue", gen)
		}
	}
	// A default (not given) loses to --set; a given flag wins over it.
	none := func(string) bool { return false }
	_, vals, err := render(t, pool.Router, none, "router.epp.replicas=3,router.inferencePool.failureMode=FailOpen")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := helm.ValuesPath(vals, "router.epp.replicas"); v != int64(3) {
		t.Errorf("replicas %v (%T), want the --set 3", v, v)
	}
	if v, _ := helm.ValuesPath(vals, "router.inferencePool.failureMode"); v != pool.FailClose {
		t.Errorf("failureMode %v: igwctl's failure mode must win over --set", v)
	}
}

// The new chart refuses the old keys, and so does igwctl before fetching it; the old chart would
// ignore the new ones, so igwctl refuses those too.
func TestOtherGenerationKeys(t *testing.T) {
	all := func(string) bool { return true }
	if _, _, err := render(t, pool.Router, all, "inferenceExtension.replicas=2"); err == nil || !strings.Contains(err.Error(), "Top-level 'inferenceExtension' is deprecated") {
		t.Errorf("router chart with a legacy key: %v", err)
	}
	err := pool.CheckKeys(pool.Router, map[string]any{"inferencePool": map[string]any{}, "experimentalHttpRoute": true})
	if err == nil || !strings.Contains(err.Error(), "experimentalHttpRoute (here: httpRoute") || !strings.Contains(err.Error(), "inferencePool (here: router.modelServers") {
		t.Errorf("CheckKeys router: %v", err)
	}
	if err := pool.CheckKeys(pool.GIE, map[string]any{"router": map[string]any{}}); err == nil || !strings.Contains(err.Error(), "llm-d-router's chart") {
		t.Errorf("CheckKeys gie: %v", err)
	}
	if err := pool.CheckKeys(pool.GIE, map[string]any{"inferencePool": map[string]any{}}); err != nil {
		t.Errorf("CheckKeys gie own keys: %v", err)
	}
}

// The objective group follows the picker the chart renders, as diagnose's analyzers judge it.
func TestObjectiveGroup(t *testing.T) {
	all := func(string) bool { return true }
	served := map[string][]string{"llm-d.ai/v1alpha2": {"inferenceobjectives"}, "inference.networking.x-k8s.io/v1alpha2": {"inferenceobjectives"}}
	for _, tc := range []struct {
		gen  pool.Generation
		set  []string
		want string
	}{
		{pool.Router, nil, pool.LLMDGroup},
		{pool.GIE, nil, pool.LegacyGroup},
		// The inference extension's own picker swapped into the new chart reads only the legacy group.
		{pool.Router, []string{"router.epp.image.registry=registry.k8s.io,router.epp.image.repository=gateway-api-inference-extension/epp,router.epp.image.tag=v1.5.0"}, pool.LegacyGroup},
		// llm-d-router's picker in the old chart reads llm-d.ai, where that CRD is served.
		{pool.GIE, []string{"inferenceExtension.image.hub=ghcr.io/llm-d,inferenceExtension.image.name=llm-d-router-endpoint-picker,inferenceExtension.image.tag=v0.10.0"}, pool.LLMDGroup},
	} {
		r, _, err := render(t, tc.gen, all, tc.set...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pool.ObjectiveGroup(tc.gen, r.Manifest, spec, served)
		if err != nil || got != tc.want {
			t.Errorf("%s %v: %s %v, want %s", tc.gen, tc.set, got, err, tc.want)
		}
	}
}

func TestDiff(t *testing.T) {
	old := "---\nkind: Deployment\nmetadata:\n  name: a-epp\n  namespace: ns\nspec:\n  replicas: 1\n---\nkind: Service\nmetadata:\n  name: a-epp\n  namespace: ns\n---\nkind: Role\nmetadata:\n  name: gone\n"
	cur := "---\nkind: Deployment\nmetadata:\n  name: a-epp\n  namespace: ns\nspec:\n  replicas: 2\n---\nkind: Service\nmetadata:\n  name: a-epp\n  namespace: ns\n---\nkind: ConfigMap\nmetadata:\n  name: new\n"
	c := pool.Diff(old, cur, map[string]any{"router": map[string]any{"epp": map[string]any{"replicas": 1}}}, map[string]any{"router": map[string]any{"epp": map[string]any{"replicas": 2}}, "x": "v"})
	if strings.Join(c.Changed, ",") != "Deployment ns/a-epp" || strings.Join(c.Added, ",") != "ConfigMap new" || strings.Join(c.Removed, ",") != "Role gone" || c.Unchanged != 1 {
		t.Errorf("objects %+v", c)
	}
	if strings.Join(c.Values, "|") != "router.epp.replicas: 1 → 2|x: (unset) → v" {
		t.Errorf("values %q", c.Values)
	}
	if !pool.Diff(cur, cur, nil, nil).None() {
		t.Error("same manifest differs")
	}
}
