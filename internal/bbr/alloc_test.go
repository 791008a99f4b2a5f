package bbr

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/envoysim"
)

// decidedSession returns a full-duplex session that has routed a request
// and is now passing body chunks through.
func decidedSession(t testing.TB) (*session, *int) {
	o := DefaultOptions()
	h, err := o.handlerSettings()
	if err != nil {
		t.Fatal(err)
	}
	h.Policy, err = NewPolicy(Policy{ModelHeaders: o.ModelHeaders, MaxModelLength: 256})
	if err != nil {
		t.Fatal(err)
	}
	h.Metrics, h.Log = NewMetrics("test"), slog.New(slog.NewTextHandler(io.Discard, nil))
	h.held = newHeldBudget(noLimitBudget)
	out := &countSender{}
	s := &session{h: h, log: h.Log, stream: out}
	sent := &out.n
	first := []*extprocv3.ProcessingRequest{
		{ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: envoysim.FullDuplexStreamed},
			Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{}}},
		{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: []byte(`{"model":"m","messages":[{"content":"`)}}},
	}
	for _, r := range first {
		if err := s.handle(r); err != nil {
			t.Fatal(err)
		}
	}
	if s.phase != phaseDecided || *sent != 2 {
		t.Fatalf("session not decided after the model: phase %d, %d answers", s.phase, *sent)
	}
	return s, sent
}

// TestNoAllocationsPerChunkAfterDecision pins the hot path: once routed,
// passing a chunk through (scan, answer) allocates nothing in bbr's code.
func TestNoAllocationsPerChunkAfterDecision(t *testing.T) {
	s, sent := decidedSession(t)
	chunk := bytes.Repeat([]byte(`lorem ipsum \"dolor\" sit amet\n `), 512)
	before := *sent
	allocs := testing.AllocsPerRun(200, func() {
		if err := s.onRequestBody(chunk, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per chunk after the decision, want 0", allocs)
	}
	if *sent-before < 200 {
		t.Fatalf("chunks were not answered: %d", *sent-before)
	}
	if s.heldBytes != 0 || len(s.held) != 0 {
		t.Fatalf("bytes held after the decision: %d", s.heldBytes)
	}
}

func BenchmarkChunkAfterDecision(b *testing.B) {
	s, _ := decidedSession(b)
	chunk := bytes.Repeat([]byte(`lorem ipsum \"dolor\" sit amet\n `), 512)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.onRequestBody(chunk, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallRequest is one whole 1 KiB request through a session, with
// a no-op sender: the per-request cost that dominates small bodies.
func BenchmarkSmallRequest(b *testing.B) {
	s0, _ := decidedSession(b)
	h := s0.h
	body := chatBody("meta-llama/Llama-3.1-8B-Instruct", 1<<10, false)
	hdrs := &extprocv3.ProcessingRequest{
		ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: envoysim.FullDuplexStreamed},
		Request:        &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{Headers: headerMap(jsonHeaders())}}}
	bodyMsg := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: body, EndOfStream: true}}}
	out := &countSender{}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		// Through the pool, as Handler.Process does.
		s := h.newSession(out)
		if err := s.handle(hdrs); err != nil {
			b.Fatal(err)
		}
		if err := s.handle(bodyMsg); err != nil {
			b.Fatal(err)
		}
		s.finish(nil)
		h.sessions.Put(s)
	}
}

func headerMap(hs [][2]string) *corev3.HeaderMap {
	m := &corev3.HeaderMap{}
	for _, h := range hs {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: h[0], RawValue: []byte(h[1])})
	}
	return m
}
