package diagnose

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/igw-dev/igw/api"
)

// Versions and switches: the CRDs' bundle versions and channels, and each provider's inference
// support as its controller Deployment shows it.

const (
	channelAnnotation = "gateway.networking.k8s.io/channel"
	// The environment variables and flag that turn inference support on in each provider's
	// controller, as their charts render them.
	istioSwitch       = "ENABLE_GATEWAY_API_INFERENCE_EXTENSION"
	istioOldSwitch    = "SUPPORT_GATEWAY_API_INFERENCE_EXTENSION"
	istioAlphaSwitch  = "PILOT_ENABLE_ALPHA_GATEWAY_API"
	agwSwitch         = "AGW_ENABLE_INFER_EXT"
	kgwSwitch         = "KGW_ENABLE_INFER_EXT"
	ngfSwitch         = "gateway-api-inference-extension"
	ngfExperimentFlag = "gateway-api-experimental-features"
)

// testedWith lists, per provider version, the inference extension release that version passed the
// upstream conformance suite with (conformance/reports); a provider from that version on expects
// at least that release's CRDs. Rows of one provider are in ascending order.
var testedWith = []struct {
	provider provider
	from     string
	bundle   string
}{
	{istio, "1.28.0", "v1.0.0"}, // 1.28 serves only the v1 InferencePool
	{istio, "1.30.0", "v1.5.0"},
	{agentgateway, "1.0.0", "v1.4.0"},
	{nginx, "2.2.0", "v1.0.0"},
	{nginx, "2.3.0", "v1.1.0"},
	{nginx, "2.5.0", "v1.4.0"},
	{nginx, "2.6.0", "v1.5.0"},
}

// expectedBundle returns the oldest bundle a provider at image tag expects, "" when unknown.
func expectedBundle(p provider, tag string) string {
	v, err := version.ParseGeneric(tag)
	if err != nil {
		return ""
	}
	want := ""
	for _, t := range testedWith {
		if t.provider == p && !v.LessThan(version.MustParseGeneric(t.from)) {
			want = t.bundle
		}
	}
	return want
}

