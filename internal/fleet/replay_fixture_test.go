package fleet

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the recording in testdata/top")

// fixturePath is the recording igwctl top's screen, command and README are shown with: two
// pools seen for 40 refreshes, with every state the screen draws differently.
const fixturePath = "../../testdata/top/fleet.jsonl"

// fixtureStart is the fixture's fixed clock.
var fixtureStart = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

const fixtureRefreshes = 40

func ptr(v float64) *float64 { return &v }

// fixturePod describes one pod of the fixture: how its numbers move with the refresh i.
type fixturePod struct {
	name, node, ip, engine, from string
	ready                        bool
	kv, waiting, running         func(i int) float64
	kvMetric                     string
	lora                         func(i int) *LoRA
	cacheConfig                  map[string]string
	missing                      []string
	// failFrom is the first refresh whose scrape fails (0: none), err what it says.
	failFrom int
	err      string
}

func wave(base, amp, period float64, phase int) func(int) float64 {
	return func(i int) float64 {
		return math.Round((base+amp*math.Sin(2*math.Pi*float64(i+phase)/period))*1000) / 1000
	}
}

// count is wave for a number of requests, which is whole.
func count(base, amp, period float64, phase int) func(int) float64 {
	w := wave(base, amp, period, phase)
	return func(i int) float64 { return math.Round(w(i)) }
}

func steps(values ...float64) func(int) float64 {
	return func(i int) float64 { return values[i%len(values)] }
}

func qwenPods() []fixturePod {
	vllmCache := map[string]string{"block_size": "16", "num_gpu_blocks": "27840"}
	return []fixturePod{
		{name: "vllm-qwen-7c9f8d6b5-2xkqp", node: "gpu-node-a1", ip: "10.244.1.17", engine: "vllm", from: "label", ready: true,
			kv: wave(0.42, 0.12, 20, 0), waiting: steps(0, 0, 0, 1, 0, 0, 0, 0), running: count(4, 2, 10, 0), kvMetric: "vllm:kv_cache_usage_perc",
			lora: func(i int) *LoRA {
				return &LoRA{Running: []string{"sql-lora"}, Waiting: []string{}, Max: 2}
			}, cacheConfig: vllmCache},
		{name: "vllm-qwen-7c9f8d6b5-8hz4m", node: "gpu-node-a2", ip: "10.244.2.9", engine: "vllm", from: "label", ready: true,
			kv: wave(0.76, 0.08, 16, 3), waiting: steps(1, 2, 2, 3, 2, 1), running: count(8, 1, 8, 0), kvMetric: "vllm:gpu_cache_usage_perc",
			lora: func(i int) *LoRA {
				return &LoRA{Running: []string{"sql-lora", "tweet-lora"}, Waiting: []string{"chat-lora"}, Max: 2}
			}, cacheConfig: vllmCache},
		{name: "vllm-qwen-7c9f8d6b5-fw7tn", node: "gpu-node-b1", ip: "10.244.3.4", engine: "vllm", from: "metrics", ready: true,
			kv: wave(0.93, 0.04, 12, 5), waiting: count(7, 3, 12, 0), running: steps(16), kvMetric: "vllm:kv_cache_usage_perc",
			lora: func(i int) *LoRA { return nil }, cacheConfig: vllmCache},
		{name: "vllm-qwen-7c9f8d6b5-q9d2l", node: "gpu-node-b2", ip: "10.244.4.12", engine: "vllm", from: "label", ready: false,
			kv: wave(0.2, 0.05, 10, 0), waiting: steps(0), running: steps(1), kvMetric: "vllm:kv_cache_usage_perc",
			lora: func(i int) *LoRA { return nil }, cacheConfig: vllmCache,
			failFrom: fixtureRefreshes - 4, err: "Get \"http://10.244.4.12:8000/metrics\": context deadline exceeded"},
	}
}

func llamaPods() []fixturePod {
	return []fixturePod{
		{name: "sglang-llama-0", node: "gpu-node-c1", ip: "10.244.5.3", engine: "sglang", from: "label", ready: true,
			kv: wave(0.31, 0.1, 25, 0), waiting: steps(0), running: count(3, 2, 9, 1), kvMetric: "sglang:token_usage",
			lora: func(int) *LoRA { return nil }, cacheConfig: map[string]string{"page_size": "1", "num_pages": "412000"}},
		{name: "sglang-llama-1", node: "gpu-node-c2", ip: "10.244.5.8", engine: "sglang", from: "label", ready: true,
			kv: wave(0.55, 0.1, 25, 7), waiting: steps(0, 0, 1, 0), running: count(5, 2, 9, 4), kvMetric: "sglang:token_usage",
			lora: func(int) *LoRA { return nil }, missing: []string{"sglang:cache_config_info"}},
	}
}

