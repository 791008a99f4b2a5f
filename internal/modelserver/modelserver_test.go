package modelserver

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func scrape(t *testing.T, name string) Families {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func names(ms []Metric) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

// Each engine's scrape speaks its own protocol: queue, running and KV cache found and read (sums
// over vLLM's engine cores, the highest KV cache), and the newest LoRA series' adapters.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		file                    string
		engine                  Engine
		lora                    bool
		waiting, running, cache float64
		missing, old            []string
		summary                 string
	}{
		{file: "vllm-sim.txt", engine: VLLM, lora: true, waiting: 4, running: 2, cache: 0.5625, summary: "waiting 4, running 2, KV cache 56%, LoRA lora-a,lora-b"},
		{file: "vllm-v1-engines.txt", engine: VLLM, waiting: 2, running: 4, cache: 0.75, summary: "waiting 2, running 4, KV cache 75%"},
		{file: "vllm-v1-engines.txt", engine: VLLM, lora: true, waiting: 2, running: 4, cache: 0.75, missing: []string{"vllm:lora_requests_info"}},
		{file: "vllm-old.txt", engine: VLLM, missing: []string{"vllm:kv_cache_usage_perc"}, old: []string{"vllm:gpu_cache_usage_perc"}},
		{file: "sglang.txt", engine: SGLang, lora: true, waiting: 1, running: 5, cache: 0.4},
		{file: "triton.txt", engine: TritonTRTLLM, waiting: 7, running: 3, cache: 0.9},
		{file: "not-a-model-server.txt", engine: VLLM, missing: []string{"vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc"}},
	} {
		r := Check(scrape(t, tc.file), ProtocolOf(tc.engine), tc.lora)
		if r.Waiting != tc.waiting || r.Running != tc.running || (tc.missing == nil && r.KVCache != tc.cache) ||
			!slices.Equal(names(r.Missing), tc.missing) || !slices.Equal(names(r.OldNames), tc.old) {
			t.Errorf("%s as %s: %+v, missing %v, old %v", tc.file, tc.engine, r, names(r.Missing), names(r.OldNames))
		}
		if tc.summary != "" && r.Summary() != tc.summary {
			t.Errorf("%s: summary %q, want %q", tc.file, r.Summary(), tc.summary)
		}
	}
}

// The engine a scrape speaks, when nothing else says.
func TestDetect(t *testing.T) {
	for file, want := range map[string]Engine{"vllm-sim.txt": VLLM, "vllm-old.txt": VLLM, "sglang.txt": SGLang, "triton.txt": TritonTRTLLM} {
		if got, ok := Detect(scrape(t, file)); !ok || got != want {
			t.Errorf("%s: %s %v, want %s", file, got, ok, want)
		}
	}
	if _, ok := Detect(scrape(t, "not-a-model-server.txt")); ok {
		t.Error("a Go program's metrics detected as a model server")
	}
}

// The picker's metric flags replace the defaults; an empty LoRA flag turns LoRA off.
func TestOverride(t *testing.T) {
	flags := map[string]string{FlagKVCache: "vllm:gpu_cache_usage_perc", FlagLoRA: "", FlagWaiting: `my_queue{kind="wait"}`}
	p, err := ProtocolOf(VLLM).Override(func(name string) (string, bool) { v, ok := flags[name]; return v, ok })
	if err != nil || p.KVCache.String() != "vllm:gpu_cache_usage_perc" || p.LoRA != nil || p.Waiting.String() != "my_queue{kind=wait}" ||
		p.OldKVCache != nil || p.Running.String() != "vllm:num_requests_running" {
		t.Fatalf("%+v %v", p, err)
	}
	r := Check(scrape(t, "vllm-old.txt"), p, true)
	if !slices.Equal(names(r.Missing), []string{"my_queue{kind=wait}"}) || r.KVCache != 0.1 {
		t.Errorf("%+v", r)
	}
	if _, err := ProtocolOf(VLLM).Override(func(string) (string, bool) { return "bad{", true }); err == nil {
		t.Error("a bad metric flag was accepted")
	}
}

func TestParseMetric(t *testing.T) {
	m, err := ParseMetric(` nv_trt_llm_request_metrics{request_type="waiting", model=ensemble} `)
	if err != nil || m.Name != "nv_trt_llm_request_metrics" || m.Labels["request_type"] != "waiting" || m.Labels["model"] != "ensemble" {
		t.Errorf("%+v %v", m, err)
	}
	for _, bad := range []string{"", "a{b}", "a b"} {
		if _, err := ParseMetric(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A scrape that is not the text format is an error, not an empty result.
func TestParseError(t *testing.T) {
	if _, err := Parse(strings.NewReader("<html>not found</html>\n")); err == nil || !strings.Contains(err.Error(), "not Prometheus text format") {
		t.Errorf("%v", err)
	}
}
