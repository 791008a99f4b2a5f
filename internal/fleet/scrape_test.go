package fleet

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/fleet/fleettest"
	"github.com/igw-dev/igw/internal/modelserver"
)

func target(p *fleettest.Pod, name string) Target {
	return Target{Namespace: "llm", Name: name, IP: p.IP, Port: p.Port, Path: "/metrics", Ready: true}
}

func byName(pods []Pod) map[string]Pod {
	out := map[string]Pod{}
	for _, p := range pods {
		out[p.Name] = p
	}
	return out
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Real servers on loopback, scraped directly: moving numbers, rates from counters, bounded
// history; a slow pod times out without holding the refresh up; garbage is an error; a pod
// that disappears keeps its last good sample, counts misses and is stale after two.
func TestScrapeDirect(t *testing.T) {
	good := fleettest.Serve(t, "127.0.0.1", fleettest.VLLM(t))
	sglang := fleettest.Serve(t, "127.0.0.1", fleettest.Static(fleettest.Page(t, "sglang-full.txt")))
	slow := fleettest.Serve(t, "127.0.0.1", fleettest.VLLM(t))
	slow.SetDelay(10 * time.Second)
	garbage := fleettest.Serve(t, "127.0.0.1", fleettest.Static("<html><body>502 Bad Gateway</body></html>\n"))
	gone := fleettest.Serve(t, "127.0.0.1", fleettest.VLLM(t))
	targets := []Target{target(good, "good"), target(sglang, "sglang"), target(slow, "slow"), target(garbage, "garbage"), target(gone, "gone")}
	targets[1].Engine, targets[1].EngineFrom = modelserver.SGLang, "label"
	s, err := NewScraper(NewDirectGetter(), Options{Reach: Direct, Timeout: 300 * time.Millisecond, History: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	refresh := func() map[string]Pod {
		start := time.Now()
		pods := s.Refresh(ctx, targets)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a refresh took %s with a 300ms timeout", d)
		}
		return byName(pods)
	}

	r1 := refresh()
	if p := r1["good"]; p.Error != "" || p.Sample == nil || deref(p.Sample.Waiting) != 1 || deref(p.Sample.Running) != 2 || deref(p.Sample.KVCache) != 0.01 ||
		p.Engine != "vllm" || p.EngineFrom != "metrics" || p.Sample.KVCacheMetric != "vllm:kv_cache_usage_perc" || p.Rates.PromptTokens != nil {
		t.Errorf("good pod, first scrape: %+v %+v", p, p.Sample)
	}
	if p := r1["sglang"]; p.Engine != "sglang" || p.EngineFrom != "label" || deref(p.Sample.KVCache) != 0.4 || p.Sample.LoRA != nil {
		t.Errorf("sglang pod: %+v", p)
	}
	if p := r1["slow"]; p.Error != "no answer within 300ms" || p.Sample != nil || p.Missed != 1 || p.Stale {
		t.Errorf("slow pod: %+v", p)
	}
	if p := r1["garbage"]; !strings.HasPrefix(p.Error, "not Prometheus text format: line 1") || p.Missed != 1 {
		t.Errorf("garbage pod: %+v", p)
	}
	kept := r1["gone"].Sample
	if kept == nil {
		t.Fatalf("the pod to close answered no page: %+v", r1["gone"])
	}
	gone.Close()

	r2 := refresh()
	g := r2["good"]
	dt := g.Sample.Time.Sub(r1["good"].Sample.Time).Seconds()
	for name, c := range map[string]struct {
		got  *float64
		want float64
	}{"prompt": {g.Rates.PromptTokens, 100 / dt}, "generation": {g.Rates.GenerationTokens, 1000 / dt}, "requests": {g.Rates.Requests, 10 / dt},
		"preemptions": {g.Rates.Preemptions, 1 / dt}, "hit rate": {g.Rates.PrefixCacheHitRate, 0.4}} {
		if c.got == nil || math.Abs(*c.got-c.want) > 1e-9*c.want {
			t.Errorf("%s rate %v, want %v", name, deref(c.got), c.want)
		}
	}
	if p := r2["gone"]; p.Sample != kept || p.Missed != 1 || p.Stale || !strings.Contains(p.Error, "connection refused") {
		t.Errorf("gone pod after one miss: %+v", p)
	}
	r3 := refresh()
	if p := r3["gone"]; p.Sample != kept || p.Missed != 2 || !p.Stale || p.Age < Duration(0) || time.Duration(p.Age) < r3["good"].Sample.Time.Sub(kept.Time)-time.Second {
		t.Errorf("gone pod after two misses: %+v", p)
	}
	r4 := refresh()
	if h := r4["good"].History; !slices.Equal(h.Waiting, []float64{2, 3, 4}) || !slices.Equal(h.KVCache, []float64{0.02, 0.03, 0.04}) {
		t.Errorf("history %+v, want the last three samples oldest first", h)
	}
	if slices.Equal(r3["good"].History.Waiting, r4["good"].History.Waiting) {
		t.Error("a later refresh changed an earlier snapshot's history")
	}

	// The slow pod answers again: its misses are forgiven and its row fresh.
	slow.SetDelay(0)
	if p := refresh()["slow"]; p.Error != "" || p.Missed != 0 || p.Stale || p.Sample == nil {
		t.Errorf("recovered pod: %+v", p)
	}
	// Pods dropped from the targets are forgotten.
	if pods := s.Refresh(ctx, targets[:1]); len(pods) != 1 || len(s.pods) != 1 {
		t.Errorf("%d rows, %d states after dropping pods", len(pods), len(s.pods))
	}
}

// A counter lower than before (the server restarted) gives no rate, not a negative one; so does
// a counter the page lacks, and a hit rate with no queries in between.
func TestRatesReset(t *testing.T) {
	c := modelserver.ProtocolOf(modelserver.VLLM).Counters
	t0 := time.Unix(1000, 0)
	prev := &Sample{Time: t0, Counters: map[string]float64{"vllm:prompt_tokens_total": 500, "vllm:generation_tokens_total": 10,
		"vllm:prefix_cache_hits_total": 5, "vllm:prefix_cache_queries_total": 10}}
	cur := &Sample{Time: t0.Add(2 * time.Second), Counters: map[string]float64{"vllm:prompt_tokens_total": 20, "vllm:generation_tokens_total": 30,
		"vllm:prefix_cache_hits_total": 5, "vllm:prefix_cache_queries_total": 10}}
	r := ratesBetween(prev, cur, c)
	if r.PromptTokens != nil || deref(r.GenerationTokens) != 10 || r.Requests != nil || r.PrefixCacheHitRate != nil {
		t.Errorf("%+v", r)
	}
	if r := ratesBetween(cur, cur, c); r.GenerationTokens != nil {
		t.Errorf("no time between samples gave %+v", r)
	}
}

func TestRing(t *testing.T) {
	r := newRing(3)
	if r.values() != nil {
		t.Error("empty ring has values")
	}
	for i := range 7 {
		r.push(float64(i))
		want := []float64{}
		for j := max(0, i-2); j <= i; j++ {
			want = append(want, float64(j))
		}
		if !slices.Equal(r.values(), want) {
			t.Errorf("after %d: %v, want %v", i, r.values(), want)
		}
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []Options{{Engine: "tgi"}, {Metrics: map[string]string{"kv-metric": "x"}}, {Metrics: map[string]string{modelserver.FlagKVCache: "bad{"}}} {
		if _, err := NewScraper(NewDirectGetter(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
