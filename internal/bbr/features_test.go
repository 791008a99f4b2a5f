package bbr

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/igw-dev/igw/internal/envoysim"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (tb *testBBR) baseOf(t *testing.T, model string) (string, bool) {
	t.Helper()
	res := tb.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"` + model + `"}`), Mode: envoysim.FullDuplexStreamed})
	if res.Immediate != nil {
		t.Fatalf("rejected: %s", res.Immediate.GetBody())
	}
	return res.Headers.Get(HeaderBaseModelName)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdaptersFileAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapters.yaml")
	writeFile(t, path, "- baseModel: llama-base\n  adapters: [food-review-1, sql-lora]\n- baseModel: qwen\n")
	bbr := startBBR(t, func(o *Options) { o.AdaptersFile = path; o.adaptersPoll = 20 * time.Millisecond })
	for model, want := range map[string]string{"food-review-1": "llama-base", "sql-lora": "llama-base", "llama-base": "llama-base", "qwen": "qwen"} {
		if got, _ := bbr.baseOf(t, model); got != want {
			t.Fatalf("base of %s = %q, want %q", model, got, want)
		}
	}
	if got, ok := bbr.baseOf(t, "unknown"); ok {
		t.Fatalf("unknown model got a base header %q", got)
	}

	writeFile(t, path, "- baseModel: llama-base\n  adapters: [food-review-2]\n")
	eventually(t, "the reloaded mapping", func() bool { b, _ := bbr.baseOf(t, "food-review-2"); return b == "llama-base" })
	if got, ok := bbr.baseOf(t, "food-review-1"); ok {
		t.Fatalf("removed adapter still mapped to %q", got)
	}

	// A broken edit keeps the last good mapping and says so in /readyz.
	writeFile(t, path, "- adapters: [no-base]\n")
	eventually(t, "the reload error in /readyz", func() bool {
		return strings.Contains(bbr.readyz(t), "has no baseModel")
	})
	if b, _ := bbr.baseOf(t, "food-review-2"); b != "llama-base" {
		t.Fatalf("a bad edit dropped the mapping: %q", b)
	}
}

func (tb *testBBR) readyz(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + tb.addrs.Metrics + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	_ = json.NewEncoder(&b).Encode(r)
	return b.String()
}

func TestStartupErrorsNameTheProblem(t *testing.T) {
	defer func() {
		// A server that failed to start must not leave its stream workers
		// (nor may earlier tests' servers, stopped by now).
		eventually(t, "no stream workers left by servers that failed to start", func() bool {
			return countStacks("(*Server).serverWorker") == 0
		})
	}()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "rules: [{field: stream}]\n")
	badMap := filepath.Join(dir, "map.yaml")
	writeFile(t, badMap, "baseModel: not-a-list\n")
	cases := map[string]struct {
		edit func(*Options)
		want string
	}{
		"rule without header":   {func(o *Options) { o.RulesFile = bad }, "header is required"},
		"missing rules file":    {func(o *Options) { o.RulesFile = filepath.Join(dir, "nope") }, "--rules-file"},
		"mapping not a list":    {func(o *Options) { o.AdaptersFile = badMap }, "--adapters-file"},
		"port clash":            {func(o *Options) { o.GRPCPort, o.HealthPort = 19004, 19004 }, "give each its own port"},
		"bad mode":              {func(o *Options) { o.RequestBodyMode = "FAST" }, "unknown body mode"},
		"unknown plugin":        {func(o *Options) { o.Plugins = []string{"model-rewrite:x"} }, "unknown plugin type"},
		"bad header name":       {func(o *Options) { o.ModelHeaders = []string{"x bad"} }, "invalid character"},
		"header used twice":     {func(o *Options) { o.BaseModelHeader = HeaderModelName }, "used twice"},
		"cert without key":      {func(o *Options) { o.CertFile = "c.pem" }, "go together"},
		"configmaps no cluster": {func(o *Options) { o.ConfigMaps = "true"; o.Kubeconfig = filepath.Join(dir, "none") }, "--kubeconfig"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			o.BindAddress, o.GRPCPort, o.HealthPort, o.MetricsPort, o.SecureServing = "127.0.0.1", 0, 0, 0, false
			c.edit(o)
			srv, err := NewServer(o, "test", os.Stderr)
			if err == nil {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				err = srv.Serve(ctx)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestRulesPromoteFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, path, "rules:\n- field: stream\n  header: x-gateway-stream\n- field: user\n  header: X-Gateway-User\n  maxLength: 8\n")
	bbr := startBBR(t, func(o *Options) { o.RulesFile = path; o.MaxBodyBytes = 8 << 10 })
	// An optional rule field missing from a body past the limit must not
	// turn into a 413: only the model has to come early.
	big := chatBody("m", 32<<10, true)
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: big, Chunks: []int{1024}, Mode: envoysim.FullDuplexStreamed})
	wantRouted(t, res, big, "m")
	res = bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"m","user":"ann","stream":true}`), Mode: envoysim.FullDuplexStreamed})
	if s, _ := res.Headers.Get("x-gateway-stream"); s != "true" {
		t.Fatalf("stream header %q", s)
	}
	if u, _ := res.Headers.Get("x-gateway-user"); u != "ann" {
		t.Fatalf("user header %q", u)
	}
	res = bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"m","user":"someone-long"}`), Mode: envoysim.FullDuplexStreamed})
	wantRejected(t, res, 400, CodeFieldTooLong, "user")
	res = bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"m","stream":{"x":1}}`), Mode: envoysim.Buffered})
	wantRejected(t, res, 400, CodeFieldInvalid, "stream")
	res = bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"m","stream":true,"stream":false}`), Mode: envoysim.Buffered})
	wantRejected(t, res, 400, CodeDuplicateField, "stream")
}

// TestUpstreamPluginFlags: the upstream chart's arguments work unchanged.
func TestUpstreamPluginFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapters.yaml")
	writeFile(t, path, "- baseModel: qwen\n  adapters: [sql-lora-sheddable]\n")
	bbr := startBBR(t, func(o *Options) {
		o.AdaptersFile = path
		o.Streaming = true
		o.Plugins = []string{
			`body-field-to-header:model-extractor:{"fieldName":"model","headerName":"X-Gateway-Model-Name"}`,
			`body-field-to-header:prio:{"fieldName":"priority","headerName":"X-Priority"}`,
			"base-model-to-header:base-model-mapper",
		}
	})
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"sql-lora-sheddable","priority":3}`),
		Mode: envoysim.FullDuplexStreamed, NoProtocolConfig: true})
	for h, want := range map[string]string{HeaderModelName: "sql-lora-sheddable", HeaderBaseModelName: "qwen", "x-priority": "3"} {
		if got, _ := res.Headers.Get(h); got != want {
			t.Fatalf("%s = %q, want %q", h, got, want)
		}
	}
}