// podAt is p as the fixture's refresh i sees it, with its history of the refreshes before.
func (p fixturePod) at(i int, now time.Time) Pod {
	pod := Pod{Name: p.name, Node: p.node, IP: p.ip, Ready: p.ready, Engine: p.engine, EngineFrom: p.from}
	good := i
	if p.failFrom > 0 && i >= p.failFrom {
		good = p.failFrom - 1
		pod.Error, pod.Missed = p.err, i-good
		pod.Stale = pod.Missed >= 2
	}
	for j := max(0, good-119); j <= good; j++ {
		pod.History.KVCache = append(pod.History.KVCache, p.kv(j))
		pod.History.Waiting = append(pod.History.Waiting, p.waiting(j))
	}
	t := fixtureStart.Add(time.Duration(good) * time.Second)
	reqs := float64(good) * (1.5 + p.running(good)/4)
	pod.Sample = &Sample{
		Time: t, KVCache: ptr(p.kv(good)), KVCacheMetric: p.kvMetric, Waiting: ptr(p.waiting(good)), Running: ptr(p.running(good)),
		LoRA: p.lora(good), CacheConfig: p.cacheConfig, Missing: p.missing,
		Counters: map[string]float64{
			p.engine + ":prompt_tokens_total":     math.Round(reqs * 610),
			p.engine + ":generation_tokens_total": math.Round(reqs * 182),
			p.engine + ":request_success_total":   math.Round(reqs),
		},
	}
	pod.Age = Duration(now.Sub(t))
	if good > 0 {
		rps := math.Round((1.5+p.running(good)/4)*100) / 100
		pod.Rates = Rates{Requests: ptr(rps), PromptTokens: ptr(math.Round(rps * 610)), GenerationTokens: ptr(math.Round(rps * 182))}
		if p.engine == "vllm" {
			pod.Rates.PrefixCacheHitRate = ptr(math.Round(p.kv(good)*600) / 1000)
			pod.Rates.Preemptions = ptr(0)
		}
	}
	return pod
}

// totals sums pods as a Source does: averages over the pods with a fresh sample.
func totals(pods []Pod) Totals {
	var t Totals
	var kv float64
	var reqs, prompt, gen float64
	for _, p := range pods {
		t.Pods++
		if p.Ready {
			t.Ready++
		}
		if p.Sample == nil || p.Stale {
			continue
		}
		t.Reporting++
		kv += *p.Sample.KVCache
		t.Waiting += *p.Sample.Waiting
		t.Running += *p.Sample.Running
		if p.Rates.Requests != nil {
			reqs += *p.Rates.Requests
			prompt += *p.Rates.PromptTokens
			gen += *p.Rates.GenerationTokens
		}
	}
	if t.Reporting > 0 {
		t.AvgKVCache = ptr(math.Round(kv/float64(t.Reporting)*1000) / 1000)
		t.Rates = Rates{Requests: ptr(reqs), PromptTokens: ptr(prompt), GenerationTokens: ptr(gen)}
	}
	return t
}

// fixture is the recording's refresh i.
func fixture(i int) Snapshot {
	now := fixtureStart.Add(time.Duration(i)*time.Second + 180*time.Millisecond)
	pool := func(ns, name, group string, fps []fixturePod) Pool {
		p := Pool{Namespace: ns, Name: name, Group: group, TargetPorts: []int32{8000}, Selector: "app=" + name}
		for _, fp := range fps {
			p.Pods = append(p.Pods, fp.at(i, now))
		}
		p.Totals = totals(p.Pods)
		return p
	}
	qwen := pool("llm", "vllm-qwen", "inference.networking.k8s.io", qwenPods())
	qwen.Parents = []Parent{{Gateway: "llm/inference-gateway", Accepted: "True", ResolvedRefs: "True"}}
	// The picker lags: its average is well below what the pods say, the mismatch the header shows.
	qwen.Picker = &Picker{Target: "llm/vllm-qwen-epp:9090", Metrics: "llm_d_epp", AvgKVCache: ptr(0.412), AvgQueue: ptr(1.5),
		ReadyEndpoints: ptr(3), Age: Duration(180 * time.Millisecond),
		PerEndpointQueue: map[string]float64{"vllm-qwen-7c9f8d6b5-2xkqp": 0, "vllm-qwen-7c9f8d6b5-8hz4m": 2, "vllm-qwen-7c9f8d6b5-fw7tn": 4}}
	llama := pool("llm", "sglang-llama", "inference.networking.x-k8s.io", llamaPods())
	llama.Parents = []Parent{{Gateway: "llm/inference-gateway", Accepted: "True", ResolvedRefs: "False", Reason: "InvalidExtensionRef"}}
	llama.Picker = &Picker{Target: "llm/sglang-llama-epp:9090", Error: "dial tcp 10.96.14.2:9090: connect: connection refused"}
	s := Snapshot{Time: now, Interval: Duration(time.Second), Scope: "namespace llm", Source: "pod-proxy", Pools: []Pool{qwen, llama}}
	if i >= fixtureRefreshes-3 {
		s.Errors = []string{"watch pods in llm: too old resource version; relisting"}
	}
	return s
}

// The fixture recording is generated here, so its numbers are ones a test can reason about;
// go test ./internal/fleet -run TestFixture -update rewrites it.
func TestFixture(t *testing.T) {
	var b bytes.Buffer
	rec := NewRecorder(&b)
	for i := range fixtureRefreshes {
		if err := rec.Write(fixture(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixturePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s is stale; rerun with -update", fixturePath)
	}
	r, err := NewReplay(bytes.NewReader(got), "fleet.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Snapshots()); n != fixtureRefreshes {
		t.Errorf("%d snapshots, want %d", n, fixtureRefreshes)
	}
	last := r.Snapshots()[fixtureRefreshes-1]
	if p := last.Pools[0].Pods[3]; !p.Stale || p.Missed != 4 || p.Error == "" {
		t.Errorf("the failing pod: %+v", p)
	}
}
