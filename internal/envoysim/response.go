package envoysim

import (
	"bytes"
	"fmt"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// response sends the upstream response through the filter. A processor
// that holds response chunks back shows up here as a timeout.
func (r *run) response() error {
	rs := r.req.Response
	mode := r.req.ResponseMode
	if mode == None {
		mode = r.req.Mode
	}
	eos := len(rs.Chunks) == 0
	h := &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: &extprocv3.HttpHeaders{
		Headers: headerMap(rs.Headers), EndOfStream: eos}}
	if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: h})); err != nil {
		return fmt.Errorf("sending response headers: %w", err)
	}
	a, err := r.next("the response headers")
	if err != nil || a == nil {
		return err
	}
	if _, ok := a.Response.(*extprocv3.ProcessingResponse_ResponseHeaders); !ok {
		return fmt.Errorf("answer to response headers is %T", a.Response)
	}
	if eos {
		return nil
	}
	var got bytes.Buffer
	for i, c := range rs.Chunks {
		last := i == len(rs.Chunks)-1
		m := &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: &extprocv3.HttpBody{Body: c, EndOfStream: last}}
		if err := r.conn.send(r.msg(&extprocv3.ProcessingRequest{Request: m})); err != nil {
			return fmt.Errorf("sending response chunk %d: %w", i, err)
		}
		// Waiting for each answer before the next chunk shows whether the
		// processor passes a chunk on before it has seen the rest, which
		// SSE token streaming needs.
		a, err := r.next(fmt.Sprintf("response chunk %d", i))
		if err != nil || a == nil {
			return err
		}
		b, ok := a.Response.(*extprocv3.ProcessingResponse_ResponseBody)
		if !ok {
			return fmt.Errorf("answer to response chunk %d is %T", i, a.Response)
		}
		r.res.ResponseChunks++
		mut := b.ResponseBody.GetResponse().GetBodyMutation()
		if mode == FullDuplexStreamed {
			sr := mut.GetStreamedResponse()
			if sr == nil {
				return fmt.Errorf("response chunk %d answered without streamed_response in FULL_DUPLEX_STREAMED", i)
			}
			got.Write(sr.GetBody())
			if sr.GetEndOfStream() != last {
				return fmt.Errorf("response chunk %d: end_of_stream %v, want %v", i, sr.GetEndOfStream(), last)
			}
			continue
		}
		switch {
		case mut.GetStreamedResponse() != nil:
			return fmt.Errorf("streamed_response outside FULL_DUPLEX_STREAMED")
		case mut.GetClearBody():
		case mut.GetBody() != nil:
			got.Write(mut.GetBody())
		default:
			got.Write(c)
		}
	}
	r.res.ResponseBody = got.Bytes()
	return nil
}
