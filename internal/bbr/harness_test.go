package bbr

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/igw-dev/igw/internal/envoysim"
)

// testBBR is a real bbr serving on loopback, reached over real gRPC.
type testBBR struct {
	srv    *Server
	addrs  Addrs
	client extprocv3.ExternalProcessorClient
	conn   *grpc.ClientConn
	stop   context.CancelFunc
	done   chan error
}

// testOptions are bbr's defaults on loopback ports, in plaintext, without a
// cluster, quiet.
func testOptions() *Options {
	o := DefaultOptions()
	o.BindAddress, o.GRPCPort, o.HealthPort, o.MetricsPort = "127.0.0.1", 0, 0, 0
	o.SecureServing, o.ConfigMaps, o.LogLevel = false, "false", "error"
	o.DrainTimeout = 5 * time.Second
	return o
}

// startBBR runs bbr with test-friendly defaults changed by edit.
func startBBR(t testing.TB, edit func(*Options)) *testBBR {
	t.Helper()
	return startBBRLogging(t, edit, io.Discard)
}

// startBBRLogging is startBBR with bbr's log written to logs.
func startBBRLogging(t testing.TB, edit func(*Options), logs io.Writer) *testBBR {
	t.Helper()
	o := testOptions()
	if edit != nil {
		edit(o)
	}
	srv, err := NewServer(o, "test", logs)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb := &testBBR{srv: srv, stop: cancel, done: make(chan error, 1)}
	go func() { tb.done <- srv.Serve(ctx) }()
	select {
	case tb.addrs = <-srv.Ready():
	case err := <-tb.done:
		t.Fatalf("bbr did not start: %v", err)
	}
	tb.conn, err = grpc.NewClient(tb.addrs.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
	if err != nil {
		t.Fatal(err)
	}
	tb.client = extprocv3.NewExternalProcessorClient(tb.conn)
	t.Cleanup(func() { tb.shutdown(t) })
	return tb
}

func (tb *testBBR) shutdown(t testing.TB) {
	if tb.stop == nil {
		return
	}
	tb.stop()
	tb.stop = nil
	_ = tb.conn.Close()
	select {
	case err := <-tb.done:
		if err != nil {
			t.Errorf("bbr stopped with error: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("bbr did not stop within 10s")
	}
}

func (tb *testBBR) run(t testing.TB, req envoysim.Request) *envoysim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := envoysim.Run(ctx, tb.client, req)
	if err != nil {
		t.Fatalf("envoysim (%v): %v", req.Mode, err)
	}
	return res
}

// fullDuplexStream is an ext_proc stream driven message by message, for
// tests that stop between Envoy's messages. It has sent the request
// headers, announcing FULL_DUPLEX_STREAMED.
type fullDuplexStream struct {
	extprocv3.ExternalProcessor_ProcessClient
	t testing.TB
}

func openFullDuplex(ctx context.Context, t testing.TB, client extprocv3.ExternalProcessorClient) *fullDuplexStream {
	t.Helper()
	stream, err := client.Process(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &fullDuplexStream{stream, t}
	s.send(&extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{}},
		ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: envoysim.FullDuplexStreamed}})
	return s
}

func (s *fullDuplexStream) send(r *extprocv3.ProcessingRequest) {
	s.t.Helper()
	if err := s.Send(r); err != nil {
		s.t.Fatal(err)
	}
}

// chunk sends a request body chunk.
func (s *fullDuplexStream) chunk(b []byte, eos bool) {
	s.t.Helper()
	s.send(&extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{
		RequestBody: &extprocv3.HttpBody{Body: b, EndOfStream: eos}}})
}

// runAll sends the requests at once, each on its own stream, and returns
// their results in order once all have finished.
func (tb *testBBR) runAll(t testing.TB, reqs []envoysim.Request) []*envoysim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results, errs := make([]*envoysim.Result, len(reqs)), make([]error, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Go(func() { results[i], errs[i] = envoysim.Run(ctx, tb.client, reqs[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d (%v): %v", i, reqs[i].Mode, err)
		}
	}
	return results
}

// metric returns the text of the metrics lines that start with prefix.
func (tb *testBBR) metric(t testing.TB, prefix string) string {
	t.Helper()
	resp, err := http.Get("http://" + tb.addrs.Metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// metricValue returns the value of one series, named with its labels as
// the exposition format writes them; a missing series fails the test.
func (tb *testBBR) metricValue(t testing.TB, series string) float64 {
	t.Helper()
	line := tb.metric(t, series+" ")
	v, err := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
	if line == "" || strings.Contains(line, "\n") || err != nil {
		t.Fatalf("series %s: %q", series, line)
	}
	return v
}

func jsonHeaders(extra ...[2]string) [][2]string {
	return append([][2]string{
		{":method", "POST"}, {":path", "/v1/chat/completions"}, {"content-type", "application/json"},
		{"x-request-id", "test"},
	}, extra...)
}
