package wire

import (
	"bytes"
	"testing"

	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

var routed = []Header{{"x-gateway-inference-model", "meta-llama/Llama-3.1-8B-Instruct"}, {"x-gateway-model-name", "meta-llama/Llama-3.1-8B-Instruct"}}

func TestCodecSendsFramesAsTheyAre(t *testing.T) {
	c := NewCodec()
	var f Frame
	f.Streamed(RequestBody, bytes.Repeat([]byte("chunk "), 3000), true)
	want := f.Bytes()
	out, err := c.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	// The frame is reused at once; what grpc holds must not change.
	f.Mutation(RequestHeaders, routed, nil, true)
	if got := out.Materialize(); !bytes.Equal(got, want) {
		t.Fatalf("codec output changed with the frame or differs: %d bytes, want %d", len(got), len(want))
	}
	out.Free()
}

func TestCodecLeavesOtherMessagesToProtobuf(t *testing.T) {
	c := NewCodec()
	msg := typedMutation(RequestHeaders, routed, []string{"x-gateway-base-model-name"}, true)
	out, err := c.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := proto.Marshal(msg)
	if !bytes.Equal(out.Materialize(), want) {
		t.Fatal("a typed message was not encoded as protobuf encodes it")
	}
	back := &extprocv3.ProcessingResponse{}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(want)}, back); err != nil || !proto.Equal(back, msg) {
		t.Fatalf("unmarshal: %v, %v", err, back)
	}
	if _, err := c.Marshal("not a message"); err == nil {
		t.Fatal("a non-message was marshalled")
	}
}

// A chunk frame's only allocation is the one-element BufferSlice grpc
// keeps until the bytes are written: its buffer comes from grpc's pool and
// goes back to it. (Frames under grpc's pooling threshold get a slice of
// their own, as protobuf's would.)
func TestCodecAllocations(t *testing.T) {
	c := NewCodec()
	var f Frame
	f.Streamed(RequestBody, make([]byte, 1024), false)
	allocs := testing.AllocsPerRun(1000, func() {
		out, err := c.Marshal(&f)
		if err != nil {
			t.Fatal(err)
		}
		out.Free()
	})
	if allocs > 1 {
		t.Fatalf("%v allocations per frame, want at most 1", allocs)
	}
}

func BenchmarkAnswer(b *testing.B) {
	frameHeaders := func(f *Frame) { f.Mutation(RequestHeaders, routed, nil, true) }
	chunk := make([]byte, 1024)
	frameBody := func(f *Frame) { f.Streamed(RequestBody, chunk, true) }
	for _, tc := range []struct {
		name  string
		frame func(*Frame)
		typed *extprocv3.ProcessingResponse
	}{
		{"headers", frameHeaders, typedMutation(RequestHeaders, routed, nil, true)},
		{"body1KiB", frameBody, typedStreamed(RequestBody, make([]byte, 1024), true)},
	} {
		b.Run(tc.name+"/frame", func(b *testing.B) {
			c := NewCodec()
			var f Frame
			b.ReportAllocs()
			for b.Loop() {
				tc.frame(&f)
				out, _ := c.Marshal(&f)
				out.Free()
			}
		})
		b.Run(tc.name+"/protobuf", func(b *testing.B) {
			c := encoding.GetCodecV2(grpcproto.Name)
			b.ReportAllocs()
			for b.Loop() {
				out, _ := c.Marshal(tc.typed)
				out.Free()
			}
		})
	}
}

// Requests arrive in one buffer or several; both decode, by DecodeRequest
// or, for what it declines, by protobuf.
func TestCodecReadsRequests(t *testing.T) {
	c := NewCodec()
	trailers := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestTrailers{
		RequestTrailers: &extprocv3.HttpTrailers{}}}
	for _, want := range append(requestsEnvoySends(), trailers) {
		b, _ := proto.Marshal(want)
		for _, data := range []mem.BufferSlice{
			{mem.SliceBuffer(b)},
			{mem.SliceBuffer(b[:len(b)/2]), mem.SliceBuffer(b[len(b)/2:])},
		} {
			got := &extprocv3.ProcessingRequest{}
			if err := c.Unmarshal(data, got); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("read %v, want %v", got, want)
			}
		}
	}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(invalidUTF8Key())}, &extprocv3.ProcessingRequest{}); err == nil {
		t.Fatal("a header key that is not UTF-8 was accepted")
	}
}

func BenchmarkRequest(b *testing.B) {
	envoyHeaders := headersRequest(false, ":authority", "gateway.example.com", ":method", "POST", ":path", "/v1/chat/completions",
		":scheme", "https", "accept", "application/json", "authorization", "Bearer sk-0123456789abcdef",
		"content-length", "1024", "content-type", "application/json", "user-agent", "openai-python/1.51.0",
		"x-forwarded-proto", "https", "x-request-id", "0b0b4a8e-5b1c-4e0b-9f2e-6c1d2e3f4a5b", "x-envoy-expected-rq-timeout-ms", "600000")
	envoyHeaders.ProtocolConfig = &extprocv3.ProtocolConfiguration{RequestBodyMode: procv3.ProcessingMode_FULL_DUPLEX_STREAMED}
	for _, tc := range []struct {
		name string
		msg  *extprocv3.ProcessingRequest
	}{{"headers12", envoyHeaders}, {"body1KiB", bodyRequest(string(make([]byte, 1024)), true)}} {
		raw, _ := proto.Marshal(tc.msg)
		data := mem.BufferSlice{mem.SliceBuffer(raw)}
		b.Run(tc.name+"/wire", func(b *testing.B) {
			c := NewCodec()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Unmarshal(data, &extprocv3.ProcessingRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/protobuf", func(b *testing.B) {
			c := encoding.GetCodecV2(grpcproto.Name)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Unmarshal(data, &extprocv3.ProcessingRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
