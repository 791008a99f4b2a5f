package wire

import (
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protowire"
)

// Request field numbers, read from the linked descriptors like the
// answers' (wire.go).
var (
	fReqRequestHeaders  = field(&extprocv3.ProcessingRequest{}, "request_headers")
	fReqResponseHeaders = field(&extprocv3.ProcessingRequest{}, "response_headers")
	fReqRequestBody     = field(&extprocv3.ProcessingRequest{}, "request_body")
	fReqResponseBody    = field(&extprocv3.ProcessingRequest{}, "response_body")
	fReqObservability   = field(&extprocv3.ProcessingRequest{}, "observability_mode")
	fReqProtocolConfig  = field(&extprocv3.ProcessingRequest{}, "protocol_config")
	fHTTPHeaders        = field(&extprocv3.HttpHeaders{}, "headers")
	fHTTPHeadersEOS     = field(&extprocv3.HttpHeaders{}, "end_of_stream")
	fHTTPBody           = field(&extprocv3.HttpBody{}, "body")
	fHTTPBodyEOS        = field(&extprocv3.HttpBody{}, "end_of_stream")
	fMapHeaders         = field(&corev3.HeaderMap{}, "headers")
	fValue              = field(&corev3.HeaderValue{}, "value")
	fPCRequestMode      = field(&extprocv3.ProtocolConfiguration{}, "request_body_mode")
	fPCResponseMode     = field(&extprocv3.ProtocolConfiguration{}, "response_body_mode")
	fPCEarlyBody        = field(&extprocv3.ProtocolConfiguration{}, "send_body_without_waiting_for_header_response")
)

// DecodeRequest parses the ProcessingRequests Envoy sends on every
// request (headers or a body chunk, with the protocol configuration and
// the observability flag) into m, which must be empty. Protobuf allocates
// every header, key and value on its own; this makes one copy of the
// message that all strings and byte fields point into, and one array of
// headers.
//
// It returns false, leaving m as it was, for anything else: a field it
// does not know, a field seen twice, a wire type that does not match, a
// string that is not UTF-8, or a malformed message. The caller then hands
// the bytes to protobuf, which handles every case and words every error.
func DecodeRequest(b []byte, m *extprocv3.ProcessingRequest) bool {
	_, ok := decodeRequest(b, m, nil)
	return ok
}

// decodeRequest is DecodeRequest that, given a pool, copies a body into a
// buffer from it instead of into the message's copy, and returns the buffer.
func decodeRequest(b []byte, m *extprocv3.ProcessingRequest, pool *BodyPool) (Body, bool) {
	d := decoder{msg: b, pool: pool}
	ok := d.request(m)
	if !ok {
		d.body.Release()
		return Body{}, false
	}
	return d.body, true
}

func (d *decoder) request(m *extprocv3.ProcessingRequest) bool {
	b := d.msg
	var out extprocv3.ProcessingRequest
	it := d.fields(0, len(b), 0)
	for it.next() {
		switch f := it.f; {
		case f.is(fReqRequestHeaders, protowire.BytesType) || f.is(fReqResponseHeaders, protowire.BytesType):
			if out.Request != nil {
				return false // a second member of the oneof
			}
			hs, ok := d.headers(f.start, f.end)
			if !ok {
				return false
			}
			if f.num == fReqRequestHeaders {
				out.Request = &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: hs}
			} else {
				out.Request = &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: hs}
			}
		case f.is(fReqRequestBody, protowire.BytesType) || f.is(fReqResponseBody, protowire.BytesType):
			if out.Request != nil {
				return false
			}
			body, ok := d.httpBody(f.start, f.end)
			if !ok {
				return false
			}
			if f.num == fReqRequestBody {
				out.Request = &extprocv3.ProcessingRequest_RequestBody{RequestBody: body}
			} else {
				out.Request = &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: body}
			}
		case f.is(fReqObservability, protowire.VarintType):
			out.ObservabilityMode = f.varint != 0
		case f.is(fReqProtocolConfig, protowire.BytesType):
			pc, ok := d.protocolConfig(f.start, f.end)
			if !ok {
				return false
			}
			out.ProtocolConfig = pc
		default:
			return false
		}
	}
	if it.failed {
		return false
	}
	m.Request, m.ObservabilityMode, m.ProtocolConfig = out.Request, out.ObservabilityMode, out.ProtocolConfig
	return true
}

// decoder reads one message. Byte fields point into raw and string fields
// into str, copies of the whole message made on first use: grpc frees its
// receive buffer as soon as the codec returns.
type decoder struct {
	msg []byte
	raw []byte
	str string
	// pool, when set, holds body bytes instead of raw; body is the buffer
	// taken from it.
	pool *BodyPool
	body Body
}

func (d *decoder) bytes(start, end int) []byte {
	if d.raw == nil {
		d.raw = append([]byte(nil), d.msg...)
	}
	return d.raw[start:end:end]
}

func (d *decoder) string(start, end int) (string, bool) {
	if !utf8.Valid(d.msg[start:end]) {
		return "", false // protobuf rejects it, in its own words
	}
	if d.str == "" {
		d.str = string(d.msg)
	}
	return d.str[start:end], true
}

// wireField is one field of the message being read: a varint, or the
// bounds of a length-delimited value within decoder.msg.
type wireField struct {
	num        protowire.Number
	typ        protowire.Type
	varint     uint64
	start, end int
}

func (f wireField) is(num protowire.Number, typ protowire.Type) bool {
	return f.num == num && f.typ == typ
}

