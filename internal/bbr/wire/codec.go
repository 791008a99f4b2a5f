package wire

import (
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// Codec is grpc's proto codec with bbr's two shortcuts: it sends Frames as
// they are, and reads the requests Envoy sends on every request with
// DecodeRequest. Install it with grpc.ForceServerCodecV2; it keeps grpc's
// "proto" name, so the content-subtype and what the client sees do not
// change.
type Codec struct {
	proto  encoding.CodecV2
	bodies BodyPool
}

// NewCodec wraps the proto codec grpc registered.
func NewCodec() *Codec {
	return &Codec{proto: encoding.GetCodecV2(grpcproto.Name)}
}

// Bodies is the pool that Requests' bodies come from.
func (c *Codec) Bodies() *BodyPool { return &c.bodies }

// Name is grpc's proto codec name.
func (*Codec) Name() string { return grpcproto.Name }

// Marshal copies a Frame into one buffer, as grpc's proto codec would
// have marshalled it: small ones in a slice of their own, larger ones in a
// buffer from grpc's pool that grpc frees once the bytes are written. Any
// other message goes to protobuf.
func (c *Codec) Marshal(v any) (mem.BufferSlice, error) {
	f, ok := v.(*Frame)
	if !ok {
		return c.proto.Marshal(v)
	}
	n := f.Len()
	if mem.IsBelowBufferPoolingThreshold(n) {
		buf := make(mem.SliceBuffer, n)
		f.copyTo(buf)
		return mem.BufferSlice{buf}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	f.copyTo(*buf)
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (f *Frame) copyTo(b []byte) {
	n := copy(b, f.Head)
	n += copy(b[n:], f.Data)
	copy(b[n:], f.Tail)
}

// Unmarshal reads the requests Envoy sends on every request with
// DecodeRequest, and everything else, including whatever it declines,
// with protobuf. Into a *Request, a body goes into a pooled buffer that
// the Request owns.
func (c *Codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *Request:
		m.Release()
		m.Msg.Reset()
		return c.decode(data, &m.Msg, &m.body, &c.bodies)
	case *extprocv3.ProcessingRequest:
		return c.decode(data, m, nil, nil)
	}
	return c.proto.Unmarshal(data, v)
}

func (c *Codec) decode(data mem.BufferSlice, m *extprocv3.ProcessingRequest, body *Body, pool *BodyPool) error {
	// One buffer comes back as it is (with a reference); several are
	// copied into one.
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	if got, ok := decodeRequest(b, m, pool); ok {
		if body != nil {
			*body = got
		}
		return nil
	}
	return proto.Unmarshal(b, m)
}
