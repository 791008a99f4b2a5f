package bbr

import (
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/bbr/wire"
)

// sender is the sending side of an ext_proc stream. Typed answers go
// through protobuf; the answers sent on every request (the decision, each
// chunk handed back) are wire frames, already encoded.
type sender interface {
	Send(*extprocv3.ProcessingResponse) error
	SendMsg(any) error
}

// answerOut encodes a session's frames. The session is pooled and keeps it
// across requests, so answering allocates nothing in bbr once its slices
// have grown. The codec copies a frame inside SendMsg, so the next answer
// may reuse it at once.
type answerOut struct {
	frame  wire.Frame
	remove []string
	set    []Header // what Policy.Decide appends to
}

func (s *session) send(r *extprocv3.ProcessingResponse) error { return s.stream.Send(r) }

func (s *session) sendFrame(f *wire.Frame) error { return s.stream.SendMsg(f) }

// decide asks the policy for a decision on what the scanner found, into the
// session's reusable header storage, and records it.
func (s *session) decide() (Decision, *Reject) {
	o := &s.ans
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
func (o *answerOut) headers(set []Header, present []string, clearRoute bool) *wire.Frame {
	return o.mutation(wire.RequestHeaders, set, present, clearRoute)
}

// body answers a buffered body with the decision's headers.
func (o *answerOut) body(set []Header) *wire.Frame {
	return o.mutation(wire.RequestBody, set, nil, true)
}

// mutation clears the route cache only when it changes a header: a removal
// always does, a set only when asked.
func (o *answerOut) mutation(a wire.Answer, set []Header, present []string, clearRoute bool) *wire.Frame {
	o.remove = o.remove[:0]
	for _, p := range present {
		if !isSet(set, p) {
			o.remove = append(o.remove, p)
		}
	}
	changes := len(set)+len(o.remove) > 0
	o.frame.Mutation(a, set, o.remove, changes && (clearRoute || len(o.remove) > 0))
	return &o.frame
}

// sendStreamed passes a chunk back and then drops the frame's reference to
// it, so a stream that waits for its next chunk holds no body bytes.
func (s *session) sendStreamed(request bool, data []byte, eos bool) error {
	a := wire.ResponseBody
	if request {
		a = wire.RequestBody
	}
	f := &s.ans.frame
	f.Streamed(a, data, eos)
	err := s.sendFrame(f)
	f.Data = nil
	return err
}

// bodyResponse acknowledges a body chunk without changing anything.
func bodyResponse() *extprocv3.ProcessingResponse {
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
		RequestBody: &extprocv3.BodyResponse{}}}
}
