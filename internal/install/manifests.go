package install

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/config"
)

// The annotations Gateway API puts on its CRDs: the release, and the channel (standard or
// experimental) it belongs to.
const (
	GatewayAPIBundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version"
	GatewayAPIChannelAnnotation       = "gateway.networking.k8s.io/channel"
)

// CRD is one CustomResourceDefinition to install or remove, with what the safety checks need.
type CRD struct {
	Name  string     `json:"name"`
	Group string     `json:"group"`
	Kind  string     `json:"kind"`
	Set   config.Set `json:"set"`
	// Source is where the manifest came from: "embedded" or the release URL.
	Source string `json:"source"`
	// VersionAnnotation is the annotation that records which release installed the CRD: the
	// inference extension's or Gateway API's.
	VersionAnnotation string `json:"-"`
	// BundleVersion is the release this manifest belongs to (its annotation, else the release it
	// was fetched from).
	BundleVersion string `json:"bundleVersion,omitempty"`
	// Channel is the Gateway API channel; empty for the inference CRDs.
	Channel string `json:"channel,omitempty"`
	// Object is the manifest as applied.
	Object *unstructured.Unstructured `json:"-"`
}

// IsGatewayAPI tells a Gateway API CRD from an inference one.
func (c *CRD) IsGatewayAPI() bool {
	return c.Set == config.GatewayAPIStandard || c.Set == config.GatewayAPIExperimental
}

// LoadEmbedded returns the CRDs of the selected sets from the manifests built into igwctl, and the
// other objects those manifests hold, which are not installed (see SkipNote).
func LoadEmbedded(sel Selection) (crds []CRD, skipped []string, err error) {
	seen := map[string]bool{}
	for _, set := range sel.Sets() {
		files, err := config.Files(set)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			objs, other, err := decodeManifests(f.Data)
			if err != nil {
				return nil, nil, fmt.Errorf("embedded %s: %w", f.Name, err)
			}
			skipped = append(skipped, other...)
			for _, obj := range objs {
				c, err := newCRD(obj, set, "embedded", defaultVersion(set))
				if err != nil {
					return nil, nil, fmt.Errorf("embedded %s: %w", f.Name, err)
				}
				if !seen[c.Name] {
					seen[c.Name] = true
					crds = append(crds, c)
				}
			}
		}
	}
	return crds, skipped, nil
}

func defaultVersion(set config.Set) string {
	if set == config.GatewayAPIStandard || set == config.GatewayAPIExperimental {
		return config.GatewayAPIVersion()
	}
	return api.BundleVersion
}

// decodeManifests splits a multi-document YAML (or JSON) stream into its CRDs and names the other
// objects it holds, as "Kind/name".
func decodeManifests(data []byte) (crds []*unstructured.Unstructured, other []string, err error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return crds, other, nil
		}
		if err != nil {
			return nil, nil, err
		}
		obj := map[string]any{}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, nil, err
		}
		if len(obj) == 0 {
			continue // an empty document between two "---"
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() != "CustomResourceDefinition" {
			other = append(other, u.GetKind()+"/"+u.GetName())
			continue
		}
		if u.GetAPIVersion() != "apiextensions.k8s.io/v1" {
			return nil, nil, fmt.Errorf("CustomResourceDefinition %s is %s; only apiextensions.k8s.io/v1 is supported", u.GetName(), u.GetAPIVersion())
		}
		crds = append(crds, u)
	}
}

// newCRD describes one decoded CRD. Fields the server owns (status, creationTimestamp) are
// dropped: applying them would either fail or make igwctl claim them.
func newCRD(obj *unstructured.Unstructured, set config.Set, source, fallbackVersion string) (CRD, error) {
	obj = obj.DeepCopy()
	delete(obj.Object, "status")
	unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
	group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
	if obj.GetName() == "" || group == "" || kind == "" {
		return CRD{}, fmt.Errorf("CustomResourceDefinition %q lacks metadata.name, spec.group or spec.names.kind", obj.GetName())
	}
	c := CRD{Name: obj.GetName(), Group: group, Kind: kind, Set: set, Source: source, Object: obj,
		VersionAnnotation: api.BundleVersionAnnotation}
	if c.IsGatewayAPI() {
		c.VersionAnnotation = GatewayAPIBundleVersionAnnotation
		c.Channel = obj.GetAnnotations()[GatewayAPIChannelAnnotation]
	}
	c.BundleVersion = obj.GetAnnotations()[c.VersionAnnotation]
	if c.BundleVersion == "" {
		c.BundleVersion = fallbackVersion
	}
	return c, nil
}

// SkipNote explains, for stderr, why some objects of the manifests are not installed; "" when
// there are none.
func SkipNote(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return fmt.Sprintf("note: leaving out %d object(s) of the manifests: %s (igwctl installs only the CRDs it selects, "+
		"and checks Gateway API versions and channels itself instead of installing its safe-upgrades admission policy)",
		len(skipped), strings.Join(skipped, ", "))
}
