package standin

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
)

// VLLMMetrics is an idle vLLM server's /metrics (llm-d-inference-sim's, with a LoRA adapter
// loaded): what the endpoint picker reads from a pod.
const VLLMMetrics = `# HELP vllm:num_requests_running Number of requests currently running on GPU.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="sim-base"} 0
# HELP vllm:num_requests_waiting Prometheus metric for the number of queued requests.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="sim-base"} 0
# HELP vllm:kv_cache_usage_perc Prometheus metric for the fraction of KV-cache blocks currently in use (from 0 to 1).
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{model_name="sim-base"} 0.125
# HELP vllm:lora_requests_info Running stats on lora requests.
# TYPE vllm:lora_requests_info gauge
vllm:lora_requests_info{max_lora="1",running_lora_adapters="lora-a",waiting_lora_adapters=""} 1.795558391e+09
`

// ModelServer is a stand-in model server: metrics at /metrics, and an OpenAI-style answer to
// every POST.
func ModelServer(metrics string) http.Handler {
	return ModelServerFunc(func() string { return metrics })
}

// ModelServerFunc is ModelServer with a page computed on every scrape.
func ModelServerFunc(metrics func() string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, metrics())
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Model string }
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "text_completion", "model": body.Model,
			"choices": []any{map[string]any{"index": 0, "text": "Hello", "finish_reason": "length"}}})
	})
	return mux
}

// Serve serves h on ip (port chosen by the system) until the test ends, and returns the port.
func Serve(t testing.TB, ip string, h http.Handler) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}
