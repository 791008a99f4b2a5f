package envoysim

import (
	"bytes"
	"fmt"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// buffered: Envoy answers nothing upstream until the body answer, which may
// still change the headers.
func (r *run) buffered() error {
	ok, err := r.headersAnswer()
	if err != nil || !ok {
		return err
	}
	body, rest := r.req.Body, []byte(nil)
	eos := r.req.Trailers == nil
	limit := r.req.BufferLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	if r.req.Mode == BufferedPartial && len(body) > limit {
		body, rest, eos = body[:limit], body[limit:], false
	}
	m := &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: body, EndOfStream: eos}}
	if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: m})); err != nil {
		return fmt.Errorf("sending the buffered body: %w", err)
	}
	out, ok, err := r.bodyAnswer(body)
	if err != nil || !ok {
		return err
	}
	r.frozen = true
	r.res.Body = append(out, rest...)
	return r.trailersAnswer()
}

// bodyAnswer waits for a non-streamed body answer and returns the chunk as
// Envoy forwards it.
func (r *run) bodyAnswer(chunk []byte) ([]byte, bool, error) {
	a, err := r.next("a request body chunk")
	if err != nil || a == nil {
		return nil, false, err
	}
	b, ok := a.Response.(*extprocv3.ProcessingResponse_RequestBody)
	if !ok {
		return nil, false, fmt.Errorf("answer to a body chunk is %T, which Envoy rejects here", a.Response)
	}
	r.res.BodyMessages++
	c := b.RequestBody.GetResponse()
	if c.GetBodyMutation().GetStreamedResponse() != nil {
		return nil, false, fmt.Errorf("streamed_response outside FULL_DUPLEX_STREAMED, which Envoy rejects")
	}
	if err := r.apply(c); err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), chunk...)
	if m := c.GetBodyMutation(); m != nil {
		switch {
		case m.GetClearBody():
			out = nil
		case m.GetBody() != nil:
			out = m.GetBody()
		}
	}
	return out, true, nil
}

func (r *run) trailersAnswer() error {
	if r.req.Trailers == nil {
		return nil
	}
	if err := r.sendTrailers(); err != nil {
		return err
	}
	a, err := r.next("the request trailers")
	if err != nil || a == nil {
		return err
	}
	if _, ok := a.Response.(*extprocv3.ProcessingResponse_RequestTrailers); !ok {
		return fmt.Errorf("answer to request trailers is %T", a.Response)
	}
	return nil
}

// streamed: each chunk waits for its own answer. Headers go upstream with
// their answer, unless Envoy sends the body early, in which case the headers
// answer may come after some chunks.
func (r *run) streamed() error {
	parts := r.chunks()
	var got bytes.Buffer
	if r.req.EarlyBody {
		errc := make(chan error, 1)
		go func() {
			errc <- r.sendParts(parts)
		}()
		ok, err := r.headersAnswer()
		if err != nil || !ok {
			return r.join(err, errc)
		}
		r.frozen = true
		for _, p := range parts {
			out, ok, err := r.bodyAnswer(p)
			if err != nil || !ok {
				return r.join(err, errc)
			}
			got.Write(out)
		}
		if err := <-errc; err != nil {
			return err
		}
	} else {
		ok, err := r.headersAnswer()
		if err != nil || !ok {
			return err
		}
		r.frozen = true
		for _, p := range parts {
			if err := r.sendParts([][]byte{p}); err != nil {
				return err
			}
			out, ok, err := r.bodyAnswer(p)
			if err != nil || !ok {
				return err
			}
			got.Write(out)
		}
	}
	r.res.Body = got.Bytes()
	return r.trailersAnswer()
}

// sendParts sends body chunks; end_of_stream goes on the request's last
// chunk when no trailers follow.
func (r *run) sendParts(parts [][]byte) error {
	for _, p := range parts {
		r.sent += len(p)
		last := r.sent == len(r.req.Body) && r.req.Trailers == nil
		m := &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: p, EndOfStream: last}}
		if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: m})); err != nil {
			return fmt.Errorf("sending a body chunk: %w", err)
		}
	}
	return nil
}
