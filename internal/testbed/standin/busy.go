package standin

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// BusyVLLM is a vLLM page under a steady, slowly swinging load: the gauges follow a one-minute
// wave and the token and request counters grow with it, so a person trying `igwctl top` on the
// test bed sees bars, sparklines and rates move. seed shifts the wave, so pods sharing one
// server still differ when each gets its own.
func BusyVLLM(start time.Time, seed float64) func() string {
	return func() string {
		t := time.Since(start).Seconds()
		wave := 0.5 + 0.45*math.Sin(2*math.Pi*(t/60+seed))
		// The counters are the integral of the wave-driven rates, so rates stay positive and
		// follow the load.
		load := t*0.5 + 0.45*60/(2*math.Pi)*(math.Cos(2*math.Pi*seed)-math.Cos(2*math.Pi*(t/60+seed)))
		var b strings.Builder
		gauge := func(name string, v float64) {
			fmt.Fprintf(&b, "# TYPE %s gauge\n%s{engine=\"0\",model_name=\"sim-base\"} %g\n", name, name, v)
		}
		counter := func(name string, v float64) {
			fmt.Fprintf(&b, "# TYPE %s counter\n%s_total{engine=\"0\",model_name=\"sim-base\"} %g\n", name, name, math.Floor(v))
		}
		gauge("vllm:num_requests_running", math.Round(16*wave))
		gauge("vllm:num_requests_waiting", math.Max(0, math.Round(20*(wave-0.7))))
		gauge("vllm:kv_cache_usage_perc", math.Round(wave*1000)/1000)
		counter("vllm:prompt_tokens", 2400*load)
		counter("vllm:generation_tokens", 600*load)
		counter("vllm:request_success", 6*load)
		counter("vllm:prefix_cache_queries", 2400*load)
		counter("vllm:prefix_cache_hits", 900*load)
		counter("vllm:num_preemptions", 0)
		b.WriteString("# TYPE vllm:lora_requests_info gauge\n")
		fmt.Fprintf(&b, "vllm:lora_requests_info{max_lora=\"2\",running_lora_adapters=\"lora-a\",waiting_lora_adapters=\"\"} %d\n", start.Unix())
		b.WriteString("# TYPE vllm:cache_config_info gauge\nvllm:cache_config_info{block_size=\"16\",num_gpu_blocks=\"27840\"} 1\n")
		return b.String()
	}
}
