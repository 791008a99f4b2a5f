package wire

import (
	"bytes"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func wireOf(t *testing.T, m *extprocv3.ProcessingRequest) mem.BufferSlice {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}
}

func bodyMsg(body []byte, eos bool) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{
		RequestBody: &extprocv3.HttpBody{Body: body, EndOfStream: eos}}}
}

// TestRequestKeepsItsBodyInAPooledBuffer: into a Request, a body chunk
// lands in a buffer of its size's tier that the Request owns; a taken body
// is the taker's, and the next message read into the Request starts empty.
func TestRequestKeepsItsBodyInAPooledBuffer(t *testing.T) {
	c := NewCodec()
	var r Request
	chunk := bytes.Repeat([]byte("0123456789"), 1000) // 10000 bytes: the 16 KiB tier
	if err := c.Unmarshal(wireOf(t, bodyMsg(chunk, true)), &r); err != nil {
		t.Fatal(err)
	}
	got := r.Msg.GetRequestBody()
	if !bytes.Equal(got.GetBody(), chunk) || !got.GetEndOfStream() {
		t.Fatalf("decoded %d bytes eos=%v", len(got.GetBody()), got.GetEndOfStream())
	}
	if r.body.buf == nil || cap(*r.body.buf) != 16<<10 || cap(got.GetBody()) != len(chunk) {
		t.Fatalf("body not in a 16 KiB pooled buffer, or its slice reaches past the body: %+v", r.body)
	}
	taken := r.TakeBody()
	if taken.buf == nil || r.body.buf != nil {
		t.Fatal("TakeBody did not move the buffer")
	}
	r.Release() // nothing left to give back
	if taken.buf == nil {
		t.Fatal("Release of a Request released a body it no longer owns")
	}

	hdrs := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{
		Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{{Key: "content-type", RawValue: []byte("application/json")}}}}}}
	if err := c.Unmarshal(wireOf(t, hdrs), &r); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&r.Msg, hdrs) || r.body.buf != nil {
		t.Fatalf("headers after a body: %v, body buffer %v", &r.Msg, r.body.buf)
	}
	taken.Release()
	Body{}.Release()
}

// TestDeclinedBodiesAreProtobufs: a message DecodeRequest declines is read
// by protobuf, whole, and owns no pooled buffer.
func TestDeclinedBodiesAreProtobufs(t *testing.T) {
	c := NewCodec()
	b, _ := proto.Marshal(bodyMsg([]byte(`{"model":"a"}`), false))
	// The body field again, as protobuf would merge it: the last one wins.
	inner := protowire.AppendTag(nil, fHTTPBody, protowire.BytesType)
	inner = protowire.AppendBytes(inner, []byte(`{"model":"b"}`))
	b = protowire.AppendTag(b, fReqRequestBody, protowire.BytesType)
	b = protowire.AppendBytes(b, inner)
	var r Request
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &r); err != nil {
		t.Fatal(err)
	}
	want := &extprocv3.ProcessingRequest{}
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&r.Msg, want) || r.body.buf != nil {
		t.Fatalf("got %v (pooled %v), want protobuf's %v", &r.Msg, r.body.buf != nil, want)
	}
}

func TestBodyPoolTiers(t *testing.T) {
	var p BodyPool
	for _, tc := range []struct{ n, cap int }{{0, 4 << 10}, {100, 4 << 10}, {16 << 10, 16 << 10}, {16<<10 + 1, 64 << 10}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1}} {
		b := p.get(tc.n)
		if len(*b) != tc.n || cap(*b) != tc.cap {
			t.Errorf("get(%d): len %d cap %d, want cap %d", tc.n, len(*b), cap(*b), tc.cap)
		}
		p.put(b) // an untiered buffer is dropped, not pooled
	}
}

// TestTrimGivesBackWhatTrafficDidNotNeed: a trim drops the spare buffers
// no get reached since the previous trim, and keeps the ones in use.
func TestTrimGivesBackWhatTrafficDidNotNeed(t *testing.T) {
	var p BodyPool
	const tier = 16 << 10
	burst := make([]*[]byte, 3)
	for i := range burst {
		burst[i] = p.get(tier)
	}
	for _, b := range burst {
		p.put(b)
	}
	if got := p.FreeBytes(); got != 3*tier {
		t.Fatalf("after a burst of 3: %d spare bytes", got)
	}
	p.Trim() // the burst drew the list down to empty: all three were needed
	if got := p.FreeBytes(); got != 3*tier {
		t.Fatalf("first trim dropped buffers the burst used: %d spare bytes left", got)
	}
	p.put(p.get(10 << 10)) // steady traffic needs one
	p.Trim()
	if got := p.FreeBytes(); got != tier {
		t.Fatalf("second trim: %d spare bytes, want the one buffer traffic used", got)
	}
	p.Trim()
	if got := p.FreeBytes(); got != 0 {
		t.Fatalf("after an idle interval: %d spare bytes, want none", got)
	}
}
