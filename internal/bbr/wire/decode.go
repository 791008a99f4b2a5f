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
	d := decoder{msg: b}
	var out extprocv3.ProcessingRequest
	var seen fieldSet
	for pos := 0; pos < len(b); {
		f, ok := d.next(pos, len(b), &seen)
		if !ok {
			return false
		}
		pos = f.next
		switch {
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
			body, ok := d.body(f.start, f.end)
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
	next       int
}

func (f wireField) is(num protowire.Number, typ protowire.Type) bool {
	return f.num == num && f.typ == typ
}

// fieldSet remembers the singular fields of one message already seen, so
// a repeated one (protobuf would merge it) sends the message to protobuf.
type fieldSet uint64

// next reads the field at pos of a message that ends at end.
func (d *decoder) next(pos, end int, seen *fieldSet) (wireField, bool) {
	return d.nextField(pos, end, seen, 0)
}

// nextField reads only varint and length-delimited fields, and fails on a
// field number seen before in the message unless it is repeatable, the
// message's one repeated field.
func (d *decoder) nextField(pos, end int, seen *fieldSet, repeatable protowire.Number) (wireField, bool) {
	b := d.msg[pos:end]
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num >= 64 {
		return wireField{}, false
	}
	f := wireField{num: num, typ: typ}
	if num != repeatable {
		if *seen&(1<<num) != 0 {
			return wireField{}, false
		}
		*seen |= 1 << num
	}
	switch typ {
	case protowire.VarintType:
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return wireField{}, false
		}
		f.varint, f.next = v, pos+n+m
	case protowire.BytesType:
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return wireField{}, false
		}
		f.start = pos + n + m - len(v)
		f.end, f.next = f.start+len(v), pos+n+m
	default:
		return wireField{}, false
	}
	return f, true
}

func (d *decoder) headers(start, end int) (*extprocv3.HttpHeaders, bool) {
	hs := &extprocv3.HttpHeaders{}
	var seen fieldSet
	for pos := start; pos < end; {
		f, ok := d.next(pos, end, &seen)
		if !ok {
			return nil, false
		}
		pos = f.next
		switch {
		case f.is(fHTTPHeaders, protowire.BytesType):
			if hs.Headers, ok = d.headerMap(f.start, f.end); !ok {
				return nil, false
			}
		case f.is(fHTTPHeadersEOS, protowire.VarintType):
			hs.EndOfStream = f.varint != 0
		default:
			return nil, false
		}
	}
	return hs, true
}

// headerMap counts the headers first, so they live in one array.
func (d *decoder) headerMap(start, end int) (*corev3.HeaderMap, bool) {
	n := 0
	var seen fieldSet
	for pos := start; pos < end; {
		f, ok := d.nextField(pos, end, &seen, fMapHeaders)
		if !ok || !f.is(fMapHeaders, protowire.BytesType) {
			return nil, false
		}
		pos = f.next
		n++
	}
	vals := make([]corev3.HeaderValue, n)
	ptrs := make([]*corev3.HeaderValue, n)
	i := 0
	for pos := start; pos < end; i++ {
		f, _ := d.nextField(pos, end, &seen, fMapHeaders)
		pos = f.next
		if !d.headerValue(f.start, f.end, &vals[i]) {
			return nil, false
		}
		ptrs[i] = &vals[i]
	}
	return &corev3.HeaderMap{Headers: ptrs}, true
}

func (d *decoder) headerValue(start, end int, hv *corev3.HeaderValue) bool {
	var seen fieldSet
	for pos := start; pos < end; {
		f, ok := d.next(pos, end, &seen)
		if !ok || f.typ != protowire.BytesType {
			return false
		}
		pos = f.next
		switch f.num {
		case fKey:
			if hv.Key, ok = d.string(f.start, f.end); !ok {
				return false
			}
		case fValue:
			if hv.Value, ok = d.string(f.start, f.end); !ok {
				return false
			}
		case fRawValue:
			hv.RawValue = d.bytes(f.start, f.end)
		default:
			return false
		}
	}
	return true
}

func (d *decoder) body(start, end int) (*extprocv3.HttpBody, bool) {
	body := &extprocv3.HttpBody{}
	var seen fieldSet
	for pos := start; pos < end; {
		f, ok := d.next(pos, end, &seen)
		if !ok {
			return nil, false
		}
		pos = f.next
		switch {
		case f.is(fHTTPBody, protowire.BytesType):
			body.Body = d.bytes(f.start, f.end)
		case f.is(fHTTPBodyEOS, protowire.VarintType):
			body.EndOfStream = f.varint != 0
		default:
			return nil, false
		}
	}
	return body, true
}

func (d *decoder) protocolConfig(start, end int) (*extprocv3.ProtocolConfiguration, bool) {
	pc := &extprocv3.ProtocolConfiguration{}
	var seen fieldSet
	for pos := start; pos < end; {
		f, ok := d.next(pos, end, &seen)
		if !ok || f.typ != protowire.VarintType {
			return nil, false
		}
		pos = f.next
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
	return pc, true
}
