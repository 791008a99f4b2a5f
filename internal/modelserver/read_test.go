package modelserver

import (
	"bytes"
	"maps"
	"os"
	"slices"
	"testing"
)

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Each engine's full page (histograms, _created series, runtime metrics around the protocol's)
// reads as the engine means it: sums over vLLM's engine cores, the fullest KV cache, the
// newest LoRA series as sets, the counters rates derive from, the cache geometry.
func TestRead(t *testing.T) {
	for _, tc := range []struct {
		file, kvMetric       string
		engine               Engine
		waiting, running, kv any
		lora                 *LoRAInfo
		counters             map[string]float64
		cache                map[string]string
		missing              []string
	}{
		{file: "vllm-v1-full.txt", engine: VLLM, waiting: 2.0, running: 4.0, kv: 0.75, kvMetric: "vllm:kv_cache_usage_perc",
			lora: &LoRAInfo{Running: []string{"sql-lora", "tweet-lora"}, Waiting: []string{"chat-lora"}, Max: 4},
			counters: map[string]float64{"vllm:prompt_tokens_total": 247912, "vllm:generation_tokens_total": 1309642, "vllm:request_success_total": 2000,
				"vllm:prefix_cache_hits_total": 80100, "vllm:prefix_cache_queries_total": 200500, "vllm:num_preemptions_total": 15},
			cache: map[string]string{"block_size": "16", "num_gpu_blocks": "27798", "engine": "0"}},
		{file: "vllm-v0-full.txt", engine: VLLM, waiting: 2.0, running: 3.0, kv: 0.25, kvMetric: "vllm:gpu_cache_usage_perc",
			counters: map[string]float64{"vllm:prompt_tokens_total": 123456, "vllm:generation_tokens_total": 654321, "vllm:request_success_total": 1000, "vllm:num_preemptions_total": 5},
			cache:    map[string]string{"block_size": "16"}},
		{file: "sglang-full.txt", engine: SGLang, waiting: 1.0, running: 5.0, kv: 0.4, kvMetric: "sglang:token_usage",
			counters: map[string]float64{"sglang:prompt_tokens_total": 8128902, "sglang:generation_tokens_total": 7557572, "sglang:num_requests_total": 21234,
				"sglang:cached_tokens_total": 3128902, "sglang:num_retracted_requests_total": 3},
			cache: map[string]string{"page_size": "1", "num_pages": "308000"}},
		{file: "trtllm-serve-full.txt", engine: TRTLLMServe, waiting: 2.0, running: 6.0, kv: 0.62, kvMetric: "trtllm_kv_cache_utilization",
			counters: map[string]float64{"trtllm_prompt_tokens_total": 98765, "trtllm_generation_tokens_total": 45678, "trtllm_request_success_total": 155, "trtllm_prompt_cached_tokens_total": 12345},
			cache:    map[string]string{"tokens_per_block": "32", "max_blocks": "8192"}},
		{file: "triton-full.txt", engine: TritonTRTLLM, waiting: 7.0, running: 3.0, kv: 0.9, kvMetric: "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}",
			cache: map[string]string{"tokens_per_block": "64", "max_blocks": "6240"}},
		{file: "not-a-model-server.txt", engine: VLLM, missing: []string{"vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc"}},
	} {
		r := Read(scrape(t, tc.file), ProtocolOf(tc.engine))
		if val(r.Waiting) != tc.waiting || val(r.Running) != tc.running || val(r.KVCache) != tc.kv || r.KVCacheMetric != tc.kvMetric {
			t.Errorf("%s: waiting %v running %v kv %v (%s)", tc.file, val(r.Waiting), val(r.Running), val(r.KVCache), r.KVCacheMetric)
		}
		if (r.LoRA == nil) != (tc.lora == nil) || r.LoRA != nil && (!slices.Equal(r.LoRA.Running, tc.lora.Running) ||
			!slices.Equal(r.LoRA.Waiting, tc.lora.Waiting) || r.LoRA.Max != tc.lora.Max) {
			t.Errorf("%s: LoRA %+v, want %+v", tc.file, r.LoRA, tc.lora)
		}
		if !maps.Equal(r.Counters, tc.counters) {
			t.Errorf("%s: counters %v", tc.file, r.Counters)
		}
		for k, v := range tc.cache {
			if r.CacheConfig[k] != v {
				t.Errorf("%s: cache config %v, want %s=%s", tc.file, r.CacheConfig, k, v)
			}
		}
		if !slices.Equal(r.Missing, tc.missing) {
			t.Errorf("%s: missing %v", tc.file, r.Missing)
		}
	}
}

