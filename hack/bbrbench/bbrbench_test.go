package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/sdkbody"
)

func TestBuildBody(t *testing.T) {
	for _, size := range []int{1 << 10, 100 << 10, 1 << 20, 1<<10 + 1, 4097, 300} {
		for _, last := range []bool{false, true} {
			b := buildBody(size, last)
			if len(b) != size {
				t.Fatalf("size %d last=%v: got %d bytes", size, last, len(b))
			}
			var req struct {
				Model    string `json:"model"`
				Messages []struct {
					Role, Content string
				} `json:"messages"`
				MaxTokens int `json:"max_tokens"`
			}
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatalf("size %d last=%v: invalid JSON: %v", size, last, err)
			}
			if req.Model != benchModel || len(req.Messages) != 1 || req.MaxTokens != 128 {
				t.Fatalf("size %d last=%v: unexpected request %+v", size, last, req)
			}
			c := req.Messages[0].Content
			if !strings.Contains(c, "\n") || !strings.Contains(c, `"`) {
				t.Fatalf("size %d: content lacks newlines or quotes, so no escapes to scan", size)
			}
			at := bytes.Index(b, []byte(`"model"`))
			if !last && at != 1 {
				t.Fatalf("size %d: model at %d, want first (1)", size, at)
			}
			if last && !bytes.HasSuffix(b, []byte(`,"model":"`+benchModel+`"}`)) {
				t.Fatalf("size %d: model is not the last field: ...%s", size, b[len(b)-60:])
			}
		}
	}
}

// Every cut of the prose must stay valid JSON, including cuts inside an
// escape.
func TestFillContentEveryCut(t *testing.T) {
	for n := 0; n < 700; n++ {
		s := append(append([]byte(`"`), fillContent(n)...), '"')
		if len(s) != n+2 || !json.Valid(s) {
			t.Fatalf("cut at %d: %q is not a valid JSON string of that length", n, s)
		}
	}
}

func TestBuildBodyBelowMinimum(t *testing.T) {
	if b := buildBody(10, false); !json.Valid(b) {
		t.Fatalf("tiny body is not valid JSON: %s", b)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
	} {
		if got := percentile(c.in, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.in, c.p, got, c.want)
		}
	}
	d := ms(5, 1, 4, 2, 3)
	sortDurations(d)
	if percentile(d, 50) != 3*time.Millisecond {
		t.Errorf("median of sorted 1..5 = %v", percentile(d, 50))
	}
}

