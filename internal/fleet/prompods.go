package fleet

import (
	"sort"
	"time"

	"github.com/prometheus/common/model"

	"github.com/igw-dev/igw/internal/modelserver"
)

// podOf builds a pod's row from a refresh's answers. Its engine is the flag's or label's, else
// the first engine whose metrics Prometheus has for the pod. Prometheus keeps no row of a failed
// scrape but up: up 0 is this pod's error, and its last numbers are shown as Prometheus still
// returns them (for five minutes, until they go stale there).
func (p *promSource) podOf(t *Target, a *promAnswers, now time.Time) Pod {
	k := podKey{t.Namespace, t.Name}
	row := Pod{Name: t.Name, Node: t.Node, IP: t.IP, Ready: t.Ready, Engine: string(t.Engine), EngineFrom: t.EngineFrom}
	engine := t.Engine
	if engine == "" {
		for _, e := range modelserver.Engines() {
			pr := p.protocols[e]
			if has(a.sums, pr.Waiting, k) || has(a.sums, pr.Running, k) || has(a.maxes, pr.KVCache, k) {
				engine, row.Engine, row.EngineFrom = e, string(e), "metrics"
				break
			}
		}
	}
	if up, ok := a.up["up"][k]; ok && up == 0 {
		row.Error, row.Missed, row.Stale = "Prometheus's last scrape of the pod failed (up is 0)", 1, true
	}
	if engine == "" {
		if row.Error == "" {
			row.Error = "Prometheus has no model server metrics with namespace=" + t.Namespace + ", pod=" + t.Name
		}
		return row
	}
	pr := p.protocols[engine]
	s := &Sample{Time: now}
	s.Waiting, s.Running = get(a.sums, pr.Waiting, k), get(a.sums, pr.Running, k)
	for _, m := range append([]modelserver.Metric{pr.KVCache}, pr.OldKVCache...) {
		if v := get(a.maxes, m, k); v != nil {
			s.KVCache, s.KVCacheMetric = v, m.String()
			break
		}
	}
	for _, m := range []struct {
		m modelserver.Metric
		v *float64
	}{{pr.Waiting, s.Waiting}, {pr.Running, s.Running}, {pr.KVCache, s.KVCache}} {
		if m.v == nil {
			s.Missing = append(s.Missing, m.m.String())
		}
	}
	// The sample is as old as the newest series Prometheus scraped for the pod.
	var newest float64
	for _, m := range []modelserver.Metric{pr.Waiting, pr.Running, pr.KVCache} {
		if ts := get(a.times, m, k); ts != nil && *ts > newest {
			newest = *ts
		}
	}
	if newest > 0 {
		s.Time = time.Unix(0, int64(newest*1e9))
	}
	for _, m := range pr.Counters.All() {
		if v := get(a.counters, m, k); v != nil {
			if s.Counters == nil {
				s.Counters = map[string]float64{}
			}
			s.Counters[m.String()] = *v
		}
	}
	if pr.LoRA != nil {
		s.LoRA = loraFromProm(a.lora, *pr.LoRA, k)
	}
	if pr.CacheInfo != nil {
		for _, smp := range a.cache {
			if string(smp.Metric[model.MetricNameLabel]) == pr.CacheInfo.Name && podOfSeries(smp.Metric) == k {
				s.CacheConfig = map[string]string{}
				for l, v := range smp.Metric {
					if l != model.MetricNameLabel && l != labelNamespace && l != labelPod && l != "instance" && l != "job" {
						s.CacheConfig[string(l)] = string(v)
					}
				}
				break
			}
		}
	}
	if s.Waiting == nil && s.Running == nil && s.KVCache == nil {
		if row.Error == "" {
			row.Error = "Prometheus has none of the " + string(engine) + " metrics for this pod"
		}
	} else {
		row.Sample = s
		row.Age = Duration(max(now.Sub(s.Time), 0))
	}
	c := pr.Counters
	row.Rates = Rates{PromptTokens: get(a.rates, c.PromptTokens, k), GenerationTokens: get(a.rates, c.GenerationTokens, k),
		Requests: get(a.rates, c.Requests, k), Preemptions: get(a.rates, c.Preemptions, k)}
	if h, q := get(a.rates, c.PrefixHits, k), get(a.rates, c.PrefixQueries, k); h != nil && q != nil && *q > 0 {
		v := *h / *q
		row.Rates.PrefixCacheHitRate = &v
	}
	row.History = History{KVCache: a.history[s.KVCacheMetric][k], Waiting: a.history[pr.Waiting.String()][k]}
	return row
}

func has(t tagged, m modelserver.Metric, k podKey) bool { return get(t, m, k) != nil }

func get(t tagged, m modelserver.Metric, k podKey) *float64 {
	if m.Name == "" {
		return nil
	}
	if v, ok := t[m.String()][k]; ok {
		return &v
	}
	return nil
}

func podOfSeries(m model.Metric) podKey {
	return podKey{string(m[labelNamespace]), string(m[labelPod])}
}

// loraFromProm picks the pod's newest LoRA series, as the picker does; Prometheus returns
// series in no page order, so a tie goes to the first by adapter lists, which is the order
// client_golang's exposition (and so the picker) sees them in.
func loraFromProm(v model.Vector, m modelserver.Metric, k podKey) *LoRA {
	var cands []*model.Sample
	for _, s := range v {
		if string(s.Metric[model.MetricNameLabel]) == m.Name && podOfSeries(s.Metric) == k {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Value != b.Value {
			return a.Value > b.Value
		}
		if a.Metric["running_lora_adapters"] != b.Metric["running_lora_adapters"] {
			return a.Metric["running_lora_adapters"] < b.Metric["running_lora_adapters"]
		}
		return a.Metric["waiting_lora_adapters"] < b.Metric["waiting_lora_adapters"]
	})
	best := cands[0].Metric
	l := &LoRA{Running: modelserver.AdapterSet(string(best["running_lora_adapters"])), Waiting: modelserver.AdapterSet(string(best["waiting_lora_adapters"]))}
	l.Max = atoiOr0(string(best["max_lora"]))
	return l
}

func atoiOr0(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// pickerFromProm is the pool's picker view from the series Prometheus scraped from the picker.
func pickerFromProm(a *promAnswers, v poolView) *Picker {
	k := podKey{v.Namespace, v.Name}
	for _, g := range pickerGenerations {
		p := &Picker{Target: "prometheus", Metrics: g.generation}
		one := func(name string) *float64 { return get(a.pickers, modelserver.Metric{Name: name}, k) }
		p.AvgKVCache, p.AvgQueue, p.ReadyEndpoints = one(g.avgKV), one(g.avgQueue), one(g.ready)
		for _, s := range a.perEndpoint {
			if string(s.Metric[model.MetricNameLabel]) == g.perEndpoint && string(s.Metric[labelNamespace]) == v.Namespace &&
				string(s.Metric["name"]) == v.Name && s.Metric[model.LabelName(g.endpointLabel)] != "" {
				if p.PerEndpointQueue == nil {
					p.PerEndpointQueue = map[string]float64{}
				}
				p.PerEndpointQueue[string(s.Metric[model.LabelName(g.endpointLabel)])] += float64(s.Value)
			}
		}
		if p.AvgKVCache != nil || p.AvgQueue != nil || p.ReadyEndpoints != nil || p.PerEndpointQueue != nil {
			return p
		}
	}
	return &Picker{Target: "prometheus", Error: "Prometheus has no picker metrics for pool " + v.Name + " (llm_d_epp_* or inference_pool_* with name=" + v.Name + ")"}
}
