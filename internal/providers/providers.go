// Package providers is the catalogue of gateway providers igwctl installs (Istio, Agentgateway,
// NGINX Gateway Fabric) or checks (GKE), and the pure planning of an install: which Helm charts,
// from where, at which version, into which namespace, with which inference extension switch. It
// talks to no cluster and no registry; the install provider command carries the plan out.
package providers

import (
	"fmt"
	"strings"

	"github.com/igw-dev/igw/internal/helm"
)

// Name names a provider, as the command line takes it.
type Name string

// The providers.
const (
	Istio        Name = "istio"
	Agentgateway Name = "agentgateway"
	NGINX        Name = "nginx"
	GKE          Name = "gke"
)

// DefaultGateway is the name of the Gateway igwctl creates, the inference extension guides' name.
const DefaultGateway = "inference-gateway"

// GKEGatewayClass is the class GKE's inference gateway guide uses (regional external Application
// Load Balancer); GKEClassPrefix is what every GKE Gateway controller class starts with.
const (
	GKEGatewayClass = "gke-l7-regional-external-managed"
	GKEClassPrefix  = "gke-l7-"
)

// Chart is one Helm release of a provider.
type Chart struct {
	// Release is the Helm release name (the one the provider's docs use).
	Release string `json:"release"`
	// Chart is the chart's name in its repository or registry path.
	Chart string `json:"chart"`
	// Switch is the dotted values path of the inference extension switch, empty when this chart
	// has none; SwitchValue is what turns it on.
	Switch      string `json:"switch,omitempty"`
	SwitchValue any    `json:"switchValue,omitempty"`
}

// Provider is one entry of the catalogue.
type Provider struct {
	Name  Name   `json:"name"`
	Title string `json:"title"`
	// Managed providers (GKE) come with the platform: igwctl installs nothing, it checks.
	Managed bool `json:"managed,omitempty"`
	// Repo is where the charts come from: an HTTP(S) chart repository or "oci://HOST/PATH" under
	// which each chart is pushed by name.
	Repo string `json:"repo,omitempty"`
	// Namespace is where the releases go.
	Namespace string `json:"namespace,omitempty"`
	// DefaultVersion is the chart version installed without --version (every chart of the
	// provider has the same version).
	DefaultVersion string `json:"defaultVersion,omitempty"`
	// Charts are installed in this order and uninstalled in reverse.
	Charts []Chart `json:"charts,omitempty"`
	// GatewayClass is the class the provider's Gateway uses.
	GatewayClass string `json:"gatewayClass"`
	// Docs is the provider's inference extension guide.
	Docs string `json:"docs,omitempty"`
}

// All returns the catalogue, built afresh on each call so no caller can change another's.
func All() []Provider {
	return []Provider{
		{
			Name:           Istio,
			Title:          "Istio",
			Repo:           "https://istio-release.storage.googleapis.com/charts",
			Namespace:      "istio-system",
			DefaultVersion: "1.29.2",
			Charts: []Chart{
				{Release: "istio-base", Chart: "base"},
				// An environment variable of istiod, so a string.
				{Release: "istiod", Chart: "istiod", Switch: "pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION", SwitchValue: "true"},
			},
			GatewayClass: "istio",
			Docs:         "https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api-inference-extension/",
		},
		{
			Name:           Agentgateway,
			Title:          "Agentgateway",
			Repo:           "oci://cr.agentgateway.dev/charts",
			Namespace:      "agentgateway-system",
			DefaultVersion: "v1.0.0",
			Charts: []Chart{
				{Release: "agentgateway-crds", Chart: "agentgateway-crds"},
				{Release: "agentgateway", Chart: "agentgateway", Switch: "inferenceExtension.enabled", SwitchValue: true},
			},
			GatewayClass: "agentgateway",
			Docs:         "https://agentgateway.dev/docs/kubernetes/latest/inference/",
		},
		{
			Name:           NGINX,
			Title:          "NGINX Gateway Fabric",
			Repo:           "oci://ghcr.io/nginx/charts",
			Namespace:      "nginx-gateway",
			DefaultVersion: "2.6.0",
			Charts: []Chart{
				{Release: "ngf", Chart: "nginx-gateway-fabric", Switch: "nginxGateway.gwAPIInferenceExtension.enable", SwitchValue: true},
			},
			GatewayClass: "nginx",
			Docs:         "https://docs.nginx.com/nginx-gateway-fabric/how-to/gateway-api-inference-extension/",
		},
		{
			Name:         GKE,
			Title:        "GKE Gateway (managed)",
			Managed:      true,
			GatewayClass: GKEGatewayClass,
			Docs:         "https://cloud.google.com/kubernetes-engine/docs/how-to/deploy-gke-inference-gateway",
		},
	}
}

// Names lists the providers, in catalogue order.
func Names() []string {
	var names []string
	for _, p := range All() {
		names = append(names, string(p.Name))
	}
	return names
}

// Lookup returns the provider named name (case-insensitive); the error lists the valid names.
func Lookup(name string) (Provider, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, p := range All() {
		if string(p.Name) == want {
			return p, nil
		}
	}
	if want == "" {
		return Provider{}, fmt.Errorf("no provider given; valid providers: %s", strings.Join(Names(), ", "))
	}
	return Provider{}, fmt.Errorf("unknown provider %q; valid providers: %s", name, strings.Join(Names(), ", "))
}

// Options are what the user chose for an install.
type Options struct {
	// Version is the chart version; empty means the provider's DefaultVersion.
	Version string
	// ChartRepo replaces the provider's Repo (a mirror): "oci://HOST/PATH" or an HTTP(S) chart
	// repository URL. The chart names stay the same.
	ChartRepo string
	// PlainHTTP talks plain HTTP to an OCI registry.
	PlainHTTP bool
	// Values are the user's -f/--set/--set-string values; they go to the chart that has the
	// inference switch (the controller), or to the last chart when none has one.
	Files, Set, SetString []string
}

