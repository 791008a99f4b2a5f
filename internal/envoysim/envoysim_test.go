package envoysim

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// processor answers each message with what answer returns; nil means no
// answer (the processor hangs on that message).
type processor struct {
	extprocv3.UnimplementedExternalProcessorServer
	answer func(*extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse
}

func (p processor) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		for _, a := range p.answer(req) {
			if err := stream.Send(a); err != nil {
				return err
			}
		}
	}
}

func serve(t *testing.T, p processor) extprocv3.ExternalProcessorClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	extprocv3.RegisterExternalProcessorServer(srv, p)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return extprocv3.NewExternalProcessorClient(conn)
}

func headersAnswer(set ...*corev3.HeaderValueOption) *extprocv3.ProcessingResponse {
	r := &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{}}
	if len(set) > 0 {
		r.Response.HeaderMutation = &extprocv3.HeaderMutation{SetHeaders: set}
		r.Response.ClearRouteCache = true
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{RequestHeaders: r}}
}

func streamed(b *extprocv3.HttpBody) *extprocv3.ProcessingResponse {
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{
		Response: &extprocv3.CommonResponse{BodyMutation: &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_StreamedResponse{
			StreamedResponse: &extprocv3.StreamedBodyResponse{Body: b.GetBody(), EndOfStream: b.GetEndOfStream()}}}}}}}
}

// echoFullDuplex is a correct FULL_DUPLEX_STREAMED processor that sets one
// header, answering the headers when the first chunk arrives.
func echoFullDuplex(h *corev3.HeaderValueOption) func(*extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
	first := true
	return func(r *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
		b := r.GetRequestBody()
		if b == nil {
			return nil
		}
		out := []*extprocv3.ProcessingResponse{streamed(b)}
		if first {
			first = false
			out = append([]*extprocv3.ProcessingResponse{headersAnswer(h)}, out...)
		}
		return out
	}
}

func simulate(t *testing.T, p processor, req Request) (*Result, error) {
	t.Helper()
	if req.AnswerTimeout == 0 {
		req.AnswerTimeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, serve(t, p), req)
}

func TestCorrectProcessorIsFollowed(t *testing.T) {
	h := &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-model", RawValue: []byte("m")},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
	body := []byte(`{"model":"m","prompt":"` + strings.Repeat("x", 100) + `"}`)
	res, err := simulate(t, processor{answer: echoFullDuplex(h)}, Request{
		Headers: [][2]string{{"x-model", "client"}}, Body: body, Chunks: []int{7}, Mode: FullDuplexStreamed})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.Headers.Get("x-model"); v != "m" || !res.ClearRouteCache || string(res.Body) != string(body) {
		t.Fatalf("result %v %q clear=%v", res.Headers, res.Body, res.ClearRouteCache)
	}
}

// TestViolationsAreCaught: each processor breaks one rule Envoy enforces;
// the simulator must report it rather than pass.
func TestViolationsAreCaught(t *testing.T) {
	good := &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-model", RawValue: []byte("m")}}
	cases := map[string]struct {
		answer func(*extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse
		want   string
	}{
		"hangs": {func(*extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse { return nil }, "no answer"},
		"body before headers": {func(r *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
			if b := r.GetRequestBody(); b != nil {
				return []*extprocv3.ProcessingResponse{streamed(b)}
			}
			return nil
		}, "Envoy rejects"},
		"buffered body mutation in full duplex": {func(r *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
			if b := r.GetRequestBody(); b != nil {
				return []*extprocv3.ProcessingResponse{headersAnswer(), {Response: &extprocv3.ProcessingResponse_RequestBody{
					RequestBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{BodyMutation: &extprocv3.BodyMutation{
						Mutation: &extprocv3.BodyMutation_Body{Body: b.GetBody()}}}}}}}
			}
			return nil
		}, "spurious"},
		"value instead of raw_value": {echoFullDuplex(&corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-model", Value: "m"}}), "raw_value"},
		"uppercase key":              {echoFullDuplex(&corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "X-Model", RawValue: []byte("m")}}), "lowercase"},
		"CRLF in value":              {echoFullDuplex(&corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-model", RawValue: []byte("m\r\nx: y")}}), "Envoy rejects"},
		"ok control":                 {echoFullDuplex(good), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := simulate(t, processor{answer: c.answer}, Request{Headers: [][2]string{{":method", "POST"}},
				Body: []byte(`{"model":"m"}`), Mode: FullDuplexStreamed, AnswerTimeout: 300 * time.Millisecond})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("a correct processor was reported: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestStreamedModeFreezesHeaders: in STREAMED mode without early body, a
// header mutation on a body answer comes too late to route; the simulator
// counts it as ignored instead of applying it.
func TestStreamedModeFreezesHeaders(t *testing.T) {
	late := &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-model", RawValue: []byte("m")}}
	p := processor{answer: func(r *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
		if r.GetRequestHeaders() != nil {
			return []*extprocv3.ProcessingResponse{headersAnswer()}
		}
		return []*extprocv3.ProcessingResponse{{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{
			Response: &extprocv3.CommonResponse{HeaderMutation: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{late}}}}}}}
	}}
	res, err := simulate(t, p, Request{Body: []byte(`{"model":"m"}`), Chunks: []int{4}, Mode: Streamed})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Headers.Get("x-model"); ok || res.IgnoredMutations != 4 || string(res.Body) != `{"model":"m"}` {
		t.Fatalf("headers %v ignored %d body %q", res.Headers, res.IgnoredMutations, res.Body)
	}
}