// fieldIter walks the fields of one message. It reads only varint and
// length-delimited fields, and stops with failed set on anything else, on
// malformed bytes, or on a field number seen before in the message unless
// it is repeatable, the message's one repeated field (0: none): protobuf
// merges a singular field that comes twice, so such a message goes there.
type fieldIter struct {
	d          *decoder
	pos, end   int
	repeatable protowire.Number
	seen       uint64 // field numbers below 64 seen so far
	f          wireField
	failed     bool
}

func (d *decoder) fields(start, end int, repeatable protowire.Number) fieldIter {
	return fieldIter{d: d, pos: start, end: end, repeatable: repeatable}
}

// next reads the next field into it.f, reporting false at the message's
// end or when it failed.
func (it *fieldIter) next() bool {
	if it.pos >= it.end || it.failed {
		return false
	}
	b := it.d.msg[it.pos:it.end]
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num >= 64 || (num != it.repeatable && it.seen&(1<<num) != 0) {
		it.failed = true
		return false
	}
	it.seen |= 1 << num
	f := wireField{num: num, typ: typ}
	var m int
	switch typ {
	case protowire.VarintType:
		f.varint, m = protowire.ConsumeVarint(b[n:])
	case protowire.BytesType:
		var v []byte
		v, m = protowire.ConsumeBytes(b[n:])
		f.start = it.pos + n + m - len(v)
		f.end = f.start + len(v)
	default:
		m = -1
	}
	if m < 0 {
		it.failed = true
		return false
	}
	it.pos += n + m
	it.f = f
	return true
}

func (d *decoder) headers(start, end int) (*extprocv3.HttpHeaders, bool) {
	hs := &extprocv3.HttpHeaders{}
	it := d.fields(start, end, 0)
	for it.next() {
		var ok bool
		switch f := it.f; {
		case f.is(fHTTPHeaders, protowire.BytesType):
			hs.Headers, ok = d.headerMap(f.start, f.end)
		case f.is(fHTTPHeadersEOS, protowire.VarintType):
			hs.EndOfStream, ok = f.varint != 0, true
		}
		if !ok {
			return nil, false
		}
	}
	return hs, !it.failed
}

// headerMap counts the headers first, so they live in one array.
func (d *decoder) headerMap(start, end int) (*corev3.HeaderMap, bool) {
	n := 0
	it := d.fields(start, end, fMapHeaders)
	for it.next() {
		if !it.f.is(fMapHeaders, protowire.BytesType) {
			return nil, false
		}
		n++
	}
	if it.failed {
		return nil, false
	}
	vals := make([]corev3.HeaderValue, n)
	ptrs := make([]*corev3.HeaderValue, n)
	it = d.fields(start, end, fMapHeaders)
	for i := 0; it.next(); i++ {
		if !d.headerValue(it.f.start, it.f.end, &vals[i]) {
			return nil, false
		}
		ptrs[i] = &vals[i]
	}
	return &corev3.HeaderMap{Headers: ptrs}, true
}

func (d *decoder) headerValue(start, end int, hv *corev3.HeaderValue) bool {
	it := d.fields(start, end, 0)
	for it.next() {
		f, ok := it.f, false
		if f.typ != protowire.BytesType {
			return false
		}
		switch f.num {
		case fKey:
			hv.Key, ok = d.string(f.start, f.end)
		case fValue:
			hv.Value, ok = d.string(f.start, f.end)
		case fRawValue:
			hv.RawValue, ok = d.bytes(f.start, f.end), true
		}
		if !ok {
			return false
		}
	}
	return !it.failed
}

// pooledBytes copies a body into a buffer from the pool. A body field
// repeated (which protobuf merges by keeping the last) is declined.
func (d *decoder) pooledBytes(start, end int) ([]byte, bool) {
	if d.pool == nil {
		return d.bytes(start, end), true
	}
	if d.body.buf != nil {
		return nil, false
	}
	n := end - start
	d.body = Body{pool: d.pool, buf: d.pool.get(n)}
	copy(*d.body.buf, d.msg[start:end])
	return (*d.body.buf)[:n:n], true
}

func (d *decoder) httpBody(start, end int) (*extprocv3.HttpBody, bool) {
	body := &extprocv3.HttpBody{}
	it := d.fields(start, end, 0)
	for it.next() {
		switch f := it.f; {
		case f.is(fHTTPBody, protowire.BytesType):
			var ok bool
			if body.Body, ok = d.pooledBytes(f.start, f.end); !ok {
				return nil, false
			}
		case f.is(fHTTPBodyEOS, protowire.VarintType):
			body.EndOfStream = f.varint != 0
		default:
			return nil, false
		}
	}
	return body, !it.failed
}

func (d *decoder) protocolConfig(start, end int) (*extprocv3.ProtocolConfiguration, bool) {
	pc := &extprocv3.ProtocolConfiguration{}
	it := d.fields(start, end, 0)
	for it.next() {
		f := it.f
		if f.typ != protowire.VarintType {
			return nil, false
		}
		switch f.num {
		case fPCRequestMode:
			pc.RequestBodyMode = procv3.ProcessingMode_BodySendMode(int32(f.varint))
		case fPCResponseMode:
			pc.ResponseBodyMode = procv3.ProcessingMode_BodySendMode(int32(f.varint))
		case fPCEarlyBody:
			pc.SendBodyWithoutWaitingForHeaderResponse = f.varint != 0
		default:
			return nil, false
		}
	}
	return pc, !it.failed
}