// Step is one Helm release to install.
type Step struct {
	Release   string
	Namespace string
	Chart     helm.ChartRef
	Values    helm.Values
	// Switch and SwitchValue are the chart's inference extension switch (empty if none).
	Switch      string
	SwitchValue any
}

// Plan returns the releases to install for p, in order. A managed provider has none.
func Plan(p Provider, o Options) ([]Step, error) {
	if p.Managed {
		return nil, nil
	}
	version := strings.TrimSpace(o.Version)
	if version == "" {
		version = p.DefaultVersion
	}
	repo := strings.TrimSuffix(strings.TrimSpace(p.Repo), "/")
	if r := strings.TrimSpace(o.ChartRepo); r != "" {
		if err := ValidateRepo(r); err != nil {
			return nil, err
		}
		repo = strings.TrimSuffix(r, "/")
	}
	userChart := len(p.Charts) - 1
	for i, c := range p.Charts {
		if c.Switch != "" {
			userChart = i
		}
	}
	steps := make([]Step, 0, len(p.Charts))
	for i, c := range p.Charts {
		s := Step{Release: c.Release, Namespace: p.Namespace, Chart: ChartRef(repo, c.Chart, version, o.PlainHTTP),
			Switch: c.Switch, SwitchValue: c.SwitchValue}
		if c.Switch != "" {
			s.Values.Base = SetPath(nil, c.Switch, c.SwitchValue)
		}
		if i == userChart {
			s.Values.Files, s.Values.Set, s.Values.SetString = o.Files, o.Set, o.SetString
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// ChartRef is where chart comes from under repo: "oci://HOST/PATH/CHART", or CHART in the HTTP
// chart repository repo.
func ChartRef(repo, chart, version string, plainHTTP bool) helm.ChartRef {
	repo = strings.TrimSuffix(repo, "/")
	if strings.HasPrefix(repo, "oci://") {
		return helm.ChartRef{Chart: repo + "/" + chart, Version: version, PlainHTTP: plainHTTP}
	}
	return helm.ChartRef{Chart: chart, RepoURL: repo, Version: version}
}

// ValidateRepo checks a --chart-repo value: oci://HOST/PATH or http(s)://HOST/PATH.
func ValidateRepo(repo string) error {
	for _, scheme := range []string{"oci://", "https://", "http://"} {
		if rest, ok := strings.CutPrefix(repo, scheme); ok {
			if rest == "" || strings.HasPrefix(rest, "/") {
				return fmt.Errorf("--chart-repo %q names no host", repo)
			}
			if scheme == "oci://" && strings.ContainsAny(rest, "@") {
				return fmt.Errorf("--chart-repo %q: give the registry path the charts are under, without a tag or digest", repo)
			}
			return nil
		}
	}
	return fmt.Errorf("--chart-repo %q is neither oci://HOST/PATH nor an http(s):// chart repository URL", repo)
}

// SetPath sets the dotted path in m (created when nil) to v and returns m.
func SetPath(m map[string]any, path string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	cur := m
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
	return m
}

// SwitchOn reports whether a merged value of an inference switch turns it on: true, or a string
// that reads as true ("true", "1", "yes", "on"), as the charts and istiod's env parsing take it.
func SwitchOn(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on", "t":
			return true
		}
	case int, int64, float64:
		return fmt.Sprint(x) == "1"
	}
	return false
}

// SwitchWarning checks the merged values of a step: "" when the inference switch is on (or the
// chart has none), else a warning naming the switch and the value the user gave.
func SwitchWarning(p Provider, s Step, merged map[string]any) string {
	if s.Switch == "" {
		return ""
	}
	v, ok := helm.ValuesPath(merged, s.Switch)
	if ok && SwitchOn(v) {
		return ""
	}
	got := "removed it"
	if ok {
		got = fmt.Sprintf("set it to %v", v)
	}
	return fmt.Sprintf("the inference extension is OFF: your values %s for %s (release %s); %s will not serve InferencePools until it is %v",
		got, s.Switch, s.Release, p.Title, s.SwitchValue)
}

// Gateway is the Gateway object igwctl creates for a provider: one HTTP listener on port 80, as
// the inference extension guides' gateway.yaml, labelled as igwctl's.
func Gateway(name, namespace, class string, p Name) map[string]any {
	return map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1",
		"kind":       "Gateway",
		"metadata": map[string]any{
			"name":      name,
			"namespace": namespace,
			"labels": map[string]any{
				ManagedByLabel: ManagedBy,
				ProviderLabel:  string(p),
			},
		},
		"spec": map[string]any{
			"gatewayClassName": class,
			"listeners": []any{
				map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"},
			},
		},
	}
}

// Labels on what igwctl creates outside Helm.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "igwctl"
	ProviderLabel  = "igw.dev/provider"
)

// BBRNote is what a provider means for bbr (igwctl install bbr --provider), "" when nothing needs
// saying.
func BBRNote(p Name) string {
	if p == NGINX {
		return "NGINX Gateway Fabric has no ext_proc hook before route matching: bbr runs, but the gateway does not call it (body-based routing in NGF is a proposal, nginx/nginx-gateway-fabric#5737)"
	}
	return ""
}

// BBRProviders are the values of igwctl install bbr --provider (the chart's provider.name).
func BBRProviders() []string {
	return []string{"none", string(Istio), string(Agentgateway), string(NGINX), string(GKE)}
}
