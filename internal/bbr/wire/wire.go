// Package wire writes the ext_proc answers bbr sends on every request
// directly as protobuf bytes, and reads the requests Envoy sends on every
// request (decode.go). Filling a ProcessingResponse and marshalling it
// through protobuf's generic tables was about 3 µs of the server's time per
// 1 KiB request (docs/bbr-performance.md); appending the same bytes is a
// small fraction of that. Only three shapes are written here: the headers
// answer, the same answer on a buffered body, and a streamed body chunk.
// Everything else bbr sends stays a typed message for protobuf.
package wire

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Frame is one encoded ProcessingResponse: Head, then Data, then Tail.
// Data is a body chunk the frame only points at. The codec copies all three
// inside SendMsg, so a sender may rebuild its Frame once SendMsg returns.
type Frame struct {
	Head, Data, Tail []byte
}

// Len is the encoded size.
func (f *Frame) Len() int { return len(f.Head) + len(f.Data) + len(f.Tail) }

// Bytes is the whole message in a new slice (tests and diagnostics).
func (f *Frame) Bytes() []byte {
	return append(append(append(make([]byte, 0, f.Len()), f.Head...), f.Data...), f.Tail...)
}

// Decode parses the frame as protobuf would on the other end.
func (f *Frame) Decode() (*extprocv3.ProcessingResponse, error) {
	r := &extprocv3.ProcessingResponse{}
	if err := proto.Unmarshal(f.Bytes(), r); err != nil {
		return nil, err
	}
	return r, nil
}

// Answer says which of the request's events a frame answers.
type Answer uint8

const (
	RequestHeaders Answer = iota
	RequestBody
	ResponseBody
)

// Header is one header to set on the request.
type Header struct{ Key, Value string }

// Field numbers, read from the descriptors linked into the binary rather
// than written down, so an encoder that disagrees with the protos cannot
// compile into a working binary: init panics instead.
var (
	fRequestHeaders  = field(&extprocv3.ProcessingResponse{}, "request_headers")
	fRequestBody     = field(&extprocv3.ProcessingResponse{}, "request_body")
	fResponseBody    = field(&extprocv3.ProcessingResponse{}, "response_body")
	fResponse        = field(&extprocv3.HeadersResponse{}, "response")
	fBodyResponse    = field(&extprocv3.BodyResponse{}, "response")
	fHeaderMutation  = field(&extprocv3.CommonResponse{}, "header_mutation")
	fBodyMutation    = field(&extprocv3.CommonResponse{}, "body_mutation")
	fClearRouteCache = field(&extprocv3.CommonResponse{}, "clear_route_cache")
	fSetHeaders      = field(&extprocv3.HeaderMutation{}, "set_headers")
	fRemoveHeaders   = field(&extprocv3.HeaderMutation{}, "remove_headers")
	fHeader          = field(&corev3.HeaderValueOption{}, "header")
	fAppendAction    = field(&corev3.HeaderValueOption{}, "append_action")
	fKey             = field(&corev3.HeaderValue{}, "key")
	fRawValue        = field(&corev3.HeaderValue{}, "raw_value")
	fStreamed        = field(&extprocv3.BodyMutation{}, "streamed_response")
	fBody            = field(&extprocv3.StreamedBodyResponse{}, "body")
	fEndOfStream     = field(&extprocv3.StreamedBodyResponse{}, "end_of_stream")
)

// overwrite is the append action of every header bbr sets: its value
// replaces whatever the client sent.
const overwrite = uint64(corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD)

func field(m proto.Message, name protoreflect.Name) protowire.Number {
	fd := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if fd == nil {
		panic(fmt.Sprintf("wire: %s has no field %s", m.ProtoReflect().Descriptor().FullName(), name))
	}
	return fd.Number()
}

// field is the ProcessingResponse field that carries the answer.
func (a Answer) field() protowire.Number {
	switch a {
	case RequestBody:
		return fRequestBody
	case ResponseBody:
		return fResponseBody
	}
	return fRequestHeaders
}

