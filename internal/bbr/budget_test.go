package bbr

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/igw-dev/igw/internal/envoysim"
	"github.com/igw-dev/igw/internal/sdkbody"
)

const sdkModel = "gpt-4o-2024-08-06"

// envoyChunks is how Envoy cuts a streamed body: its buffers hold 16 KiB.
var envoyChunks = []int{16 << 10}

// TestSDKBodiesRouteAtDefaultFlags: multimodal requests as the OpenAI
// Python SDK sends them (messages first, then model) route at default flags
// up to 32 MiB, in the mode bbr recommends and in BUFFERED, and leave
// nothing held.
func TestSDKBodiesRouteAtDefaultFlags(t *testing.T) {
	bbr := startBBR(t, nil)
	for _, size := range []int{1 << 20, 10 << 20, 12 << 20, 32 << 20} {
		body := sdkbody.VisionChat(sdkModel, size)
		for _, mode := range []envoysim.Mode{envoysim.FullDuplexStreamed, envoysim.Buffered} {
			t.Run(fmt.Sprintf("%dMiB/%v", size>>20, mode), func(t *testing.T) {
				res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: envoyChunks, Mode: mode})
				wantRouted(t, res, body, sdkModel)
				bbr.wantNothingHeld(t)
			})
		}
	}
}

// TestModelPastDefaultLimitIs413: the per-request limit stays, at 64 MiB.
func TestModelPastDefaultLimitIs413(t *testing.T) {
	bbr := startBBR(t, nil)
	body := sdkbody.VisionChat(sdkModel, 64<<20+1<<10)
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: envoyChunks, Mode: envoysim.FullDuplexStreamed})
	wantRejected(t, res, 413, CodeBodyTooLarge, "")
	if msg := string(res.Immediate.GetBody()); !strings.Contains(msg, "67108864 bytes") {
		t.Fatalf("413 message does not name the limit: %s", msg)
	}
	bbr.wantNothingHeld(t)
}

// TestBudgetShedsUnderConcurrentLoad: many model-last requests at once
// against a budget that holds two of them. Each request is routed intact or
// shed with 503 and retry-after, nothing else; the held total never passes
// the budget and returns to zero.
func TestBudgetShedsUnderConcurrentLoad(t *testing.T) {
	const budget, n = 1 << 20, 24
	bbr := startBBR(t, func(o *Options) { o.MaxHeldBytes, o.MaxBodyBytes = budget, budget })
	body := sdkbody.VisionChat(sdkModel, 512<<10)

	var peak peakWatcher
	stop := peak.watch(bbr.srv.handler.held)
	reqs := make([]envoysim.Request, n)
	for i := range reqs {
		reqs[i] = envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: envoyChunks, Mode: envoysim.FullDuplexStreamed}
	}
	results := bbr.runAll(t, reqs)
	stop()

	routed, shed := 0, 0
	for _, res := range results {
		if res.Immediate == nil {
			wantRouted(t, res, body, sdkModel)
			routed++
			continue
		}
		wantShed(t, res)
		shed++
	}
	// Alone, a request fits the budget, so the last one holding always
	// finishes; with n at once, some cannot.
	if routed == 0 || shed == 0 {
		t.Fatalf("%d routed, %d shed; want both", routed, shed)
	}
	if peak.max.Load() > budget {
		t.Fatalf("held %d bytes at peak, budget %d", peak.max.Load(), budget)
	}
	bbr.wantNothingHeld(t)
	for series, want := range map[string]float64{
		`bbr_requests_total{outcome="shed"}`: float64(shed), `bbr_requests_total{outcome="routed"}`: float64(routed),
		"bbr_held_body_bytes_limit": budget,
	} {
		if got := bbr.metricValue(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if r := bbr.readyzJSON(t); r.Status != "serving" || r.MaxHeldBytes != budget {
		t.Errorf("/readyz while shedding: %+v; shedding is per request, the pod stays ready", r)
	}
}

func wantShed(t *testing.T, res *envoysim.Result) {
	t.Helper()
	im := res.Immediate
	if im.GetStatus().GetCode() != 503 {
		t.Fatalf("status %d, want 503 or routed: %s", im.GetStatus().GetCode(), im.GetBody())
	}
	var e openAIError
	if err := json.Unmarshal(im.GetBody(), &e); err != nil || e.Error.Code != CodeOverloaded || e.Error.Type != "server_error" {
		t.Fatalf("503 body %s (%v), want code %s, type server_error", im.GetBody(), err, CodeOverloaded)
	}
	got := map[string]string{}
	for _, h := range im.GetHeaders().GetSetHeaders() {
		got[h.GetHeader().GetKey()] = string(h.GetHeader().GetRawValue())
	}
	if got["retry-after"] != "1" || got["content-type"] != "application/json" {
		t.Fatalf("503 headers %v, want retry-after: 1 and content-type: application/json", got)
	}
}

// peakWatcher samples the held total while a test runs.
type peakWatcher struct {
	max maxInt64
}

type maxInt64 struct {
	mu sync.Mutex
	v  int64
}

func (m *maxInt64) observe(v int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v = max(m.v, v)
}

func (m *maxInt64) Load() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.v
}

