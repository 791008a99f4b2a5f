package modelserver

import (
	"fmt"
	"math"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Series returns the values of the series of a family that match m's labels; found is false when
// the scrape has no such series.
func (f Families) Series(m Metric) (values []float64, found bool) {
	fam := f[m.Name]
	if fam == nil {
		return nil, false
	}
	for _, s := range fam.GetMetric() {
		if labelsMatch(s, m.Labels) {
			values, found = append(values, value(fam.GetType(), s)), true
		}
	}
	return values, found
}

func labelsMatch(s *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		ok := false
		for _, l := range s.GetLabel() {
			ok = ok || (l.GetName() == k && l.GetValue() == v)
		}
		if !ok {
			return false
		}
	}
	return true
}

func value(t dto.MetricType, s *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return s.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return s.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return s.GetUntyped().GetValue()
	}
	return math.NaN()
}

// Result is what a scrape says against a protocol.
type Result struct {
	Engine Engine `json:"engine"`
	// Waiting and Running are the queue and running requests (summed over series, as vLLM
	// writes one per engine core); KVCache the highest utilisation, 0..1.
	Waiting float64 `json:"waiting"`
	Running float64 `json:"running"`
	KVCache float64 `json:"kvCache"`
	// LoRA says the adapters metric is there; RunningAdapters are the adapters its newest
	// series names.
	LoRA            bool     `json:"lora"`
	RunningAdapters []string `json:"runningAdapters,omitempty"`
	// Missing are the metrics the picker reads that the scrape lacks; OldNames the older names
	// it has in their place.
	Missing  []Metric `json:"-"`
	OldNames []Metric `json:"-"`
}

// Check reads a scrape against p for a verdict: what the picker would read, and what it would
// miss. It is Read's reading with absent numbers as zeros and an older KV-cache name counted as
// missing (the picker reads only the current one). The LoRA metric counts as missing only when
// loraWanted (the server was started with LoRA on): vLLM emits it only then.
func Check(f Families, p Protocol, loraWanted bool) Result {
	rd := Read(f, p)
	r := Result{Engine: p.Engine}
	for _, x := range []struct {
		m   Metric
		v   *float64
		dst *float64
	}{{p.Waiting, rd.Waiting, &r.Waiting}, {p.Running, rd.Running, &r.Running}} {
		if x.v == nil {
			r.Missing = append(r.Missing, x.m)
			continue
		}
		*x.dst = *x.v
	}
	switch {
	case rd.KVCache != nil && rd.KVCacheMetric == p.KVCache.String():
		r.KVCache = *rd.KVCache
	case rd.KVCache != nil:
		r.Missing = append(r.Missing, p.KVCache)
		old, _ := ParseMetric(rd.KVCacheMetric)
		r.OldNames = append(r.OldNames, old)
	default:
		r.Missing = append(r.Missing, p.KVCache)
	}
	if p.LoRA != nil {
		_, r.LoRA = f.Series(*p.LoRA)
		if rd.LoRA != nil && len(rd.LoRA.Running) > 0 {
			r.RunningAdapters = rd.LoRA.Running
		}
		if !r.LoRA && loraWanted {
			r.Missing = append(r.Missing, *p.LoRA)
		}
	}
	return r
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// Detect names the engine whose protocol the scrape speaks most of; false when none of them.
func Detect(f Families) (Engine, bool) {
	best, score := VLLM, 0
	for _, e := range Engines() {
		p, n := ProtocolOf(e), 0
		for _, m := range append([]Metric{p.Waiting, p.Running, p.KVCache}, p.OldKVCache...) {
			if _, ok := f.Series(m); ok {
				n++
			}
		}
		if n > score {
			best, score = e, n
		}
	}
	return best, score > 0
}

// Summary is the result in a few words: "waiting 0, running 2, KV cache 56%, LoRA lora-a".
func (r Result) Summary() string {
	s := fmt.Sprintf("waiting %g, running %g, KV cache %.0f%%", r.Waiting, r.Running, r.KVCache*100)
	switch {
	case len(r.RunningAdapters) > 0:
		s += ", LoRA " + strings.Join(r.RunningAdapters, ",")
	case r.LoRA:
		s += ", LoRA info"
	}
	return s
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
