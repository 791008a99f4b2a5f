package modelserver

import (
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Counters name the monotonic counters a live view derives rates from; a zero Metric means the
// engine exposes no such counter. The prefix-cache hit rate is ΔPrefixHits/ΔPrefixQueries, so
// the two may name the same family in different roles (SGLang counts hits as cached prompt tokens
// against all prompt tokens).
type Counters struct {
	PromptTokens, GenerationTokens, Requests Metric
	PrefixHits, PrefixQueries                Metric
	Preemptions                              Metric
}

// All lists the counters the protocol names, without duplicates, in a fixed order.
func (c Counters) All() []Metric {
	var out []Metric
	seen := map[string]bool{}
	for _, m := range []Metric{c.PromptTokens, c.GenerationTokens, c.Requests, c.PrefixHits, c.PrefixQueries, c.Preemptions} {
		if m.Name != "" && !seen[m.String()] {
			seen[m.String()] = true
			out = append(out, m)
		}
	}
	return out
}

// countersOf are each engine's counters as the engines' own docs and sources name them; Triton's
// are per model of an ensemble (counting a request once per stage), so none are read there.
func countersOf(e Engine) Counters {
	switch e {
	case SGLang:
		return Counters{PromptTokens: metric("sglang:prompt_tokens_total"), GenerationTokens: metric("sglang:generation_tokens_total"),
			Requests: metric("sglang:num_requests_total"), PrefixHits: metric("sglang:cached_tokens_total"),
			PrefixQueries: metric("sglang:prompt_tokens_total"), Preemptions: metric("sglang:num_retracted_requests_total")}
	case TRTLLMServe:
		return Counters{PromptTokens: metric("trtllm_prompt_tokens_total"), GenerationTokens: metric("trtllm_generation_tokens_total"),
			Requests: metric("trtllm_request_success_total"), PrefixHits: metric("trtllm_prompt_cached_tokens_total"),
			PrefixQueries: metric("trtllm_prompt_tokens_total")}
	case TritonTRTLLM:
		return Counters{}
	}
	return Counters{PromptTokens: metric("vllm:prompt_tokens_total"), GenerationTokens: metric("vllm:generation_tokens_total"),
		Requests: metric("vllm:request_success_total"), PrefixHits: metric("vllm:prefix_cache_hits_total"),
		PrefixQueries: metric("vllm:prefix_cache_queries_total"), Preemptions: metric("vllm:num_preemptions_total")}
}

// cacheGaugesOf are engines whose cache geometry is in gauges rather than an info metric's
// labels, by the key the reading reports each under.
func cacheGaugesOf(e Engine) map[string]Metric {
	switch e {
	case TRTLLMServe:
		return map[string]Metric{"tokens_per_block": metric("trtllm_kv_cache_tokens_per_block"), "max_blocks": metric("trtllm_kv_cache_max_blocks")}
	case TritonTRTLLM:
		return map[string]Metric{"tokens_per_block": metric("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=tokens_per}"),
			"max_blocks": metric("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=max}")}
	}
	return nil
}

// LoRAInfo is the newest series of a LoRA info metric: the adapters running and waiting, as
// sorted sets (engines write the lists in no stable order), and how many may run at once.
type LoRAInfo struct {
	Running []string
	Waiting []string
	Max     int
}

// Reading is what one scrape says against a protocol, for a live view: nil numbers where the
// scrape lacked the metric rather than zeros that would read as an idle server.
type Reading struct {
	// Waiting and Running sum their series (vLLM v1 writes one per engine core); KVCache is the
	// fullest series, since one full engine core is what makes a pod refuse work.
	Waiting, Running, KVCache *float64
	// KVCacheMetric names the metric KVCache came from: an older name shows here.
	KVCacheMetric string
	// LoRA is nil when the scrape has no LoRA info family, which vLLM writes only once an
	// adapter has been used: no family means "no LoRA", not an error.
	LoRA *LoRAInfo
	// CacheConfig are the labels of the cache info metric's first series, or the cache gauges.
	CacheConfig map[string]string
	// Counters are the protocol's counters present in the scrape, summed over series, by
	// Metric.String().
	Counters map[string]float64
	// Missing names the protocol metrics (waiting, running, KV cache) the scrape lacked.
	Missing []string
}

// Read reads a scrape against p.
func Read(f Families, p Protocol) Reading {
	var r Reading
	if v, ok := f.Series(p.Waiting); ok {
		r.Waiting = ptr(sum(v))
	} else {
		r.Missing = append(r.Missing, p.Waiting.String())
	}
	if v, ok := f.Series(p.Running); ok {
		r.Running = ptr(sum(v))
	} else {
		r.Missing = append(r.Missing, p.Running.String())
	}
	for _, m := range append([]Metric{p.KVCache}, p.OldKVCache...) {
		if v, ok := f.Series(m); ok {
			r.KVCache, r.KVCacheMetric = ptr(maxOf(v)), m.String()
			break
		}
	}
	if r.KVCache == nil {
		r.Missing = append(r.Missing, p.KVCache.String())
	}
	if p.LoRA != nil {
		r.LoRA = NewestLoRA(f, *p.LoRA)
	}
	r.CacheConfig = cacheConfig(f, p)
	for _, m := range p.Counters.All() {
		if v, ok := f.Series(m); ok {
			if r.Counters == nil {
				r.Counters = make(map[string]float64, 6)
			}
			r.Counters[m.String()] = sum(v)
		}
	}
	return r
}

func cacheConfig(f Families, p Protocol) map[string]string {
	if p.CacheInfo != nil {
		if fam := f[p.CacheInfo.Name]; fam != nil {
			for _, s := range fam.GetMetric() {
				if labelsMatch(s, p.CacheInfo.Labels) {
					out := make(map[string]string, len(s.GetLabel()))
					for _, l := range s.GetLabel() {
						out[l.GetName()] = l.GetValue()
					}
					return out
				}
			}
		}
	}
	var out map[string]string
	for key, m := range p.CacheGauges {
		if v, ok := f.Series(m); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[key] = strconv.FormatFloat(maxOf(v), 'g', -1, 64)
		}
	}
	return out
}

