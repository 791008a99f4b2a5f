package providers

import (
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/helm"
)

func TestCatalogue(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "istio,agentgateway,nginx,gke" {
		t.Errorf("Names = %s", got)
	}
	for _, tc := range []struct {
		name, repo, ns, version, class string
		releases, charts               string
		switchPath                     string
		switchValue                    any
	}{
		{"istio", "https://istio-release.storage.googleapis.com/charts", "istio-system", "1.29.2", "istio",
			"istio-base,istiod", "base,istiod", "pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION", "true"},
		{"agentgateway", "oci://cr.agentgateway.dev/charts", "agentgateway-system", "v1.0.0", "agentgateway",
			"agentgateway-crds,agentgateway", "agentgateway-crds,agentgateway", "inferenceExtension.enabled", true},
		{"nginx", "oci://ghcr.io/nginx/charts", "nginx-gateway", "2.6.0", "nginx",
			"ngf", "nginx-gateway-fabric", "nginxGateway.gwAPIInferenceExtension.enable", true},
	} {
		p, err := Lookup(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		var releases, charts []string
		var sw Chart
		for _, c := range p.Charts {
			releases, charts = append(releases, c.Release), append(charts, c.Chart)
			if c.Switch != "" {
				sw = c
			}
		}
		if p.Repo != tc.repo || p.Namespace != tc.ns || p.DefaultVersion != tc.version || p.GatewayClass != tc.class || p.Managed ||
			strings.Join(releases, ",") != tc.releases || strings.Join(charts, ",") != tc.charts || sw.Switch != tc.switchPath || sw.SwitchValue != tc.switchValue {
			t.Errorf("%s = %+v", tc.name, p)
		}
	}
	gke, err := Lookup("GKE")
	if err != nil || !gke.Managed || len(gke.Charts) != 0 || gke.GatewayClass != "gke-l7-regional-external-managed" {
		t.Errorf("gke = %+v, %v", gke, err)
	}
	if steps, err := Plan(gke, Options{}); err != nil || len(steps) != 0 {
		t.Errorf("gke plan = %v, %v", steps, err)
	}
	// All hands out copies.
	All()[0].Charts[0].Release = "changed"
	if p, _ := Lookup("istio"); p.Charts[0].Release != "istio-base" {
		t.Error("All shares the catalogue")
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"envoy", ""} {
		_, err := Lookup(name)
		if err == nil || !strings.Contains(err.Error(), "valid providers: istio, agentgateway, nginx, gke") {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestPlan(t *testing.T) {
	istio, _ := Lookup("istio")
	steps, err := Plan(istio, Options{Set: []string{"a=1"}, Files: []string{"v.yaml"}})
	if err != nil || len(steps) != 2 {
		t.Fatal(steps, err)
	}
	base, istiod := steps[0], steps[1]
	if base.Chart != (helm.ChartRef{Chart: "base", RepoURL: istio.Repo, Version: "1.29.2"}) || base.Release != "istio-base" || base.Namespace != "istio-system" {
		t.Errorf("base = %+v", base)
	}
	if base.Values.Base != nil || base.Values.Set != nil || base.Values.Files != nil {
		t.Errorf("user values went to base: %+v", base.Values)
	}
	if istiod.Chart.Chart != "istiod" || istiod.Values.Set[0] != "a=1" || istiod.Values.Files[0] != "v.yaml" {
		t.Errorf("istiod = %+v", istiod)
	}
	if _, err := istiod.Values.Merge(); err == nil {
		t.Fatal("missing values file merged")
	}
	istiod.Values.Files = nil
	merged, err := istiod.Values.Merge()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := helm.ValuesPath(merged, "pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION"); v != "true" {
		t.Errorf("switch = %v", v)
	}

	// A mirror keeps the chart names; OCI and HTTP.
	ag, _ := Lookup("agentgateway")
	steps, err = Plan(ag, Options{ChartRepo: "oci://127.0.0.1:5000/charts/", PlainHTTP: true, Version: "v1.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if steps[0].Chart != (helm.ChartRef{Chart: "oci://127.0.0.1:5000/charts/agentgateway-crds", Version: "v1.0.1", PlainHTTP: true}) ||
		steps[1].Chart.Chart != "oci://127.0.0.1:5000/charts/agentgateway" {
		t.Errorf("agentgateway mirror = %+v", steps)
	}
	ngf, _ := Lookup("nginx")
	steps, _ = Plan(ngf, Options{})
	if steps[0].Chart.Chart != "oci://ghcr.io/nginx/charts/nginx-gateway-fabric" || steps[0].Release != "ngf" {
		t.Errorf("nginx = %+v", steps[0])
	}
	steps, _ = Plan(ngf, Options{ChartRepo: "https://mirror.example/charts"})
	if steps[0].Chart != (helm.ChartRef{Chart: "nginx-gateway-fabric", RepoURL: "https://mirror.example/charts", Version: "2.6.0"}) {
		t.Errorf("nginx http mirror = %+v", steps[0])
	}
	if _, err := Plan(ngf, Options{ChartRepo: "ftp://x"}); err == nil {
		t.Error("ftp repo accepted")
	}
}

func TestValidateRepo(t *testing.T) {
	for repo, ok := range map[string]bool{
		"oci://ghcr.io/x": true, "https://a/b": true, "http://127.0.0.1:1/": true,
		"oci://": false, "ghcr.io/x": false, "oci://x/y@sha256:1": false, "https:///x": false,
	} {
		if err := ValidateRepo(repo); (err == nil) != ok {
			t.Errorf("%s: %v", repo, err)
		}
	}
}

func TestSwitchWarning(t *testing.T) {
	ag, _ := Lookup("agentgateway")
	steps, _ := Plan(ag, Options{Set: []string{"inferenceExtension.enabled=false"}})
	vals, _ := steps[1].Values.Merge()
	w := SwitchWarning(ag, steps[1], vals)
	if !strings.Contains(w, "inference extension is OFF") || !strings.Contains(w, "inferenceExtension.enabled") || !strings.Contains(w, "set it to false") {
		t.Errorf("warning = %q", w)
	}
	if w := SwitchWarning(ag, steps[0], nil); w != "" {
		t.Errorf("crds chart warned: %q", w)
	}
	istio, _ := Lookup("istio")
	steps, _ = Plan(istio, Options{SetString: []string{"pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=TRUE"}, Set: []string{"pilot.env.OTHER=1"}})
	vals, _ = steps[1].Values.Merge()
	if w := SwitchWarning(istio, steps[1], vals); w != "" {
		t.Errorf("TRUE warned: %q", w)
	}
	for v, on := range map[any]bool{true: true, "true": true, "1": true, false: false, "false": false, "": false, nil: false} {
		if SwitchOn(v) != on {
			t.Errorf("SwitchOn(%v) != %v", v, on)
		}
	}
}

func TestGateway(t *testing.T) {
	gw := Gateway("inference-gateway", "llm", "istio", Istio)
	spec := gw["spec"].(map[string]any)
	l := spec["listeners"].([]any)[0].(map[string]any)
	md := gw["metadata"].(map[string]any)
	if spec["gatewayClassName"] != "istio" || l["name"] != "http" || l["port"] != int64(80) || l["protocol"] != "HTTP" ||
		md["namespace"] != "llm" || md["labels"].(map[string]any)[ManagedByLabel] != "igwctl" {
		t.Errorf("gateway = %v", gw)
	}
	if BBRNote(NGINX) == "" || BBRNote(Istio) != "" {
		t.Error("BBRNote")
	}
}