func versionChecks() []Check {
	return []Check{
		{ID: "version.bundle-older", Code: CRDBundleOlderThanProvider, Severity: Warning, Kinds: []string{"CustomResourceDefinition", "Deployment"},
			Title: "InferencePool CRD older than the provider's version expects",
			Doc: "The InferencePool CRD's bundle version (annotation " + api.BundleVersionAnnotation + ") is older than the " +
				"inference extension release the provider's version passed conformance with, so fields it reads may be " +
				"missing or pruned. Read from the CRD and the provider's controller image tag: live, or offline when " +
				"the files hold both.",
			Fix: "install the newer CRDs: igwctl install crds (or the provider's guide's release)",
			Run: runBundleOlder},
		{ID: "version.bundle-mixed", Code: CRDBundleMixed, Severity: Warning, Kinds: []string{"CustomResourceDefinition"},
			Title: "inference CRDs from different releases",
			Doc: "The inference extension's CRDs carry the release that installed them; a mix means a partial upgrade, " +
				"and the upstream conformance suite refuses to run on it. Live, or offline from CRDs in the files.",
			Fix: "install every inference CRD from one release: igwctl install crds",
			Run: runBundleMixed},
		{ID: "version.channel", Code: GatewayAPIChannelMismatch, Severity: Error, Kinds: []string{"CustomResourceDefinition", "Deployment"},
			Title: "the provider runs experimental Gateway API features on standard-channel CRDs",
			Doc: "NGINX Gateway Fabric with experimental features on (its --gateway-api-experimental-features argument) " +
				"and istiod with " + istioAlphaSwitch + " read experimental-channel kinds and fields; on the standard " +
				"channel's CRDs those are missing (NGF does not start). Read from the CRDs' channel annotation and the " +
				"controller's Deployment.",
			Fix: "install the experimental channel (igwctl install crds --gateway-api experimental), or turn the provider's experimental features off",
			Run: runChannel},
		{ID: "version.channel-gke", Code: GatewayAPIExperimentalOnGKE, Severity: Warning, Kinds: []string{"CustomResourceDefinition", kindGateway},
			Title: "GKE Gateways with experimental-channel Gateway API CRDs",
			Doc: "GKE installs and manages the standard channel (its experimental channel setting is deprecated); " +
				"experimental CRDs installed by hand are not what GKE's controller is tested with and may be replaced. " +
				"Read from the CRDs' channel annotation when GKE Gateways are in the snapshot.",
			Fix: "use GKE's managed standard channel: gcloud container clusters update CLUSTER --gateway-api=standard, and do not install Gateway API CRDs yourself",
			Run: runChannelGKE},
		{ID: "version.istio-switch", Code: IstioInferenceOff, Severity: Error, Kinds: []string{"Deployment"},
			Title: "istiod runs without " + istioSwitch,
			Doc: "Istio supports InferencePool only with istiod's environment variable " + istioSwitch + "=true; without " +
				"it routes to pools are InvalidKind and pools get no status. Reported when istiod's Deployment is in " +
				"the snapshot with inference objects.",
			Fix: "reinstall istiod with pilot.env." + istioSwitch + "=true (igwctl install provider istio sets it; istioctl install --set values.pilot.env." + istioSwitch + "=true)",
			Run: runIstioSwitch},
		{ID: "version.agentgateway-switch", Code: AgentgatewayInferenceOff, Severity: Error, Kinds: []string{"Deployment"},
			Title: "the agentgateway controller runs without inference support",
			Doc: "The agentgateway chart's inferenceExtension.enabled=true sets " + agwSwitch + "=true on the controller " +
				"(kgateway: " + kgwSwitch + "); without it InferencePool backends are not supported. Reported when the " +
				"controller's Deployment is in the snapshot with inference objects.",
			Fix: "upgrade the agentgateway release with inferenceExtension.enabled=true (igwctl install provider agentgateway sets it)",
			Run: runAgentgatewaySwitch},
		{ID: "version.nginx-switch", Code: NGINXInferenceOff, Severity: Error, Kinds: []string{"Deployment"},
			Title: "NGINX Gateway Fabric runs without its inference extension argument",
			Doc: "NGINX Gateway Fabric reads InferencePools only with its --gateway-api-inference-extension argument " +
				"(Helm value nginxGateway.gwAPIInferenceExtension.enable=true). Reported when its controller's " +
				"Deployment is in the snapshot with inference objects.",
			Fix: "upgrade the release with nginxGateway.gwAPIInferenceExtension.enable=true (igwctl install provider nginx sets it)",
			Run: runNGINXSwitch},
		{ID: "version.alpha-pool", Code: LegacyAlphaPool, Severity: Warning, Kinds: []string{kindPool},
			Title: "InferencePool in the removed alpha API",
			Doc: "inference.networking.x-k8s.io/v1alpha2 InferencePools were removed in release v1.5.0, and Istio 1.28 " +
				"and later serve only v1. Offline and live.",
			Fix: "convert to inference.networking.k8s.io/v1 (igwctl convert -f FILE) and point routes at group inference.networking.k8s.io",
			Run: runAlphaPool},
		{ID: "version.experimental-kind", Code: ExperimentalKindOnStandard, Severity: Error, Kinds: []string{"CustomResourceDefinition"},
			Title: "experimental-only Gateway API kind with standard-channel CRDs",
			Doc: "Kinds in " + groupGatewayX + " (XBackendTrafficPolicy, XMesh, ...) exist only in the experimental " +
				"channel; with the standard channel installed the API server has no such resource. Read from the " +
				"CRDs' channel annotation.",
			Fix: "install the experimental channel (igwctl install crds --gateway-api experimental), or drop the object",
			Run: runExperimentalKind},
	}
}

func runBundleOlder(s *Snapshot, r *Report) {
	ix := s.index()
	crd := ix.crds[poolCRDName]
	if crd == nil {
		return
	}
	have := crd.GetAnnotations()[api.BundleVersionAnnotation]
	hv, err := version.ParseGeneric(have)
	if err != nil {
		return
	}
	for _, c := range ix.controllers() {
		want := expectedBundle(c.provider, imageTag(c.c.Image))
		if want != "" && hv.LessThan(version.MustParseGeneric(want)) {
			r.Add(crd, fmt.Sprintf("bundle version %s is older than %s, which %s %s (Deployment %s/%s) was tested with",
				have, want, c.provider, imageTag(c.c.Image), c.w.u.GetNamespace(), c.w.u.GetName()), "")
		}
	}
}

