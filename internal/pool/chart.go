// Package pool is what `igwctl install pool` and `igwctl uninstall pool` do beyond flags and
// printing: which upstream chart serves an inference release and with which values, the
// HTTPRoute and InferenceObjectives igwctl adds next to the release, the checks before
// installing, and whether the pool is ready afterwards.
package pool

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/providers"
)

// Generation is one family of endpoint picker charts. The 2026 split moved the picker out of the
// Gateway API Inference Extension into llm-d-router, with a new chart whose value paths differ.
type Generation string

const (
	// Router is llm-d-router's gateway-mode chart, for inference releases from v1.6.0 on.
	Router Generation = "llm-d-router"
	// GIE is the Gateway API Inference Extension's own inferencepool chart, up to v1.5.
	GIE Generation = "gateway-api-inference-extension"
)

// Chart is where a generation's chart is published.
type Chart struct {
	// Repo is the OCI registry path the chart is pushed under.
	Repo string `json:"repo"`
	// Name is the chart's name there and in Chart.yaml.
	Name string `json:"name"`
	// Version is the chart version installed without --version.
	Version string `json:"version"`
}

// Ref is the chart as helm fetches it, from repo when not empty (a mirror: oci://HOST/PATH or an
// HTTP chart repository), else from its own registry.
func (c Chart) Ref(repo, version string, plainHTTP bool) helm.ChartRef {
	if repo == "" {
		repo = c.Repo
	}
	if version == "" {
		version = c.Version
	}
	return providers.ChartRef(repo, c.Name, version, plainHTTP)
}

// RouterChartVersion is the llm-d-router release whose chart igwctl installs by default: the
// newest at the time of writing (v0.10.0, 2026-08-17).
const RouterChartVersion = "v0.10.0"

// firstRouterRelease is the first inference release whose picker lives in llm-d-router;
// firstV1Release the first with the v1 InferencePool that igwctl installs.
var (
	firstRouterRelease = version.MustParseSemantic("v1.6.0")
	firstV1Release     = version.MustParseSemantic("v1.0.0")
)

// GenerationOf is the chart generation for an inference release tag ("v1.5.0").
func GenerationOf(inferenceVersion string) (Generation, error) {
	v, err := version.ParseSemantic(inferenceVersion)
	if err != nil {
		return "", fmt.Errorf("--inference-version %q is not a release tag like v1.6.0: %v", inferenceVersion, err)
	}
	switch {
	case v.LessThan(firstV1Release):
		return "", fmt.Errorf("--inference-version %s has only the alpha InferencePool; igwctl installs pools from v1.0.0 on (igwctl convert rewrites alpha manifests)", inferenceVersion)
	case v.LessThan(firstRouterRelease):
		return GIE, nil
	}
	return Router, nil
}

// ChartFor is the chart of a generation. The inference extension published its chart with each
// release under the release's tag, so an older release gets the chart of that very release.
func ChartFor(g Generation, inferenceVersion string) Chart {
	if g == GIE {
		return Chart{Repo: "oci://registry.k8s.io/gateway-api-inference-extension/charts", Name: "inferencepool", Version: inferenceVersion}
	}
	return Chart{Repo: "oci://ghcr.io/llm-d/charts", Name: "llm-d-router-gateway", Version: RouterChartVersion}
}

// ChartNames are the charts an igwctl pool release may hold.
func ChartNames() []string { return []string{"llm-d-router-gateway", "inferencepool"} }

// PickerName is the name the charts give the picker's Deployment and Service: the release name
// cut to 40 characters, then "-epp".
func PickerName(release string) string {
	if len(release) > 40 {
		release = release[:40]
	}
	return release + "-epp"
}

// ReleaseDescription is what igwctl records with each revision of a pool release, so uninstall
// can tell its releases from others'.
const ReleaseDescription = "installed by igwctl install pool"

// OwnRelease reports whether a release is igwctl's: one of the pool charts, with igwctl's
// description on its last revision.
func OwnRelease(chart, description string) bool {
	return (chart == "llm-d-router-gateway" || chart == "inferencepool") && description == ReleaseDescription
}
