package install

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/igw-dev/igw/config"
)

// DefaultReleaseBaseURL is where upstream publishes release assets.
const DefaultReleaseBaseURL = "https://github.com"

// maxManifestBytes bounds a downloaded manifest: the largest upstream file (Gateway API
// experimental-install.yaml) is under 2 MiB, so 32 MiB is generous and still stops a runaway body.
const maxManifestBytes = 32 << 20

// Fetcher downloads release manifests. The zero value fetches from GitHub; tests point BaseURL at
// an httptest server.
type Fetcher struct {
	BaseURL string
	Client  *http.Client
}

// InferenceURL is the release asset with every CRD of a Gateway API Inference Extension release.
func (f *Fetcher) InferenceURL(version string) string {
	return f.base() + "/kubernetes-sigs/gateway-api-inference-extension/releases/download/" + version + "/manifests.yaml"
}

// GatewayAPIURL is the install manifest of one Gateway API channel.
func (f *Fetcher) GatewayAPIURL(version string, channel GatewayAPI) string {
	return f.base() + "/kubernetes-sigs/gateway-api/releases/download/" + version + "/" + string(channel) + "-install.yaml"
}

func (f *Fetcher) base() string {
	if f.BaseURL == "" {
		return DefaultReleaseBaseURL
	}
	return strings.TrimSuffix(f.BaseURL, "/")
}

func (f *Fetcher) get(ctx context.Context, url string) ([]byte, error) {
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w (without network access, leave out --from-release to use the embedded CRDs)", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusNotFound {
			hint = " (is the version a published release tag?)"
		}
		return nil, fmt.Errorf("downloading %s: %s%s", url, resp.Status, hint)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", url, err)
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("downloading %s: larger than %d bytes; not a manifest", url, maxManifestBytes)
	}
	return data, nil
}

// releaseSets maps the inference CRDs a release may hold to the sets igwctl knows. Other CRDs in a
// release (InferencePoolImport, InferenceModelRewrite, the alpha InferencePool) are left out, as
// they are without --from-release.
var releaseSets = map[string]config.Set{
	"inferencepools.inference.networking.k8s.io":        config.InferenceV1,
	"inferenceobjectives.inference.networking.x-k8s.io": config.XObjective,
	"inferenceobjectives.llm-d.ai":                      config.LLMDObjective,
}

// LoadFromRelease downloads the selected CRDs: the InferencePool and InferenceObjective CRDs of
// the inference extension release sel.InferenceVersion, and the Gateway API channel of the
// embedded Gateway API version. Like LoadEmbedded it also returns what it leaves out.
func LoadFromRelease(ctx context.Context, f *Fetcher, sel Selection) (crds []CRD, skipped []string, err error) {
	if sel.GatewayAPI != GatewayAPINone {
		set := config.GatewayAPIStandard
		if sel.GatewayAPI == GatewayAPIExperimental {
			set = config.GatewayAPIExperimental
		}
		url := f.GatewayAPIURL(config.GatewayAPIVersion(), sel.GatewayAPI)
		data, err := f.get(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		objs, other, err := decodeManifests(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", url, err)
		}
		skipped = append(skipped, other...)
		for _, obj := range objs {
			c, err := newCRD(obj, set, url, config.GatewayAPIVersion())
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", url, err)
			}
			crds = append(crds, c)
		}
	}

	url := f.InferenceURL(sel.InferenceVersion)
	data, err := f.get(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	objs, other, err := decodeManifests(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", url, err)
	}
	skipped = append(skipped, other...)
	wanted := map[config.Set]bool{config.InferenceV1: true}
	for _, set := range sel.objectiveSets() {
		wanted[set] = true
	}
	found := map[config.Set]bool{}
	var inference []CRD
	for _, obj := range objs {
		set, known := releaseSets[obj.GetName()]
		isObjective := set == config.XObjective || set == config.LLMDObjective
		if !known || !(wanted[set] || isObjective && sel.ObjectiveFromRelease) {
			skipped = append(skipped, "CustomResourceDefinition/"+obj.GetName())
			continue
		}
		c, err := newCRD(obj, set, url, sel.InferenceVersion)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", url, err)
		}
		found[set] = true
		inference = append(inference, c)
	}
	if !found[config.InferenceV1] {
		return nil, nil, fmt.Errorf("%s has no InferencePool v1 CRD (inferencepools.inference.networking.k8s.io); "+
			"igwctl installs releases from v1.0.0 on", url)
	}
	if !sel.ObjectiveFromRelease {
		for _, set := range sel.objectiveSets() {
			if !found[set] {
				return nil, nil, fmt.Errorf("release %s does not ship the %s InferenceObjective CRD (%s); %s",
					sel.InferenceVersion, set, setCRDName(set), objectiveHint(found))
			}
		}
	}
	// The InferencePool first, then objectives in a stable order, as LoadEmbedded orders them.
	sort.SliceStable(inference, func(i, j int) bool {
		return inference[i].Set == config.InferenceV1 && inference[j].Set != config.InferenceV1
	})
	return append(crds, inference...), skipped, nil
}

func setCRDName(set config.Set) string {
	for name, s := range releaseSets {
		if s == set {
			return name
		}
	}
	return string(set)
}

// objectiveHint says which --objective-group values the release can satisfy.
func objectiveHint(found map[config.Set]bool) string {
	switch {
	case found[config.XObjective] && found[config.LLMDObjective]:
		return "use --objective-group llm-d, x-k8s, both or none"
	case found[config.XObjective]:
		return "use --objective-group x-k8s or none"
	case found[config.LLMDObjective]:
		return "use --objective-group llm-d or none"
	}
	return "use --objective-group none, or leave out --from-release to install the embedded objective CRDs " +
		"(from v1.6.0 on, InferenceObjective ships with llm-d-router, not the inference extension)"
}
