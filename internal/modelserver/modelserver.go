// Package modelserver knows the model server protocol the endpoint picker relies on: the
// Prometheus metrics each engine (vLLM, SGLang, TensorRT-LLM) exposes for its waiting queue,
// running requests, KV-cache utilisation and LoRA adapters, how to parse a scrape, and which of
// them a scrape lacks. The names are the picker's defaults per engine (llm-d-router's engine
// configs, GIE's model server protocol proposal); a picker's own metric flags override them.
package modelserver

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Engine is a metrics dialect, named as the picker's engine-type label values name it.
type Engine string

// The engines whose metrics the picker knows.
const (
	VLLM         Engine = "vllm"
	SGLang       Engine = "sglang"
	TRTLLMServe  Engine = "trtllm-serve"
	TritonTRTLLM Engine = "triton-tensorrt-llm"
)

// Engines are every known engine, vLLM (the picker's default) first.
func Engines() []Engine { return []Engine{VLLM, SGLang, TRTLLMServe, TritonTRTLLM} }

// EngineLabels are the pod labels the picker reads a pod's engine from: llm-d-router's, then the
// inference extension's (v1.4, v1.5).
var EngineLabels = []string{"llm-d.ai/engine-type", "inference.networking.k8s.io/engine-type"}

// Metric selects series: a family name and label values, written name{label=value,...} as the
// picker's metric flags take it.
type Metric struct {
	Name   string
	Labels map[string]string
}

func (m Metric) String() string {
	if len(m.Labels) == 0 {
		return m.Name
	}
	var parts []string
	for k, v := range m.Labels {
		parts = append(parts, k+"="+v)
	}
	return m.Name + "{" + strings.Join(sortStrings(parts), ",") + "}"
}

var specForm = regexp.MustCompile(`^\s*([^{}\s]+)\s*(?:\{([^}]*)\})?\s*$`)

// ParseMetric reads name or name{label=value,label2="value"}.
func ParseMetric(s string) (Metric, error) {
	m := specForm.FindStringSubmatch(s)
	if m == nil {
		return Metric{}, fmt.Errorf("metric %q is not name or name{label=value,...}", s)
	}
	out := Metric{Name: m[1]}
	for _, kv := range strings.Split(m[2], ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Metric{}, fmt.Errorf("metric %q: label %q has no value", s, kv)
		}
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out, nil
}

func metric(s string) Metric {
	m, err := ParseMetric(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Protocol is what the picker reads from one engine's pods.
type Protocol struct {
	Engine           Engine
	Waiting, Running Metric
	KVCache          Metric
	// OldKVCache are names older releases of the engine used for KV-cache utilisation.
	OldKVCache []Metric
	// LoRA is the adapters metric; nil when the engine has none or the picker reads none.
	LoRA *Metric
	// CacheInfo is the metric whose labels describe the KV cache (block size, blocks); engines
	// that write the geometry as gauges have CacheGauges instead, by the key each is shown as.
	CacheInfo   *Metric
	CacheGauges map[string]Metric
	// Counters are what rates derive from (not read by the picker).
	Counters Counters
}

// ProtocolOf is the picker's default protocol for an engine (vLLM's for an unknown one), with
// the counters and cache geometry the engine exposes besides.
func ProtocolOf(e Engine) Protocol {
	p := pickerProtocol(e)
	p.Counters, p.CacheGauges = countersOf(p.Engine), cacheGaugesOf(p.Engine)
	switch p.Engine {
	case VLLM:
		info := metric("vllm:cache_config_info")
		p.CacheInfo = &info
	case SGLang:
		info := metric("sglang:cache_config_info")
		p.CacheInfo = &info
	}
	return p
}

func pickerProtocol(e Engine) Protocol {
	switch e {
	case SGLang:
		return Protocol{Engine: e, Waiting: metric("sglang:num_queue_reqs"), Running: metric("sglang:num_running_reqs"), KVCache: metric("sglang:token_usage")}
	case TRTLLMServe:
		return Protocol{Engine: e, Waiting: metric("trtllm_num_requests_waiting"), Running: metric("trtllm_num_requests_running"),
			KVCache: metric("trtllm_kv_cache_utilization")}
	case TritonTRTLLM:
		return Protocol{Engine: e, Waiting: metric("nv_trt_llm_request_metrics{request_type=waiting}"),
			Running: metric("nv_trt_llm_request_metrics{request_type=scheduled}"),
			KVCache: metric("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}")}
	}
	lora := metric("vllm:lora_requests_info")
	return Protocol{Engine: VLLM, Waiting: metric("vllm:num_requests_waiting"), Running: metric("vllm:num_requests_running"),
		KVCache: metric("vllm:kv_cache_usage_perc"), OldKVCache: []Metric{metric("vllm:gpu_cache_usage_perc")}, LoRA: &lora}
}

// The picker's flags that name the metrics it reads (deprecated upstream in favour of engine
// configs, still honoured where set).
const (
	FlagWaiting = "total-queued-requests-metric"
	FlagRunning = "total-running-requests-metric"
	FlagKVCache = "kv-cache-usage-percentage-metric"
	FlagLoRA    = "lora-info-metric"
	// FlagCacheInfo names the cache info metric (llm-d-router's cache-info metric).
	FlagCacheInfo = "cache-info-metric"
)

// Override replaces the protocol's metrics with those the picker's flags name; flag gives a
// flag's value and whether it is set. An empty --lora-info-metric turns LoRA off.
func (p Protocol) Override(flag func(name string) (string, bool)) (Protocol, error) {
	for name, dst := range map[string]*Metric{FlagWaiting: &p.Waiting, FlagRunning: &p.Running, FlagKVCache: &p.KVCache} {
		if v, ok := flag(name); ok && v != "" {
			m, err := ParseMetric(v)
			if err != nil {
				return p, fmt.Errorf("--%s: %w", name, err)
			}
			*dst, p.OldKVCache = m, nil
		}
	}
	if v, ok := flag(FlagCacheInfo); ok && v != "" {
		m, err := ParseMetric(v)
		if err != nil {
			return p, fmt.Errorf("--%s: %w", FlagCacheInfo, err)
		}
		p.CacheInfo, p.CacheGauges = &m, nil
	}
	if v, ok := flag(FlagLoRA); ok {
		p.LoRA = nil
		if v != "" {
			m, err := ParseMetric(v)
			if err != nil {
				return p, fmt.Errorf("--%s: %w", FlagLoRA, err)
			}
			p.LoRA = &m
		}
	}
	return p, nil
}

// Families are a parsed scrape, by family name.
type Families map[string]*dto.MetricFamily

// Parse reads a scrape in the Prometheus text format. Metric names may hold colons (vllm:...),
// which the legacy name validation allows.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("not Prometheus text format: %w", err)
	}
	return fams, nil
}