// TestDrain: on shutdown bbr reports NOT_SERVING at once, refuses new
// streams, and lets a stream already in flight finish.
func TestDrain(t *testing.T) {
	bbr := startBBR(t, nil)
	hconn, err := grpc.NewClient(bbr.addrs.Health, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer hconn.Close()
	health := healthpb.NewHealthClient(hconn)
	check := func() healthpb.HealthCheckResponse_ServingStatus {
		r, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: extprocv3.ExternalProcessor_ServiceDesc.ServiceName})
		if err != nil {
			return healthpb.HealthCheckResponse_UNKNOWN
		}
		return r.GetStatus()
	}
	if s := check(); s != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v before drain", s)
	}
	// The ext_proc port answers health checks too, for gateways that
	// probe the port they call.
	if r, err := healthpb.NewHealthClient(bbr.conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health on the ext_proc port: %v %v", r, err)
	}

	stream := openFullDuplex(context.Background(), t, bbr.client)
	stream.chunk([]byte(`{"prompt":"x",`), false)
	eventually(t, "the stream to be in flight", func() bool {
		return strings.HasSuffix(bbr.metric(t, "bbr_streams_in_flight "), " 1")
	})

	bbr.stop() // what SIGTERM does
	// A new stream is refused once draining has begun.
	eventually(t, "new streams to be refused", func() bool {
		res, err := envoysim.Run(context.Background(), bbr.client, envoysim.Request{Headers: jsonHeaders(), Mode: envoysim.FullDuplexStreamed})
		return err != nil && (res == nil || res.Immediate == nil)
	})
	eventually(t, "NOT_SERVING", func() bool { return check() != healthpb.HealthCheckResponse_SERVING })

	stream.chunk([]byte(`"model":"late"}`), true)
	first, err := stream.Recv()
	if err != nil {
		t.Fatalf("in-flight stream cut by drain: %v", err)
	}
	if v := first.GetRequestHeaders().GetResponse().GetHeaderMutation().GetSetHeaders(); len(v) == 0 || string(v[0].GetHeader().GetRawValue()) != "late" {
		t.Fatalf("unexpected answer during drain: %v", first)
	}
	_ = stream.CloseSend()
	select {
	case err := <-bbr.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not finish draining")
	}
	bbr.stop = nil
	_ = bbr.conn.Close()
}

