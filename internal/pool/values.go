package pool

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/providers"
)

// Failure modes of an InferencePool's endpointPickerRef, as the CRD spells them (llm-d-router's
// chart README writes "FailClosed", which the CRD would reject).
const (
	FailClose = "FailClose"
	FailOpen  = "FailOpen"
)

// Engines are the model servers both charts know (modelServerType / router.modelServers.type).
func Engines() []string { return []string{"vllm", "sglang", "trtllm-serve", "triton-tensorrt-llm"} }

// Spec is the pool the flags describe.
type Spec struct {
	Name           string
	Namespace      string
	Selector       map[string]string
	TargetPorts    []int
	Engine         string
	Provider       string // istio, gke, agentgateway, nginx or none
	PickerReplicas int
	FailureMode    string
}

// Setting is one chart value a flag makes.
type Setting struct {
	Flag  string `json:"flag"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// paths are each generation's value path per flag.
var paths = map[Generation]map[string]string{
	Router: {
		"selector":        "router.modelServers.matchLabels",
		"target-port":     "router.modelServers.targetPorts",
		"engine":          "router.modelServers.type",
		"picker-replicas": "router.epp.replicas",
		"failure-mode":    "router.inferencePool.failureMode",
		"provider":        "provider.name",
	},
	GIE: {
		"selector":        "inferencePool.modelServers.matchLabels",
		"target-port":     "inferencePool.targetPorts",
		"engine":          "inferencePool.modelServerType",
		"picker-replicas": "inferenceExtension.replicas",
		"failure-mode":    "inferenceExtension.failureMode",
		"provider":        "provider.name",
	},
}

// Path is the value path of a flag's setting in generation g.
func Path(g Generation, flag string) string { return paths[g][flag] }

// Settings are the chart values of s for generation g, in flag order. Both charts know provider
// names none, gke and istio only: Agentgateway and NGINX Gateway Fabric need no glue (none).
func (s Spec) Settings(g Generation) []Setting {
	ports := make([]any, len(s.TargetPorts))
	for i, p := range s.TargetPorts {
		ports[i] = map[string]any{"number": int64(p)}
	}
	labels := map[string]any{}
	for k, v := range s.Selector {
		labels[k] = v
	}
	out := []Setting{
		{Flag: "selector", Value: labels},
		{Flag: "target-port", Value: ports},
		{Flag: "engine", Value: s.Engine},
		{Flag: "picker-replicas", Value: int64(s.PickerReplicas)},
		{Flag: "failure-mode", Value: s.FailureMode},
		{Flag: "provider", Value: ChartProvider(s.Provider)},
	}
	for i := range out {
		out[i].Path = paths[g][out[i].Flag]
	}
	return out
}

// ChartProvider is the chart's provider.name for a gateway provider.
func ChartProvider(p string) string {
	switch providers.Name(p) {
	case providers.Istio, providers.GKE:
		return p
	}
	return "none"
}

// Values splits the settings as the other install commands do: a flag the user gave wins over
// -f and --set (Override); a default only fills in what they leave out (Base). The failure mode
// is always explicit: the charts default to FailOpen, the API to FailClose, and igwctl means
// the API's.
func Values(g Generation, s Spec, given func(flag string) bool, files, set, setString []string) helm.Values {
	v := helm.Values{Files: files, Set: set, SetString: setString, Base: map[string]any{}, Override: map[string]any{}}
	for _, st := range s.Settings(g) {
		target := v.Base
		if st.Flag == "selector" || st.Flag == "failure-mode" || given(st.Flag) {
			target = v.Override
		}
		providers.SetPath(target, st.Path, st.Value)
	}
	return v
}

// legacy maps the top-level keys of the inference extension's chart to what llm-d-router's chart
// took them as; that chart refuses to render with them.
var legacy = map[string]string{
	"inferenceExtension":    "router.epp.*, router.monitoring.*, router.tracing.*, router.latencyPredictor.*",
	"inferencePool":         "router.modelServers.* (matchLabels, type, targetPorts) and router.inferencePool.* (failureMode)",
	"inferenceObjectives":   "router.inferenceObjectives (or igwctl's --objective)",
	"experimentalHttpRoute": "httpRoute (or igwctl's --route)",
}

// routerOnly are top-level keys only llm-d-router's chart reads; the old chart would ignore them
// without a word.
var routerOnly = map[string]string{
	"router":    "inferenceExtension.* and inferencePool.*",
	"httpRoute": "experimentalHttpRoute (or igwctl's --route)",
}

// CheckKeys refuses merged values written for the other generation's chart, naming each key
// and where it goes, before anything is fetched or installed.
func CheckKeys(g Generation, merged map[string]any) error {
	wrong, other := legacy, "the inference extension's inferencepool chart (v1.5 and older)"
	if g == GIE {
		wrong, other = routerOnly, "llm-d-router's chart (v1.6 and later)"
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(wrong)) {
		if _, ok := merged[k]; ok {
			problems = append(problems, fmt.Sprintf("%s (here: %s)", k, wrong[k]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("your values (-f/--set) use keys of %s, which the %s chart does not take: %s; "+
		"rename them, or choose the generation they were written for with --inference-version", other, g, strings.Join(problems, "; "))
}

// Effective reads what the merged values set for a flag in generation g, as the chart will see it.
func Effective(g Generation, merged map[string]any, flag string) (any, bool) {
	return helm.ValuesPath(merged, paths[g][flag])
}

// FailureMeaning says what a failure mode does to requests while the picker is down.
func FailureMeaning(mode string) string {
	if mode == FailOpen {
		return "FailOpen: while the endpoint picker is down, requests go to some pod of the pool, unpicked"
	}
	return "FailClose: while the endpoint picker is down, requests to the pool fail"
}