// NewestLoRA reads the series of m with the largest value (the Unix time the engine wrote it),
// as the picker does. Stale series stay on the page and several can share one timestamp (the
// simulator writes whole seconds): a tie goes to the first of them on the page, as the picker's
// strict comparison takes it, so the view shows the adapters the picker routes by. Nil when the
// scrape has no such series.
func NewestLoRA(f Families, m Metric) *LoRAInfo {
	fam := f[m.Name]
	if fam == nil {
		return nil
	}
	var best *dto.Metric
	bestV := math.Inf(-1)
	for _, s := range fam.GetMetric() {
		if !labelsMatch(s, m.Labels) {
			continue
		}
		if v := value(fam.GetType(), s); best == nil || v > bestV {
			best, bestV = s, v
		}
	}
	if best == nil {
		return nil
	}
	info := &LoRAInfo{Running: []string{}, Waiting: []string{}}
	for _, l := range best.GetLabel() {
		switch l.GetName() {
		case "running_lora_adapters":
			info.Running = AdapterSet(l.GetValue())
		case "waiting_lora_adapters":
			info.Waiting = AdapterSet(l.GetValue())
		case "max_lora":
			if n, err := strconv.Atoi(strings.TrimSpace(l.GetValue())); err == nil && n >= 0 {
				info.Max = n
			}
		}
	}
	return info
}

// AdapterSet reads a comma-joined adapter list as a sorted set: order carries no meaning (the
// simulator writes a map's iteration order), duplicates and empty names none.
func AdapterSet(list string) []string {
	out := []string{}
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func ptr(v float64) *float64 { return &v }