// LoRA info: the newest series wins; a tie goes to the first on the page; lists are sets; an
// absent family is no LoRA; a series without max_lora or with a bad one has Max 0.
func TestNewestLoRA(t *testing.T) {
	page := func(s string) Families {
		f, err := Parse(bytes.NewBufferString("# TYPE vllm:lora_requests_info gauge\n" + s))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	m := metric("vllm:lora_requests_info")
	for _, tc := range []struct {
		page             string
		running, waiting []string
		max              int
	}{
		{`vllm:lora_requests_info{max_lora="2",running_lora_adapters="b,a,a",waiting_lora_adapters=" c ,"} 5` + "\n", []string{"a", "b"}, []string{"c"}, 2},
		{`vllm:lora_requests_info{max_lora="1",running_lora_adapters="",waiting_lora_adapters=""} 7` + "\n" +
			`vllm:lora_requests_info{max_lora="1",running_lora_adapters="x",waiting_lora_adapters=""} 7` + "\n", []string{}, []string{}, 1},
		{`vllm:lora_requests_info{max_lora="1",running_lora_adapters="x",waiting_lora_adapters=""} 7` + "\n" +
			`vllm:lora_requests_info{max_lora="1",running_lora_adapters="",waiting_lora_adapters=""} 7` + "\n", []string{"x"}, []string{}, 1},
		{`vllm:lora_requests_info{max_lora="many",running_lora_adapters="x"} 1` + "\n" +
			`vllm:lora_requests_info{max_lora="3",running_lora_adapters="y"} 0.5` + "\n", []string{"x"}, []string{}, 0},
	} {
		got := NewestLoRA(page(tc.page), m)
		if got == nil || !slices.Equal(got.Running, tc.running) || !slices.Equal(got.Waiting, tc.waiting) || got.Max != tc.max {
			t.Errorf("%q: %+v", tc.page, got)
		}
	}
	if got := NewestLoRA(scrape(t, "vllm-v0-full.txt"), m); got != nil {
		t.Errorf("no LoRA family read as %+v", got)
	}
}

// The cache info flag replaces the engine's cache metric; Counters.All has no duplicates.
func TestOverrideCacheInfo(t *testing.T) {
	p, err := ProtocolOf(TRTLLMServe).Override(func(name string) (string, bool) {
		return `vllm:cache_config_info{engine="0"}`, name == FlagCacheInfo
	})
	if err != nil || p.CacheGauges != nil || p.CacheInfo.String() != "vllm:cache_config_info{engine=0}" {
		t.Fatalf("%+v %v", p, err)
	}
	if r := Read(scrape(t, "vllm-v1-full.txt"), p); r.CacheConfig["engine"] != "0" {
		t.Errorf("%v", r.CacheConfig)
	}
	if n := len(ProtocolOf(SGLang).Counters.All()); n != 5 {
		t.Errorf("SGLang has %d distinct counters, want 5 (prompt tokens serve twice)", n)
	}
}

func BenchmarkParseRead(b *testing.B) {
	page, err := os.ReadFile("testdata/vllm-v1-full.txt")
	if err != nil {
		b.Fatal(err)
	}
	p := ProtocolOf(VLLM)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(bytes.NewReader(page))
		if err != nil {
			b.Fatal(err)
		}
		Read(f, p)
	}
}

func BenchmarkParseNamesRead(b *testing.B) {
	page, err := os.ReadFile("testdata/vllm-v1-full.txt")
	if err != nil {
		b.Fatal(err)
	}
	p, names, scratch := ProtocolOf(VLLM), AllNames(), new(bytes.Buffer)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseNames(page, names, scratch)
		if err != nil {
			b.Fatal(err)
		}
		Read(f, p)
	}
}
