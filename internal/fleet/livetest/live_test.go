package livetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/fleet/fleettest"
)

func podsOf(s fleet.Snapshot, pool string) map[string]fleet.Pod {
	out := map[string]fleet.Pod{}
	for _, p := range s.Pools {
		if p.Name == pool {
			for _, pod := range p.Pods {
				out[pod.Name] = pod
			}
		}
	}
	return out
}

func poolOf(s fleet.Snapshot, name string) *fleet.Pool {
	for i := range s.Pools {
		if s.Pools[i].Name == name {
			return &s.Pools[i]
		}
	}
	return nil
}

// Through the API server's real pod proxy: a v1 pool's pods answer with moving numbers, its
// picker through services/proxy; pods created while watching appear and deleted ones go; an
// alpha pool with an older picker is found too.
func TestPodProxy(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "llm")
	ips := []string{podIP, "10.99.0.3", "10.99.0.4"}
	servers := map[string]*fleettest.Pod{}
	var port int32
	for i, ip := range ips {
		addIP(t, ip)
		srv := fleettest.Serve(t, ip, fleettest.VLLM(t))
		if i > 0 {
			// One port for the pool: every pod's server must listen on the first one's.
			srv.Close()
			srv = serveOn(t, ip, port)
		}
		port = srv.Port
		servers[ip] = srv
	}
	picker := fleettest.Serve(t, podIP, fleettest.Static(`# TYPE llm_d_epp_average_kv_cache_utilization gauge
llm_d_epp_average_kv_cache_utilization{name="qwen"} 0.5
# TYPE llm_d_epp_average_queue_size gauge
llm_d_epp_average_queue_size{name="qwen"} 3
# TYPE llm_d_epp_ready_endpoints gauge
llm_d_epp_ready_endpoints{name="qwen"} 2
# TYPE llm_d_epp_per_endpoint_queue_size gauge
llm_d_epp_per_endpoint_queue_size{model_server_endpoint="qwen-0",name="qwen"} 1
llm_d_epp_per_endpoint_queue_size{model_server_endpoint="qwen-1",name="qwen"} 2
`))
	pickerService(t, k, "llm", "qwen-epp", podIP, picker.Port)
	pool(t, d, "llm", "qwen", port, map[string]string{"app": "qwen"}, "qwen-epp", false)
	pod(t, k, "llm", "qwen-0", ips[0], map[string]string{"app": "qwen", "llm-d.ai/engine-type": "vllm"})
	pod(t, k, "llm", "qwen-1", ips[1], map[string]string{"app": "qwen"})
	pod(t, k, "llm", "other", ips[2], map[string]string{"app": "other"})

	src, err := fleet.NewLive(bed.Config, fleet.Options{Namespace: "llm", Interval: 200 * time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := src.Run(ctx)
	s := until(t, ch, 20*time.Second, "two pods with two samples each", func(s fleet.Snapshot) bool {
		pods := podsOf(s, "qwen")
		return len(pods) == 2 && pods["qwen-0"].Rates.PromptTokens != nil && pods["qwen-1"].Rates.PromptTokens != nil
	})
	if s.Source != "pod-proxy" || s.Scope != "namespace llm" || len(s.Errors) != 0 {
		t.Errorf("snapshot %q %q %q", s.Source, s.Scope, s.Errors)
	}
	p := poolOf(s, "qwen")
	if p.Group != "inference.networking.k8s.io" || p.Selector != "app=qwen" || len(p.TargetPorts) != 1 || p.TargetPorts[0] != port ||
		p.Totals.Pods != 2 || p.Totals.Ready != 2 || p.Totals.Reporting != 2 {
		t.Errorf("pool %+v", p)
	}
	pods := podsOf(s, "qwen")
	if q := pods["qwen-0"]; q.EngineFrom != "label" || q.IP != ips[0] || q.Node != "node-1" || !q.Ready || q.Error != "" || *q.Sample.Waiting < 1 {
		t.Errorf("qwen-0 %+v", q)
	}
	if q := pods["qwen-1"]; q.EngineFrom != "metrics" || q.Engine != "vllm" {
		t.Errorf("qwen-1 %+v", q)
	}
	if pk := p.Picker; pk == nil || pk.Error != "" || pk.Metrics != "llm_d_epp" || *pk.AvgKVCache != 0.5 || *pk.AvgQueue != 3 || *pk.ReadyEndpoints != 2 ||
		pk.PerEndpointQueue["qwen-1"] != 2 || pk.Target != "service llm/qwen-epp:9090" {
		t.Errorf("picker %+v", pk)
	}

	// A pod comes, one goes.
	pod(t, k, "llm", "qwen-2", ips[2], map[string]string{"app": "qwen"})
	until(t, ch, 10*time.Second, "qwen-2 appears with a sample", func(s fleet.Snapshot) bool {
		return podsOf(s, "qwen")["qwen-2"].Sample != nil
	})
	deletePod(t, k, "llm", "qwen-0")
	until(t, ch, 10*time.Second, "qwen-0 disappears", func(s fleet.Snapshot) bool {
		pods := podsOf(s, "qwen")
		_, there := pods["qwen-0"]
		return !there && len(pods) == 2
	})

	// A pod whose server is gone: the API server cannot reach it; the row keeps its sample.
	servers[ips[1]].Close()
	s = until(t, ch, 10*time.Second, "qwen-1 stale", func(s fleet.Snapshot) bool { return podsOf(s, "qwen")["qwen-1"].Stale })
	if q := podsOf(s, "qwen")["qwen-1"]; q.Sample == nil || !strings.Contains(q.Error, "the API server could not reach it") {
		t.Errorf("unreachable pod %+v", q)
	}

	// Pause and interval.
	src.SetPaused(true)
	time.Sleep(300 * time.Millisecond)
	drain(ch)
	select {
	case s := <-ch:
		t.Errorf("a snapshot while paused at %s", s.Time)
	case <-time.After(700 * time.Millisecond):
	}
	src.SetInterval(300 * time.Millisecond)
	src.SetPaused(false)
	s = until(t, ch, 5*time.Second, "a snapshot after unpausing", func(fleet.Snapshot) bool { return true })
	if s.Interval != fleet.Duration(300*time.Millisecond) {
		t.Errorf("interval %s", time.Duration(s.Interval))
	}
	cancel()
	for range ch {
	}
}

func drain(ch <-chan fleet.Snapshot) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// serveOn serves a moving vLLM page on ip:port.
func serveOn(t *testing.T, ip string, port int32) *fleettest.Pod {
	t.Helper()
	p, err := fleettest.ServeOn(t, ip, port, fleettest.VLLM(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An alpha pool with a picker of the inference extension's generation; Direct reach to the pod
// IPs; the whole cluster in scope.
func TestAlphaPoolDirect(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "alpha")
	addIP(t, "10.99.0.5")
	srv := fleettest.Serve(t, "10.99.0.5", fleettest.Static(fleettest.Page(t, "sglang-full.txt")))
	picker := fleettest.Serve(t, "10.99.0.5", fleettest.Static(`# TYPE inference_pool_average_kv_cache_utilization gauge
inference_pool_average_kv_cache_utilization{name="old"} 0.25
# TYPE inference_pool_ready_pods gauge
inference_pool_ready_pods{name="old"} 1
# TYPE inference_pool_per_pod_queue_size gauge
inference_pool_per_pod_queue_size{model_server_pod="old-0",name="old"} 4
`))
	pickerService(t, k, "alpha", "old-epp", "10.99.0.5", picker.Port)
	pool(t, d, "alpha", "old", srv.Port, map[string]string{"app": "old"}, "old-epp", true)
	pod(t, k, "alpha", "old-0", "10.99.0.5", map[string]string{"app": "old", "inference.networking.k8s.io/engine-type": "sglang"})
	src, err := fleet.NewLive(bed.Config, fleet.Options{AllNamespaces: true, Pool: "old", Reach: fleet.Direct, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := until(t, src.Run(ctx), 20*time.Second, "the alpha pool's pod and picker", func(s fleet.Snapshot) bool {
		p := poolOf(s, "old")
		return p != nil && len(p.Pods) == 1 && p.Pods[0].Sample != nil && p.Picker != nil && p.Picker.Error == "" && p.Picker.AvgKVCache != nil
	})
	p := poolOf(s, "old")
	if len(s.Pools) != 1 || p.Group != "inference.networking.x-k8s.io" || s.Source != "direct" || s.Scope != "pool old in all namespaces" {
		t.Errorf("%s", dump(s))
	}
	if q := p.Pods[0]; q.Engine != "sglang" || q.EngineFrom != "label" || *q.Sample.KVCache != 0.4 {
		t.Errorf("pod %+v", q)
	}
	if pk := p.Picker; pk.Metrics != "inference_pool" || *pk.ReadyEndpoints != 1 || pk.PerEndpointQueue["old-0"] != 4 || pk.AvgQueue != nil {
		t.Errorf("picker %+v", pk)
	}
}

// A user without pods/proxy: the row says which permission is missing; without services/proxy
// the picker does.
func TestRBAC(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "rbac")
	addIP(t, "10.99.0.6")
	srv := fleettest.Serve(t, "10.99.0.6", fleettest.VLLM(t))
	pickerService(t, k, "rbac", "p-epp", "10.99.0.6", srv.Port)
	pool(t, d, "rbac", "p", srv.Port, map[string]string{"app": "p"}, "p-epp", false)
	pod(t, k, "rbac", "p-0", "10.99.0.6", map[string]string{"app": "p"})
	cfg := user(t, k, "no-proxy", "rbac", "pods/proxy", "services/proxy")
	src, err := fleet.NewLive(cfg, fleet.Options{Namespace: "rbac", Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := until(t, src.Run(ctx), 20*time.Second, "a scrape refused", func(s fleet.Snapshot) bool {
		return podsOf(s, "p")["p-0"].Missed > 0 && poolOf(s, "p").Picker != nil
	})
	if e := podsOf(s, "p")["p-0"].Error; !strings.HasPrefix(e, `RBAC: needs "get" on "pods/proxy" in namespace rbac`) {
		t.Errorf("pod error %q", e)
	}
	if e := poolOf(s, "p").Picker.Error; !strings.HasPrefix(e, `RBAC: needs "get" on "services/proxy" in namespace rbac`) {
		t.Errorf("picker error %q", e)
	}

	// Without pods: the watch error says so.
	cfg = user(t, k, "no-pods", "rbac", "pods")
	src, err = fleet.NewLive(cfg, fleet.Options{Namespace: "rbac", Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	until(t, src.Run(ctx), 20*time.Second, "the pods watch refused", func(s fleet.Snapshot) bool {
		return len(s.Errors) > 0 && strings.HasPrefix(s.Errors[0], `RBAC: needs "list" and "watch" on "pods" in namespace rbac`)
	})
}

// Port-forwards go through the API server to a kubelet, which the test bed does not run: the
// row says the forward failed, within the timeout, instead of hanging the refresh. (The path
// through a kubelet is not exercised here.)
func TestPortForwardWithoutKubelet(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "pf")
	pool(t, d, "pf", "f", 8000, map[string]string{"app": "f"}, "f-epp", false)
	pod(t, k, "pf", "f-0", podIP, map[string]string{"app": "f"})
	src, err := fleet.NewLive(bed.Config, fleet.Options{Namespace: "pf", Reach: fleet.PortForward, Interval: 500 * time.Millisecond,
		Timeout: 2 * time.Second, NoPicker: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := until(t, src.Run(ctx), 20*time.Second, "a failed forward", func(s fleet.Snapshot) bool { return podsOf(s, "f")["f-0"].Missed > 0 })
	if p := podsOf(s, "f")["f-0"]; p.Error == "" || p.Sample != nil || s.Source != "port-forward" {
		t.Errorf("%+v (source %s)", p, s.Source)
	}
	t.Logf("without a kubelet: %s", podsOf(s, "f")["f-0"].Error)
}

// A named pool that does not exist is refused before anything is watched, naming the pools
// that do, in the alpha group too.
func TestMissingPool(t *testing.T) {
	k, d := clients(t)
	namespace(t, k, "missing")
	pool(t, d, "missing", "here", 8000, map[string]string{"app": "here"}, "here-epp", false)
	pool(t, d, "missing", "old-here", 8000, map[string]string{"app": "old"}, "old-epp", true)
	_, err := fleet.NewLive(bed.Config, fleet.Options{Namespace: "missing", Pool: "nope"})
	if err == nil || err.Error() != "no InferencePool nope in namespace missing; the pools there: missing/here, missing/old-here" {
		t.Errorf("NewLive of a missing pool: %v", err)
	}
	if _, err := fleet.NewLive(bed.Config, fleet.Options{Namespace: "missing", Pool: "old-here"}); err != nil {
		t.Errorf("an alpha pool by name: %v", err)
	}
	_, err = fleet.NewLive(bed.Config, fleet.Options{Namespace: "empty-ns", Pool: "nope"})
	if err == nil || !strings.Contains(err.Error(), "no InferencePool nope in namespace empty-ns, and none other there") {
		t.Errorf("NewLive in a namespace without pools: %v", err)
	}
}
