// Package config carries the manifests igw installs, built into the binary so installing needs no
// network: the inference CRDs generated from api/ (crd/) and the Gateway API CRDs of the pinned
// release (gateway-api/). hack/generate.sh writes both directories.
package config

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed crd gateway-api
var files embed.FS

// Set names a group of manifests that are installed together.
type Set string

const (
	// InferenceV1 is the InferencePool CRD, inference.networking.k8s.io/v1.
	InferenceV1 Set = "inference-v1"
	// XObjective is the InferenceObjective CRD, inference.networking.x-k8s.io/v1alpha2.
	XObjective Set = "x-k8s-objective"
	// LLMDObjective is the InferenceObjective CRD, llm-d.ai/v1alpha2.
	LLMDObjective Set = "llm-d-objective"
	// AlphaPool is the legacy InferencePool CRD, inference.networking.x-k8s.io/v1alpha2.
	AlphaPool Set = "alpha-pool"
	// GatewayAPIStandard is the standard channel of Gateway API.
	GatewayAPIStandard Set = "gateway-api-standard"
	// GatewayAPIExperimental is the experimental channel of Gateway API (a superset of standard).
	GatewayAPIExperimental Set = "gateway-api-experimental"
)

// Sets lists every Set, in a stable order.
func Sets() []Set {
	return []Set{InferenceV1, XObjective, LLMDObjective, AlphaPool, GatewayAPIStandard, GatewayAPIExperimental}
}

// locations gives each set a directory and, for the inference sets, the one file in it.
var locations = map[Set][2]string{
	InferenceV1:            {"crd", "inference.networking.k8s.io_inferencepools.yaml"},
	XObjective:             {"crd", "inference.networking.x-k8s.io_inferenceobjectives.yaml"},
	LLMDObjective:          {"crd", "llm-d.ai_inferenceobjectives.yaml"},
	AlphaPool:              {"crd", "inference.networking.x-k8s.io_inferencepools.yaml"},
	GatewayAPIStandard:     {"gateway-api/standard", ""},
	GatewayAPIExperimental: {"gateway-api/experimental", ""},
}

// File is one manifest: its path inside the embedded tree (e.g.
// "gateway-api/standard/gateway.networking.k8s.io_gateways.yaml") and its bytes, which may hold
// more than one YAML document.
type File struct {
	Name string
	Data []byte
}

// Files returns the manifests of a set, sorted by name. The Gateway API sets hold every manifest
// of the channel as upstream ships it, which includes a ValidatingAdmissionPolicy and its binding
// beside the CRDs.
func Files(set Set) ([]File, error) {
	loc, ok := locations[set]
	if !ok {
		return nil, fmt.Errorf("unknown manifest set %q (known: %s)", set, setNames())
	}
	dir, name := loc[0], loc[1]
	var names []string
	if name != "" {
		names = []string{path.Join(dir, name)}
	} else {
		entries, err := fs.ReadDir(files, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
				names = append(names, path.Join(dir, e.Name()))
			}
		}
		sort.Strings(names)
	}
	out := make([]File, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: n, Data: data})
	}
	return out, nil
}

// GatewayAPIVersion is the Gateway API release the gateway-api sets come from, e.g. "v1.6.3".
func GatewayAPIVersion() string {
	data, err := files.ReadFile("gateway-api/VERSION")
	if err != nil {
		panic("config: gateway-api/VERSION is not embedded: " + err.Error())
	}
	return strings.TrimSpace(string(data))
}

// FS is the embedded tree, for callers that want to walk it themselves.
func FS() fs.FS { return files }

func setNames() string {
	var s []string
	for _, set := range Sets() {
		s = append(s, string(set))
	}
	return strings.Join(s, ", ")
}
