package bbr

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// answerOut builds a session's answers that carry a header mutation. The
// session is pooled and keeps it across requests, so a routed request
// allocates nothing for its answer once the slices have grown. An answer is
// valid until the next one is built: gRPC marshals it inside Send.
type answerOut struct {
	resp   extprocv3.ProcessingResponse
	reqH   extprocv3.ProcessingResponse_RequestHeaders
	reqB   extprocv3.ProcessingResponse_RequestBody
	hdrs   extprocv3.HeadersResponse
	bodyR  extprocv3.BodyResponse
	common extprocv3.CommonResponse
	mut    extprocv3.HeaderMutation // its slices keep their capacity too
	opts   []corev3.HeaderValueOption
	vals   []corev3.HeaderValue
	raw    []byte
	set    []Header // what Policy.Decide appends to
}

func (s *session) answers() *answerOut {
	if s.ans == nil {
		s.ans = &answerOut{}
	}
	return s.ans
}

// decide asks the policy for a decision on what the scanner found, into the
// session's reusable header storage, and records it.
func (s *session) decide() (Decision, *Reject) {
	o := s.answers()
	d, rej := s.h.Policy.Decide(s.scanner, o.set[:0])
	if cap(d.Set) > cap(o.set) {
		o.set = d.Set[:0] // keep what Decide grew
	}
	if rej == nil {
		s.recordDecision(d)
	}
	return d, rej
}

// headers answers request headers: set what was decided, remove what the
// client sent under bbr's names and bbr did not set.
func (o *answerOut) headers(set []Header, present []string, clearRoute bool) *extprocv3.ProcessingResponse {
	o.hdrs.Response = o.mutation(set, present, clearRoute)
	o.reqH.RequestHeaders = &o.hdrs
	o.resp.Response = &o.reqH
	return &o.resp
}

// body answers a buffered body with the decision's headers.
func (o *answerOut) body(set []Header) *extprocv3.ProcessingResponse {
	o.bodyR.Response = o.mutation(set, nil, true)
	o.reqB.RequestBody = &o.bodyR
	o.resp.Response = &o.reqB
	return &o.resp
}

func (o *answerOut) mutation(set []Header, present []string, clearRoute bool) *extprocv3.CommonResponse {
	n := len(set)
	if cap(o.opts) < n {
		o.opts = make([]corev3.HeaderValueOption, n)
		o.vals = make([]corev3.HeaderValue, n)
	}
	// Values are copied into one buffer first: RawValue slices of it must
	// not move when it grows.
	o.raw = o.raw[:0]
	for _, h := range set {
		o.raw = append(o.raw, h.Value...)
	}
	o.mut.SetHeaders, o.mut.RemoveHeaders = o.mut.SetHeaders[:0], o.mut.RemoveHeaders[:0]
	off := 0
	for i, h := range set {
		end := off + len(h.Value)
		o.vals[i].Key, o.vals[i].RawValue = h.Key, o.raw[off:end:end]
		o.opts[i].Header, o.opts[i].AppendAction = &o.vals[i], corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
		o.mut.SetHeaders = append(o.mut.SetHeaders, &o.opts[i])
		off = end
	}
	for _, p := range present {
		if !isSet(set, p) {
			o.mut.RemoveHeaders = append(o.mut.RemoveHeaders, p)
		}
	}
	o.common.HeaderMutation, o.common.ClearRouteCache = nil, false
	if n+len(o.mut.RemoveHeaders) > 0 {
		o.common.HeaderMutation = &o.mut
		o.common.ClearRouteCache = clearRoute || len(o.mut.RemoveHeaders) > 0
	}
	return &o.common
}

// bodyResponse acknowledges a body chunk without changing anything.
func bodyResponse() *extprocv3.ProcessingResponse {
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
		RequestBody: &extprocv3.BodyResponse{}}}
}