func TestMetricsCountOutcomes(t *testing.T) {
	bbr := startBBR(t, nil)
	bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: chatBody("m", 10<<10, false), Chunks: []int{1024}, Mode: envoysim.FullDuplexStreamed})
	bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"a","model":"b"}`), Mode: envoysim.FullDuplexStreamed})
	bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"x":1}`), Mode: envoysim.Buffered})
	for prefix, want := range map[string]string{
		`bbr_requests_total{outcome="routed"}`:            " 1",
		`bbr_requests_total{outcome="rejected"}`:          " 1",
		`bbr_requests_total{outcome="no_model"}`:          " 1",
		`bbr_rejections_total{code="duplicate_model"}`:    " 1",
		`bbr_streams_in_flight `:                          " 0",
		`bbr_held_body_bytes `:                            " 0",
		`bbr_decision_offset_bytes_count`:                 " 2",
		`bbr_decision_duration_seconds_count`:             " 2",
		`bbr_request_body_bytes_count`:                    " 3",
		`bbr_adapter_mapping_entries{kind="base_models"}`: " 0",
	} {
		eventually(t, prefix, func() bool { return strings.HasSuffix(bbr.metric(t, prefix), want) })
	}
	if strings.Contains(bbr.metric(t, "bbr_"), `"a"`) {
		t.Fatal("a model name leaked into a metric label")
	}
}

// TestServesWithoutAPIServer: a configured but unreachable cluster never
// stops bbr; it routes, and says what is wrong in /readyz and metrics.
func TestServesWithoutAPIServer(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	writeFile(t, kc, `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "http://127.0.0.1:1"}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
users: [{name: u, user: {token: x}}]
current-context: gone
`)
	bbr := startBBR(t, func(o *Options) { o.ConfigMaps, o.Kubeconfig = "true", kc })
	eventually(t, "the watch error in /readyz", func() bool { return strings.Contains(bbr.readyz(t), "connection refused") })
	eventually(t, "the error metric", func() bool {
		m := bbr.metric(t, `bbr_adapter_source_errors_total{source="configmaps"}`)
		return m != "" && !strings.HasSuffix(m, " 0")
	})
	if m := bbr.metric(t, `bbr_adapter_source_synced{source="configmaps"}`); !strings.HasSuffix(m, " 0") {
		t.Fatalf("synced gauge %q, want 0", m)
	}
	body := chatBody("still-routing", 100, true)
	wantRouted(t, bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Mode: envoysim.FullDuplexStreamed}), body, "still-routing")
}
