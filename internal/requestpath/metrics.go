package requestpath

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/modelserver"
)

// metricsSource is where and what the picker scrapes: the metrics port and path (its
// --model-server-metrics-port and -path, the target port and /metrics by default) and the
// flags that rename the metrics it reads.
type metricsSource struct {
	port int32
	path string
	flag func(name string) (string, bool)
}

func (w *poolWalk) metricsSource(target int32) metricsSource {
	var args []string
	if len(w.p.PickerDeployments) > 0 {
		args = diag.PickerArgs(w.p.PickerDeployments[0])
	}
	flag := func(name string) (string, bool) { return diag.FlagValue(args, name) }
	m := metricsSource{port: target, path: "/metrics", flag: flag}
	if v, ok := flag("model-server-metrics-port"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			m.port = int32(n)
		}
	}
	if v, ok := flag("model-server-metrics-path"); ok && v != "" {
		m.path = v
	}
	return m
}

// imageEngines map the engine diagnose reads from an image to a metrics dialect.
var imageEngines = map[string]modelserver.Engine{"vLLM": modelserver.VLLM, "llm-d-inference-sim": modelserver.VLLM,
	"SGLang": modelserver.SGLang, "Triton": modelserver.TritonTRTLLM}

// engineOf is the pod's engine as the picker decides it (its engine-type label), else by its
// image, else by the metrics it serves.
func engineOf(pp diag.PodPath, fams modelserver.Families) modelserver.Engine {
	for _, l := range modelserver.EngineLabels {
		if v := pp.Pod.Labels[l]; v != "" {
			return modelserver.Engine(v)
		}
	}
	if e, ok := imageEngines[pp.Engine]; ok {
		return e
	}
	e, _ := modelserver.Detect(fams)
	return e
}

func (w *poolWalk) metricsStep(name string, m metricsSource, answers []answer) Step {
	var failures, summaries []string
	fix := ""
	answered := 0
	for _, a := range answers {
		if a.err != nil {
			continue
		}
		answered++
		msg, why, summary := checkScrape(a, m)
		if msg != "" {
			failures = append(failures, "pod "+a.pod.Pod.Name+": "+msg)
			fix = or(fix, why)
		} else {
			summaries = append(summaries, a.pod.Pod.Name+": "+summary)
		}
	}
	if answered == 0 {
		return notRun(name, fmt.Sprintf("no pod answered on port %d", m.port))
	}
	if len(failures) > 0 {
		st := failed(name, failures[0], fix)
		st.Notes = failures[1:min(len(failures), 4)]
		return st
	}
	detail := summaries[0]
	switch n := len(summaries) - 1; {
	case n == 1:
		detail += " (and 1 more pod)"
	case n > 1:
		detail += fmt.Sprintf(" (and %d more pods)", n)
	}
	return passed(name, detail)
}

// checkScrape judges one pod's answer: a problem and its fix, or a summary of its numbers.
func checkScrape(a answer, m metricsSource) (problem, fix, summary string) {
	if a.resp.Status != 200 {
		return fmt.Sprintf("GET %s answered %d", m.path, a.resp.Status),
			"serve Prometheus metrics at the path the picker scrapes (its --model-server-metrics-path, /metrics by default)", ""
	}
	fams, err := modelserver.Parse(bytes.NewReader(a.resp.Body))
	if err != nil {
		return fmt.Sprintf("%s: %v", m.path, err), "serve Prometheus text format at " + m.path, ""
	}
	engine := engineOf(a.pod, fams)
	p, err := modelserver.ProtocolOf(engine).Override(m.flag)
	if err != nil {
		return "the picker's metric flags: " + err.Error(), "correct the picker's metric flags", ""
	}
	_, lora := diag.FlagValue(a.pod.Args, "enable-lora")
	r := modelserver.Check(fams, p, lora)
	if len(r.Missing) == 0 {
		return "", "", string(engine) + ", " + r.Summary()
	}
	problem = fmt.Sprintf("%s lacks %s, which the picker reads (engine %s)", m.path, metricNames(r.Missing), engine)
	fix = "run a model server that speaks the picker's metrics protocol, or tell the picker its engine (pod label " + modelserver.EngineLabels[0] + ")"
	if len(r.OldNames) > 0 {
		fix = fmt.Sprintf("the server has the older name %s: upgrade it, or set the picker's --%s=%s", r.OldNames[0], modelserver.FlagKVCache, r.OldNames[0])
	}
	return problem, fix, ""
}

func metricNames(ms []modelserver.Metric) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return strings.Join(out, ", ")
}