func TestParseAndFormatSize(t *testing.T) {
	for in, want := range map[string]int{"1KiB": 1 << 10, " 100KiB": 100 << 10, "1MiB": 1 << 20, "10Mi": 10 << 20, "4096": 4096} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1KiB", "1GB", "KiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	for n, want := range map[int]string{1 << 10: "1 KiB", 100 << 10: "100 KiB", 10 << 20: "10 MiB", 1500: "1500 B"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWorkloadChunks(t *testing.T) {
	body := buildBody(40<<10, false)
	w := newWorkload(body, benchModel)
	if len(w.msgs) != 1+3 {
		t.Fatalf("40 KiB in 16 KiB chunks: %d messages, want headers + 3", len(w.msgs))
	}
	var got []byte
	for i, m := range w.msgs[1:] {
		rb := m.GetRequestBody()
		got = append(got, rb.GetBody()...)
		if rb.GetEndOfStream() != (i == 2) {
			t.Fatalf("chunk %d: end_of_stream %v", i, rb.GetEndOfStream())
		}
	}
	if !bytes.Equal(got, body) {
		t.Fatal("chunks do not reassemble into the body")
	}
	if w.msgs[0].GetProtocolConfig() == nil {
		t.Fatal("first message lacks protocol_config")
	}
}

// The load generator against the in-process echo server: clean runs count
// no failures, and a missing model header counts every request as failed.
func TestLoadAgainstEcho(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newEchoServer()
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := dial(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := extprocv3.NewExternalProcessorClient(conn)
	plan := loadPlan{streams: 2, until: 100 * time.Millisecond, atLeast: 5, hardStop: 5 * time.Second}

	body := buildBody(100<<10, true)
	st := runLoad(context.Background(), client, newWorkload(body, ""), plan)
	if st.Failures != 0 || st.Requests < 5 || st.P50 <= 0 || st.P99 < st.P50 {
		t.Fatalf("clean run: %+v", st)
	}

	st = runLoad(context.Background(), client, newWorkload(body, benchModel), plan)
	if st.Requests != 0 || st.Failures < 5 || !strings.Contains(st.Errors[0], modelHeader) {
		t.Fatalf("run expecting a model header from echo: %d ok, %d failed, errors %q", st.Requests, st.Failures, st.Errors)
	}
}

func TestParseCallgrindTotal(t *testing.T) {
	dump := "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\nfn=(1) main\n0 12\nsummary: 987654321\n\n\ntotals: 987654321\n"
	if got, err := parseCallgrindTotal(strings.NewReader(dump)); err != nil || got != 987654321 {
		t.Fatalf("parseCallgrindTotal = %d, %v", got, err)
	}
	if _, err := parseCallgrindTotal(strings.NewReader("events: Ir\nfn=(1) main\n0 12\n")); err == nil {
		t.Fatal("a dump without totals parsed")
	}
	if _, err := parseCallgrindTotal(strings.NewReader("summary: lots\n")); err == nil {
		t.Fatal("a non-numeric summary parsed")
	}
}

// TestEchoMatchesBBRServerOptions keeps the floor honest: echo runs with
// bbr's default gRPC settings, or the ratio would measure the settings.
func TestEchoMatchesBBRServerOptions(t *testing.T) {
	if streamWorkers != bbr.DefaultStreamWorkers {
		t.Fatalf("echo runs %d stream workers, bbr %d by default", streamWorkers, bbr.DefaultStreamWorkers)
	}
	if maxMessageBytes != bbr.MaxMessageBytes {
		t.Fatalf("echo's message limit %d, bbr's %d", maxMessageBytes, bbr.MaxMessageBytes)
	}
}

func TestProcFields(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	v := procFields("/proc/self/status", "Threads", "no_such_field", "voluntary_ctxt_switches")
	if v[0] < 1 || v[1] != 0 || v[2] < 1 {
		t.Fatalf("Threads, a missing field, voluntary switches: %v", v)
	}
	if v := procFields("/proc/self/no-such-file", "x"); v[0] != 0 {
		t.Fatalf("unreadable file: %v", v)
	}
}

// TestOverloadAgainstBBR runs the overload run's load against a real bbr
// with a budget that holds two requests: sheds are recognised as bbr's
// 503s and counted apart, nothing else fails, and the held-bytes sampler
// sees the budget fill without passing it.
func TestOverloadAgainstBBR(t *testing.T) {
	o := bbr.DefaultOptions()
	o.BindAddress, o.GRPCPort, o.HealthPort, o.MetricsPort = "127.0.0.1", 0, 0, 0
	o.SecureServing, o.ConfigMaps, o.LogLevel = false, "false", "error"
	const budget = 1 << 20
	o.MaxHeldBytes, o.MaxBodyBytes = budget, budget
	srv, err := bbr.NewServer(o, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	addrs := <-srv.Ready()
	conn, err := dial(addrs.GRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := extprocv3.NewExternalProcessorClient(conn)
	w := newWorkload(sdkbody.VisionChat(benchModel, 512<<10), benchModel)

	held := sampleHeld("http://" + addrs.Metrics)
	st := runLoad(context.Background(), client, w, loadPlan{streams: 12, until: 300 * time.Millisecond, shedOK: true})
	peak := held.Peak()
	if st.Failures != 0 || st.Shed == 0 || st.Requests == 0 {
		t.Fatalf("%d routed, %d shed, %d failed (%q); want routed and shed, no failures", st.Requests, st.Shed, st.Failures, st.Errors)
	}
	if peak <= 0 || peak > budget {
		t.Fatalf("held at peak %d, want within (0, %d]", peak, budget)
	}
	st = runLoad(context.Background(), client, w, loadPlan{streams: 12, until: 200 * time.Millisecond})
	if st.Shed != 0 || st.Failures == 0 || !strings.Contains(st.Errors[0], "503") {
		t.Fatalf("without shedOK a shed must count as a failure: %+v", st)
	}
}
