package envoysim

import (
	"bytes"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// run is one simulated request.
type run struct {
	req     Request
	conn    *conn
	res     *Result
	sentCfg bool
	sent    int  // body bytes sent
	frozen  bool // headers forwarded upstream: the route is chosen
}

func (r *run) msg(m *extprocv3.ProcessingRequest) *extprocv3.ProcessingRequest {
	if !r.sentCfg && !r.req.NoProtocolConfig {
		resp := r.req.ResponseMode
		if resp == None {
			resp = r.req.Mode
		}
		m.ProtocolConfig = &extprocv3.ProtocolConfiguration{
			RequestBodyMode: r.req.Mode, ResponseBodyMode: resp,
			SendBodyWithoutWaitingForHeaderResponse: r.req.EarlyBody,
		}
	}
	r.sentCfg = true
	return m
}

func headerMap(hs [][2]string) *corev3.HeaderMap {
	m := &corev3.HeaderMap{}
	for _, h := range hs {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: h[0], RawValue: []byte(h[1])})
	}
	return m
}

// chunks cuts the body as Envoy would deliver it.
func (r *run) chunks() [][]byte {
	b := r.req.Body
	if len(r.req.Chunks) == 0 || len(b) == 0 {
		return [][]byte{b}
	}
	var out [][]byte
	for i := 0; len(b) > 0; i++ {
		n := min(max(r.req.Chunks[i%len(r.req.Chunks)], 1), len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func (r *run) request() error {
	hasBody := r.req.Body != nil
	eos := !hasBody && r.req.Trailers == nil
	hdrs := &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{
		Headers: headerMap(r.req.Headers), EndOfStream: eos}}
	if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: hdrs})); err != nil {
		return fmt.Errorf("sending request headers: %w", err)
	}
	if !hasBody && r.req.Trailers == nil {
		_, err := r.headersAnswer()
		return err
	}
	switch r.req.Mode {
	case FullDuplexStreamed:
		return r.fullDuplex()
	case Streamed:
		return r.streamed()
	case Buffered, BufferedPartial:
		return r.buffered()
	}
	// NONE: Envoy sends no body; the headers answer decides.
	_, err := r.headersAnswer()
	return err
}

// headersAnswer waits for the answer to the request headers and applies it.
// It returns false when the processor answered with an immediate response.
func (r *run) headersAnswer() (bool, error) {
	a, err := r.next("the request headers")
	if err != nil || a == nil {
		return false, err
	}
	h, ok := a.Response.(*extprocv3.ProcessingResponse_RequestHeaders)
	if !ok {
		return false, fmt.Errorf("answer to request headers is %T, which Envoy rejects here", a.Response)
	}
	if err := r.apply(h.RequestHeaders.GetResponse()); err != nil {
		return false, err
	}
	return true, nil
}

// next returns the next answer, or nil after recording an immediate
// response.
func (r *run) next(what string) (*extprocv3.ProcessingResponse, error) {
	a, err := r.conn.next(what)
	if err != nil {
		return nil, err
	}
	r.res.Answers = append(r.res.Answers, a)
	if im, ok := a.Response.(*extprocv3.ProcessingResponse_ImmediateResponse); ok {
		r.res.Immediate = im.ImmediateResponse
		return nil, nil
	}
	return a, nil
}

// apply applies a common response that arrives while headers can still
// change.
func (r *run) apply(c *extprocv3.CommonResponse) error {
	if c == nil {
		return nil
	}
	if r.frozen {
		if c.GetHeaderMutation() != nil {
			r.res.IgnoredMutations++
		}
		return nil
	}
	if err := r.res.Headers.applyMutation(c.GetHeaderMutation()); err != nil {
		return err
	}
	if c.GetClearRouteCache() {
		r.res.ClearRouteCache = true
	}
	return nil
}

func (r *run) fullDuplex() error {
	errc := make(chan error, 1)
	go func() {
		err := r.sendParts(r.chunks())
		if err == nil {
			err = r.sendTrailers()
		}
		errc <- err
	}()
	ok, err := r.headersAnswer()
	if err != nil || !ok {
		return r.join(err, errc)
	}
	r.frozen = true
	var got bytes.Buffer
	// What reached upstream before an early end counts too: a rejected
	// request must not have delivered its whole body.
	defer func() { r.res.Body = got.Bytes() }()
	for {
		a, err := r.next("a streamed request body chunk")
		if err != nil || a == nil {
			return r.join(err, errc)
		}
		if t, ok := a.Response.(*extprocv3.ProcessingResponse_RequestTrailers); ok {
			if r.req.Trailers == nil {
				return r.join(fmt.Errorf("trailers answer for a request without trailers"), errc)
			}
			_ = t
			break
		}
		b, ok := a.Response.(*extprocv3.ProcessingResponse_RequestBody)
		if !ok {
			return r.join(fmt.Errorf("answer %T during the request body, which Envoy rejects in FULL_DUPLEX_STREAMED", a.Response), errc)
		}
		sr := b.RequestBody.GetResponse().GetBodyMutation().GetStreamedResponse()
		if sr == nil {
			return r.join(fmt.Errorf("body answer without streamed_response: Envoy reports a spurious message in FULL_DUPLEX_STREAMED"), errc)
		}
		if b.RequestBody.GetResponse().GetHeaderMutation() != nil {
			r.res.IgnoredMutations++
		}
		r.res.BodyMessages++
		got.Write(sr.GetBody())
		if sr.GetEndOfStream() {
			if r.req.Trailers != nil {
				return r.join(fmt.Errorf("streamed_response has end_of_stream although the request ends with trailers"), errc)
			}
			break
		}
	}
	return r.join(nil, errc)
}

// join waits for the sending goroutine; a send error after the processor
// answered early is expected and not reported.
func (r *run) join(err error, errc chan error) error {
	if err != nil || r.res.Immediate != nil {
		// Stop a sender that may be blocked on a stream nobody reads.
		r.conn.close()
	}
	serr := <-errc
	if err != nil {
		return err
	}
	if r.res.Immediate == nil && serr != nil {
		return serr
	}
	return nil
}

func (r *run) sendTrailers() error {
	if r.req.Trailers == nil {
		return nil
	}
	t := &extprocv3.ProcessingRequest_RequestTrailers{RequestTrailers: &extprocv3.HttpTrailers{Trailers: headerMap(r.req.Trailers)}}
	if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: t})); err != nil {
		return fmt.Errorf("sending trailers: %w", err)
	}
	return nil
}
