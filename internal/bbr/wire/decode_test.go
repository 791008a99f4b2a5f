package wire

import (
	"bytes"
	"testing"
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

func headersRequest(eos bool, kv ...string) *extprocv3.ProcessingRequest {
	m := &corev3.HeaderMap{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: kv[i], RawValue: []byte(kv[i+1])})
	}
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{
		RequestHeaders: &extprocv3.HttpHeaders{Headers: m, EndOfStream: eos}}}
}

func bodyRequest(body string, eos bool) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{
		RequestBody: &extprocv3.HttpBody{Body: []byte(body), EndOfStream: eos}}}
}

// requestsEnvoySends are the shapes DecodeRequest must read itself.
func requestsEnvoySends() []*extprocv3.ProcessingRequest {
	first := headersRequest(false, ":method", "POST", ":path", "/v1/chat/completions", "content-type", "application/json",
		"x-request-id", "5f1c", "x-gateway-model-name", "spoof", "empty", "")
	first.ProtocolConfig = &extprocv3.ProtocolConfiguration{RequestBodyMode: procv3.ProcessingMode_FULL_DUPLEX_STREAMED,
		ResponseBodyMode: procv3.ProcessingMode_STREAMED, SendBodyWithoutWaitingForHeaderResponse: true}
	observed := bodyRequest(`{"model":"m"}`, true)
	observed.ObservabilityMode = true
	old := headersRequest(true)
	old.GetRequestHeaders().Headers.Headers = []*corev3.HeaderValue{{Key: "content-type", Value: "application/json"}}
	return []*extprocv3.ProcessingRequest{
		first, observed, old,
		headersRequest(true),
		{Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{}}},
		bodyRequest(`{"model":"llama","messages":[]}`, false),
		bodyRequest("", true),
		bodyRequest(string(bytes.Repeat([]byte("x"), 100<<10)), true),
		{Request: &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: &extprocv3.HttpHeaders{EndOfStream: true}}},
		{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: &extprocv3.HttpBody{Body: []byte("data: {}\n\n")}}},
	}
}

func TestDecodeRequestMatchesProtobuf(t *testing.T) {
	for i, want := range requestsEnvoySends() {
		b, err := proto.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := &extprocv3.ProcessingRequest{}
		if !DecodeRequest(b, got) {
			t.Fatalf("request %d: not decoded: %v", i, want)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("request %d: decoded\n%v\nwant\n%v", i, got, want)
		}
		// grpc reuses its buffer once the codec returns.
		clear(b)
		if !proto.Equal(got, want) {
			t.Fatalf("request %d: the decoded message points into the input", i)
		}
	}
}

// What DecodeRequest does not read itself it must leave to protobuf, and
// leave the message untouched.
func TestDecodeRequestDeclines(t *testing.T) {
	attrs := headersRequest(false, "a", "b")
	attrs.Attributes = map[string]*structpb.Struct{"envoy.filters.http.ext_proc": {}}
	trailers := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestTrailers{
		RequestTrailers: &extprocv3.HttpTrailers{}}}
	valid, _ := proto.Marshal(headersRequest(false, "k", "v"))
	twice := append(append([]byte{}, valid...), valid...) // protobuf merges the two
	cases := map[string][]byte{
		"attributes":      mustMarshal(t, attrs),
		"trailers":        mustMarshal(t, trailers),
		"non-UTF-8 key":   invalidUTF8Key(),
		"field twice":     twice,
		"truncated":       valid[:len(valid)-1],
		"wrong wire type": protowire.AppendVarint(protowire.AppendTag(nil, fReqRequestHeaders, protowire.VarintType), 1),
		"unknown field":   protowire.AppendVarint(protowire.AppendTag(nil, 60, protowire.VarintType), 1),
	}
	for name, b := range cases {
		m := &extprocv3.ProcessingRequest{}
		if DecodeRequest(b, m) {
			t.Errorf("%s: decoded as %v; protobuf should have had it", name, m)
		}
		if !proto.Equal(m, &extprocv3.ProcessingRequest{}) {
			t.Errorf("%s: declined but changed the message to %v", name, m)
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invalidUTF8Key is a headers request whose header key is not UTF-8,
// written field by field because protobuf refuses to marshal it; a client
// of ours could still send it.
func invalidUTF8Key() []byte {
	hv := protowire.AppendBytes(protowire.AppendTag(nil, fKey, protowire.BytesType), []byte("caf\xe9"))
	hm := protowire.AppendBytes(protowire.AppendTag(nil, fMapHeaders, protowire.BytesType), hv)
	hs := protowire.AppendBytes(protowire.AppendTag(nil, fHTTPHeaders, protowire.BytesType), hm)
	return protowire.AppendBytes(protowire.AppendTag(nil, fReqRequestHeaders, protowire.BytesType), hs)
}

// FuzzDecodeRequest: whatever DecodeRequest accepts, protobuf accepts and
// reads as the same message.
func FuzzDecodeRequest(f *testing.F) {
	for _, m := range requestsEnvoySends() {
		if b, err := proto.Marshal(m); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := &extprocv3.ProcessingRequest{}
		if !DecodeRequest(b, got) {
			return
		}
		want := &extprocv3.ProcessingRequest{}
		if err := proto.Unmarshal(b, want); err != nil {
			t.Fatalf("decoded what protobuf rejects (%v): %v", err, got)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("decoded\n%v\nprotobuf reads\n%v", got, want)
		}
	})
}

// FuzzDecodeRequestShapes builds the messages DecodeRequest exists for
// from fuzzed parts: each must be read by it, as protobuf reads it.
func FuzzDecodeRequestShapes(f *testing.F) {
	f.Add("content-type", "application/json", []byte(`{"model":"m"}`), uint8(3), true)
	f.Add("", "", []byte{}, uint8(0), false)
	f.Add("x-\u00e9", "v\x00", []byte{0xff}, uint8(255), true)
	f.Fuzz(func(t *testing.T, key, value string, body []byte, n uint8, flag bool) {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return // protobuf cannot marshal these; TestDecodeRequestDeclines covers them
		}
		var want *extprocv3.ProcessingRequest
		if n%2 == 0 {
			want = bodyRequest(string(body), flag)
		} else {
			kv := []string{}
			for i := 0; i < int(n%7); i++ {
				kv = append(kv, key, value)
			}
			want = headersRequest(flag, kv...)
			if n%3 == 0 {
				want.GetRequestHeaders().Headers.Headers = append(want.GetRequestHeaders().Headers.Headers,
					&corev3.HeaderValue{Key: value, Value: key})
			}
		}
		if n%5 == 0 {
			want.ProtocolConfig = &extprocv3.ProtocolConfiguration{RequestBodyMode: procv3.ProcessingMode_BodySendMode(n), SendBodyWithoutWaitingForHeaderResponse: flag}
		}
		want.ObservabilityMode = n%4 == 1
		b, err := proto.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := &extprocv3.ProcessingRequest{}
		if !DecodeRequest(b, got) {
			t.Fatalf("declined a message of a shape it reads: %v", want)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("decoded\n%v\nwant\n%v", got, want)
		}
	})
}