// AppendMutation appends a ProcessingResponse answering a with a
// CommonResponse that sets, removes, and clears the route cache as told.
// With nothing to set or remove it carries an empty CommonResponse, which
// Envoy reads as "continue unchanged". Only RequestHeaders and RequestBody
// answers may carry a header mutation.
func AppendMutation(b []byte, a Answer, set []Header, remove []string, clearRoute bool) []byte {
	mut := 0
	for _, h := range set {
		mut += sizeField(fSetHeaders, headerOptionSize(h))
	}
	for _, r := range remove {
		mut += sizeField(fRemoveHeaders, len(r))
	}
	common := 0
	if mut > 0 {
		common += sizeField(fHeaderMutation, mut)
	}
	if clearRoute {
		common += protowire.SizeTag(fClearRouteCache) + 1
	}
	b = appendLen(b, a.field(), sizeField(fResponse, common))
	b = appendLen(b, fResponse, common)
	if mut > 0 {
		b = appendLen(b, fHeaderMutation, mut)
		for _, h := range set {
			b = appendLen(b, fSetHeaders, headerOptionSize(h))
			b = appendLen(b, fHeader, headerValueSize(h))
			b = appendScalar(b, fKey, h.Key)
			b = appendScalar(b, fRawValue, h.Value)
			b = appendVarint(b, fAppendAction, overwrite)
		}
		for _, r := range remove {
			b = appendString(b, fRemoveHeaders, r)
		}
	}
	if clearRoute {
		b = appendVarint(b, fClearRouteCache, 1)
	}
	return b
}

// Streamed fills f with a ProcessingResponse that hands a body chunk back
// as a streamed body mutation (FULL_DUPLEX_STREAMED). The head and tail are
// appended to f's reused slices; data is referenced, not copied.
func (f *Frame) Streamed(a Answer, data []byte, eos bool) {
	chunk := 0
	if len(data) > 0 {
		chunk += sizeField(fBody, len(data))
	}
	if eos {
		chunk += protowire.SizeTag(fEndOfStream) + 1
	}
	mutation := sizeField(fStreamed, chunk)
	common := sizeField(fBodyMutation, mutation)
	h := appendLen(f.Head[:0], a.field(), sizeField(fBodyResponse, common))
	h = appendLen(h, fBodyResponse, common)
	h = appendLen(h, fBodyMutation, mutation)
	h = appendLen(h, fStreamed, chunk)
	if len(data) > 0 {
		h = appendLen(h, fBody, len(data))
	}
	t := f.Tail[:0]
	if eos {
		t = appendVarint(t, fEndOfStream, 1)
	}
	f.Head, f.Data, f.Tail = h, data, t
}

// Mutation fills f with AppendMutation's answer.
func (f *Frame) Mutation(a Answer, set []Header, remove []string, clearRoute bool) {
	f.Head = AppendMutation(f.Head[:0], a, set, remove, clearRoute)
	f.Data, f.Tail = nil, f.Tail[:0]
}

func headerValueSize(h Header) int {
	return sizeString(fKey, h.Key) + sizeString(fRawValue, h.Value)
}

func headerOptionSize(h Header) int {
	return sizeField(fHeader, headerValueSize(h)) + protowire.SizeTag(fAppendAction) + protowire.SizeVarint(overwrite)
}

// appendVarint appends a varint field (a bool is 1).
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// sizeField is the size of a length-delimited field holding n bytes.
func sizeField(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// appendLen appends the tag and length of a length-delimited field whose
// n bytes follow.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// sizeString and appendScalar leave out an empty singular string, as
// proto3 does; a repeated one (appendString) is always written.
func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return sizeField(num, len(s))
}

func appendScalar(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(b, num, s)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = appendLen(b, num, len(s))
	return append(b, s...)
}
