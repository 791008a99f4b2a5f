package livetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/fleet/fleettest"
)

// prometheus starts Debian's Prometheus on a loopback port with a temporary store, scraping
// each target every second with the namespace and pod labels Kubernetes service discovery would
// give it, and stops it when the test ends. It installs the package when missing (CI runs as
// root with Debian's archive reachable) and skips only when it cannot.
func prometheus(t *testing.T, targets map[string][2]string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skip("prometheus is not installed and installing it needs root: apt-get install -y prometheus")
		}
		install := exec.Command("sh", "-c", "apt-get install -y --no-install-recommends prometheus || (apt-get update && apt-get install -y --no-install-recommends prometheus)")
		install.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := install.CombinedOutput(); err != nil {
			t.Skipf("prometheus is not installed and apt-get could not install it: %v\n%s", err, out)
		}
		if bin, err = exec.LookPath("prometheus"); err != nil {
			t.Skip("apt-get installed prometheus, but no prometheus binary is on PATH")
		}
	}
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: pods\n    static_configs:\n")
	for addr, np := range targets {
		fmt.Fprintf(&cfg, "      - targets: [%q]\n        labels: {__meta_namespace: %q, __meta_pod: %q}\n", addr, np[0], np[1])
	}
	// What a PodMonitor's relabelling does with the service discovery's meta labels.
	cfg.WriteString("    relabel_configs:\n      - {source_labels: [__meta_namespace], target_label: namespace}\n      - {source_labels: [__meta_pod], target_label: pod}\n")
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	url := "http://" + addr
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Since(start) > 30*time.Second {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("prometheus not ready in 30s:\n%s", b)
		}
	}
}

// The Prometheus source against a real Prometheus scraping stand-in pods: the same numbers as a
// scrape (running is waiting+1 on the moving page, the hit rate 20/50), rates from rate(),
// trends from the first frame; a pod Prometheus cannot scrape and one it does not know say so;
// the picker's view from its scraped series.
func TestPrometheus(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "prom")
	addIP(t, "10.99.0.7")
	addIP(t, "10.99.0.8")
	good := fleettest.Serve(t, "10.99.0.7", fleettest.VLLM(t))
	down, err := fleettest.ServeOn(t, "10.99.0.8", good.Port, fleettest.VLLM(t))
	if err != nil {
		t.Fatal(err)
	}
	picker := fleettest.Serve(t, "10.99.0.7", fleettest.Static(`# TYPE llm_d_epp_average_kv_cache_utilization gauge
llm_d_epp_average_kv_cache_utilization{name="pp"} 0.5
# TYPE llm_d_epp_per_endpoint_queue_size gauge
llm_d_epp_per_endpoint_queue_size{model_server_endpoint="pp-0",name="pp"} 3
`))
	url := prometheus(t, map[string][2]string{good.Addr: {"prom", "pp-0"}, down.Addr: {"prom", "pp-1"}, picker.Addr: {"prom", "pp-epp-0"}})
	pool(t, d, "prom", "pp", good.Port, map[string]string{"app": "pp"}, "pp-epp", false)
	for i, ip := range []string{"10.99.0.7", "10.99.0.8", "10.99.0.9"} {
		pod(t, k, "prom", fmt.Sprintf("pp-%d", i), ip, map[string]string{"app": "pp"})
	}
	// Let Prometheus gather some history, then take the down pod away until it sees so.
	promWait(t, url, `count_over_time(up{pod="pp-0"}[1m]) >= 6`)
	down.Close()
	promWait(t, url, `up{pod="pp-1"} == 0`)

	src, err := fleet.NewPrometheus(url, bed.Config, fleet.Options{Namespace: "prom", Interval: time.Second, History: 5, RateWindow: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := until(t, src.Run(ctx), 20*time.Second, "the first frame with three pods", func(s fleet.Snapshot) bool { return len(podsOf(s, "pp")) == 3 })
	if s.Source != "prometheus" || s.Scope != "namespace prom from "+url || len(s.Errors) != 0 {
		t.Errorf("source %q, scope %q, errors %q", s.Source, s.Scope, s.Errors)
	}
	pods := podsOf(s, "pp")
	p0 := pods["pp-0"]
	if p0.Sample == nil || p0.Error != "" || p0.Engine != "vllm" || p0.EngineFrom != "metrics" || *p0.Sample.Running != *p0.Sample.Waiting+1 ||
		p0.Sample.KVCacheMetric != "vllm:kv_cache_usage_perc" || p0.Sample.Counters["vllm:prompt_tokens_total"] != 100**p0.Sample.Waiting {
		t.Errorf("pp-0 %+v %+v", p0, p0.Sample)
	}
	if l := p0.Sample.LoRA; l == nil || strings.Join(l.Running, ",") != "sql-lora,tweet-lora" || strings.Join(l.Waiting, ",") != "chat-lora" || l.Max != 4 {
		t.Errorf("LoRA %+v", l)
	}
	if r := p0.Rates; r.PromptTokens == nil || *r.PromptTokens < 20 || *r.PromptTokens > 500 || r.PrefixCacheHitRate == nil || *r.PrefixCacheHitRate != 0.4 {
		t.Errorf("rates %+v", r)
	}
	if h := p0.History; len(h.Waiting) < 4 || len(h.Waiting) > 5 || len(h.KVCache) < 4 || h.Waiting[len(h.Waiting)-1] <= h.Waiting[0] {
		t.Errorf("history from the first frame %+v", h)
	}
	if p := pods["pp-1"]; !strings.Contains(p.Error, "up is 0") || !p.Stale {
		t.Errorf("pp-1 (down) %+v", p)
	}
	if p := pods["pp-2"]; p.Sample != nil || !strings.Contains(p.Error, "Prometheus has no model server metrics with namespace=prom, pod=pp-2") {
		t.Errorf("pp-2 (not scraped) %+v", p)
	}
	if pk := poolOf(s, "pp").Picker; pk == nil || pk.Metrics != "llm_d_epp" || pk.AvgKVCache == nil || *pk.AvgKVCache != 0.5 || pk.PerEndpointQueue["pp-0"] != 3 {
		t.Errorf("picker %+v", pk)
	}
}

// promWait waits until the PromQL expression q has a result.
func promWait(t *testing.T, url, q string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 60*time.Second; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(url + "/api/v1/query?query=" + neturl.QueryEscape(q))
		if err != nil {
			continue
		}
		var body struct {
			Data struct{ Result []any }
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err == nil && len(body.Data.Result) > 0 {
			return
		}
	}
	t.Fatalf("Prometheus: %s had no result within a minute", q)
}