func runBundleMixed(s *Snapshot, r *Report) {
	ix := s.index()
	ref := ix.crds[poolCRDName]
	if ref == nil {
		return
	}
	want := ref.GetAnnotations()[api.BundleVersionAnnotation]
	for _, name := range sortedNames(ix.crds) {
		crd := ix.crds[name]
		if !strings.HasSuffix(name, "."+groupPool) && !strings.HasSuffix(name, "."+groupAlpha) {
			continue
		}
		if v := crd.GetAnnotations()[api.BundleVersionAnnotation]; v != "" && want != "" && v != want {
			r.Add(crd, fmt.Sprintf("bundle version %s, but %s is %s: the inference CRDs come from different releases", v, poolCRDName, want), "")
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// channel returns the Gateway API channel of the CRDs in the snapshot, "" when none says. The
// Gateways CRD decides when it says: a cluster holds every CRD of a channel, and when someone
// replaced only some, the Gateways CRD is the one every provider reads.
func (ix *index) channel() string {
	if gw := ix.crds["gateways."+groupGateway]; gw != nil && gw.GetAnnotations()[channelAnnotation] != "" {
		return gw.GetAnnotations()[channelAnnotation]
	}
	for _, name := range sortedNames(ix.crds) {
		if strings.HasSuffix(name, "."+groupGateway) {
			if c := ix.crds[name].GetAnnotations()[channelAnnotation]; c != "" {
				return c
			}
		}
	}
	return ""
}

func runChannel(s *Snapshot, r *Report) {
	ix := s.index()
	if ix.channel() != "standard" {
		return
	}
	for _, c := range ix.controllers() {
		switch {
		case c.provider == nginx && boolFlag(command(c.c), ngfExperimentFlag, false):
			r.Add(c.w.u, "NGINX Gateway Fabric runs with --gateway-api-experimental-features, but the Gateway API CRDs are the standard channel", "")
		case c.provider == istio && envOn(c.c, istioAlphaSwitch):
			r.Add(c.w.u, "istiod runs with "+istioAlphaSwitch+"=true, but the Gateway API CRDs are the standard channel", "")
		}
	}
}

func runChannelGKE(s *Snapshot, r *Report) {
	ix := s.index()
	if ix.channel() != "experimental" {
		return
	}
	for _, gw := range ix.gatewayList {
		if ix.providerOf(gw) == gke {
			r.Add(gw.u, "is a GKE Gateway, and the Gateway API CRDs are the experimental channel; GKE manages the standard channel", "")
			return
		}
	}
}

// envOn reads a boolean environment variable as istiod and the charts parse it.
func envOn(c corev1.Container, name string) bool {
	v, ok := env(c, name)
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on", "t":
		return true
	}
	return false
}

func runIstioSwitch(s *Snapshot, r *Report) {
	ix := s.index()
	if !ix.usesInference() {
		return
	}
	for _, c := range ix.controllers() {
		if c.provider != istio || envOn(c.c, istioSwitch) {
			continue
		}
		msg := "istiod runs without " + istioSwitch + "=true, so Istio Gateways do not route to InferencePools"
		if _, old := env(c.c, istioOldSwitch); old {
			msg += " (it sets the old name " + istioOldSwitch + ", which Istio 1.28 and later do not read)"
		}
		r.Add(c.w.u, msg, "")
	}
}

func runAgentgatewaySwitch(s *Snapshot, r *Report) {
	ix := s.index()
	if !ix.usesInference() {
		return
	}
	for _, c := range ix.controllers() {
		if c.provider == agentgateway && !envOn(c.c, agwSwitch) && !envOn(c.c, kgwSwitch) {
			r.Add(c.w.u, "the agentgateway controller runs without "+agwSwitch+"=true (chart value inferenceExtension.enabled), so it does not route to InferencePools", "")
		}
	}
}

func runNGINXSwitch(s *Snapshot, r *Report) {
	ix := s.index()
	if !ix.usesInference() {
		return
	}
	for _, c := range ix.controllers() {
		if c.provider == nginx && !boolFlag(command(c.c), ngfSwitch, false) {
			r.Add(c.w.u, "NGINX Gateway Fabric runs without --gateway-api-inference-extension, so it does not route to InferencePools", "")
		}
	}
}

func runAlphaPool(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		if p.alpha {
			r.Add(p.u, "uses the alpha API "+groupAlpha+"/v1alpha2, removed in release v1.5.0", "")
		}
	}
}

func runExperimentalKind(s *Snapshot, r *Report) {
	ix := s.index()
	if ix.channel() != "standard" {
		return
	}
	for _, u := range s.Objects {
		if u.GroupVersionKind().Group == groupGatewayX {
			r.Add(u, fmt.Sprintf("%s exists only in the experimental Gateway API channel, and the installed CRDs are the standard channel", u.GetKind()), "")
		}
	}
}