func (p *peakWatcher) watch(b *heldBudget) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			p.max.observe(b.Held())
			select {
			case <-done:
				return
			default:
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (tb *testBBR) wantNothingHeld(t *testing.T) {
	t.Helper()
	eventually(t, "held bytes to return to zero", func() bool { return tb.srv.handler.held.Held() == 0 })
	if got := tb.metricValue(t, "bbr_held_body_bytes"); got != 0 {
		t.Fatalf("bbr_held_body_bytes = %v, want 0", got)
	}
}

func (tb *testBBR) readyzJSON(t *testing.T) readiness {
	t.Helper()
	var r readiness
	if err := json.Unmarshal([]byte(tb.readyz(t)), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// heldStream is a request that has sent its headers and part of a
// model-last body, so bbr holds its chunks.
type heldStream struct {
	stream *fullDuplexStream
	cancel context.CancelFunc
}

func holdChunks(t *testing.T, client extprocv3.ExternalProcessorClient, tb *testBBR, chunks int) *heldStream {
	t.Helper()
	before := tb.srv.handler.held.Held()
	ctx, cancel := context.WithCancel(context.Background())
	stream := openFullDuplex(ctx, t, client)
	body := sdkbody.VisionChat(sdkModel, 1<<20)
	for i := range chunks {
		stream.chunk(body[i<<14:(i+1)<<14], false)
	}
	want := before + int64(chunks<<14)
	eventually(t, "the chunks to be held", func() bool { return tb.srv.handler.held.Held() == want })
	return &heldStream{stream: stream, cancel: cancel}
}

// TestHeldBytesReturnToZero: however a stream holding chunks ends, what it
// held is given back, exactly.
func TestHeldBytesReturnToZero(t *testing.T) {
	t.Run("client cancels", func(t *testing.T) {
		bbr := startBBR(t, nil)
		h := holdChunks(t, bbr.client, bbr, 5)
		h.cancel()
		bbr.wantNothingHeld(t)
		wantOutcome(t, bbr, OutcomeCanceled)
	})
	t.Run("connection reset", func(t *testing.T) {
		bbr := startBBR(t, nil)
		conn, err := grpc.NewClient(bbr.addrs.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		h := holdChunks(t, extprocv3.NewExternalProcessorClient(conn), bbr, 3)
		defer h.cancel()
		_ = conn.Close() // the gateway's connection goes away under the stream
		bbr.wantNothingHeld(t)
	})
	t.Run("protocol error", func(t *testing.T) {
		bbr := startBBR(t, nil)
		h := holdChunks(t, bbr.client, bbr, 4)
		defer h.cancel()
		_ = h.stream.Send(&extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{}}})
		if _, err := h.stream.Recv(); err == nil || !strings.Contains(err.Error(), "request headers arrived twice") {
			t.Fatalf("want the protocol error, got %v", err)
		}
		bbr.wantNothingHeld(t)
		wantOutcome(t, bbr, OutcomeError)
	})
	t.Run("client half-closes", func(t *testing.T) {
		bbr := startBBR(t, nil)
		h := holdChunks(t, bbr.client, bbr, 2)
		defer h.cancel()
		_ = h.stream.CloseSend()
		if _, err := h.stream.Recv(); err != io.EOF {
			t.Fatalf("stream ended with %v, want EOF", err)
		}
		bbr.wantNothingHeld(t)
	})
	t.Run("drain timeout", func(t *testing.T) {
		bbr := startBBR(t, func(o *Options) { o.DrainTimeout = 200 * time.Millisecond })
		h := holdChunks(t, bbr.client, bbr, 6)
		defer h.cancel()
		bbr.shutdown(t) // SIGTERM; the stream never finishes, so the timeout cuts it
		if got := bbr.srv.handler.held.Held(); got != 0 {
			t.Fatalf("%d bytes held after the drain", got)
		}
	})
	t.Run("several at once, one shed", func(t *testing.T) {
		bbr := startBBR(t, func(o *Options) { o.MaxHeldBytes, o.MaxBodyBytes = 160<<10, 160<<10 })
		a := holdChunks(t, bbr.client, bbr, 4)
		defer a.cancel()
		b := holdChunks(t, bbr.client, bbr, 5) // 9 x 16 KiB: one more chunk does not fit
		defer b.cancel()
		a.stream.chunk(make([]byte, 32<<10), false)
		r, err := a.stream.Recv()
		if err != nil || r.GetImmediateResponse().GetStatus().GetCode() != 503 {
			t.Fatalf("want 503 for the request that passed the budget, got %v, %v", r, err)
		}
		eventually(t, "the shed request's bytes to be released", func() bool { return bbr.srv.handler.held.Held() == 5<<14 })
		b.cancel()
		bbr.wantNothingHeld(t)
	})
}

func wantOutcome(t *testing.T, tb *testBBR, o Outcome) {
	t.Helper()
	prefix := fmt.Sprintf("bbr_requests_total{outcome=%q}", o)
	eventually(t, prefix, func() bool { return tb.metric(t, prefix) == prefix+" 1" })
}

// TestBudgetFromContainerLimit reads fake cgroup trees: half the limit
// becomes the budget; the Go heap's soft limit is the budget and 64 MiB,
// never above nine tenths of the container's limit.
func TestBudgetFromContainerLimit(t *testing.T) {
	small := t.TempDir()
	writeTree(t, small, map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "67108864\n"})
	for _, tc := range []struct {
		name            string
		root            string
		heldFlag        ByteSize
		budget, goLimit int64
		maxBody         int
	}{
		{"cgroup v2", "../cgroup/testdata/v2", 0, 128 << 20, 192 << 20, 64 << 20},
		{"cgroup v1", "../cgroup/testdata/v1", 0, 64 << 20, 128 << 20 / 10 * 9, 64 << 20},
		{"no limit", "../cgroup/testdata/v2-unlimited", 0, 1 << 30, 1<<30 + 64<<20, 64 << 20},
		{"no cgroup at all", t.TempDir(), 0, 1 << 30, 1<<30 + 64<<20, 64 << 20},
		{"flag wins", "../cgroup/testdata/v2", 200 << 20, 200 << 20, 256 << 20 / 10 * 9, 64 << 20},
		{"flag without a limit", t.TempDir(), 256 << 20, 256 << 20, 320 << 20, 64 << 20},
		// A derived budget below --max-body-bytes lowers the per-request limit to it.
		{"small container", small, 0, 32 << 20, 64 << 20 / 10 * 9, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions()
			o.cgroupRoot, o.MaxHeldBytes = tc.root, tc.heldFlag
			srv, err := NewServer(o, "test", io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.handler.held.Limit(); got != tc.budget {
				t.Errorf("budget %d, want %d", got, tc.budget)
			}
			if got := srv.GoMemoryLimit(); got != tc.goLimit {
				t.Errorf("Go memory limit %d, want %d", got, tc.goLimit)
			}
			if srv.handler.MaxBodyBytes != tc.maxBody {
				t.Errorf("max body bytes %d, want %d", srv.handler.MaxBodyBytes, tc.maxBody)
			}
		})
	}
}

func TestBudgetBelowBodyLimitIsRefused(t *testing.T) {
	o := testOptions()
	o.MaxHeldBytes = 32 << 20
	_, err := NewServer(o, "test", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--max-held-bytes 32Mi is below --max-body-bytes 64Mi") {
		t.Fatalf("error %v; want one naming both flags and their values", err)
	}
	o = testOptions()
	o.cgroupRoot = "../cgroup/testdata/garbled"
	if _, err := NewServer(o, "test", io.Discard); err == nil || !strings.Contains(err.Error(), "set --max-held-bytes") {
		t.Fatalf("unreadable cgroup: error %v; want one that says to set the flag", err)
	}
	// With the flag set, the container's limit is not needed for the
	// budget: bbr starts, with a soft limit for the Go heap from the budget.
	o.MaxHeldBytes = 1 << 30
	srv, err := NewServer(o, "test", io.Discard)
	if err != nil || srv.GoMemoryLimit() != 1<<30+64<<20 {
		t.Fatalf("with --max-held-bytes and an unreadable cgroup: %v, Go limit %d", err, srv.GoMemoryLimit())
	}
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, content)
	}
}

// TestConcurrentBodiesStayApart: body chunks live in pooled buffers that
// carry the next chunk once sent on. Requests with different bodies, held
// and passed through at once in every size of chunk, must each reach
// upstream byte for byte: a buffer given back while still in use would
// show here as one request's bytes in another's body.
func TestConcurrentBodiesStayApart(t *testing.T) {
	bbr := startBBR(t, nil)
	for round := range 3 {
		reqs := make([]envoysim.Request, 16)
		for i := range reqs {
			mode := envoysim.FullDuplexStreamed
			if i%4 == 3 {
				mode = envoysim.Buffered
			}
			reqs[i] = envoysim.Request{Headers: jsonHeaders(), Mode: mode,
				Body:   sdkbody.VisionChat(fmt.Sprintf("model-%d-%d", round, i), 64<<10+i*37<<10),
				Chunks: []int{16 << 10, 1 + i*997, 70 << 10, 3 << 10}}
		}
		for i, res := range bbr.runAll(t, reqs) {
			wantRouted(t, res, reqs[i].Body, fmt.Sprintf("model-%d-%d", round, i))
		}
	}
	bbr.wantNothingHeld(t)
}
