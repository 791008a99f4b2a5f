package bbr

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/bbr/scan"
	"github.com/igw-dev/igw/internal/bbr/wire"
)

// errDone ends a stream normally after bbr answered the request itself.
var errDone = errors.New("request answered by bbr")

type phase uint8

const (
	phaseHeaders phase = iota // waiting for request headers
	phaseBody                 // reading the body, no decision yet
	phaseDecided              // decision sent, body still flowing
	phaseDone                 // request side finished
)

// chunk is a body piece held until the decision: Envoy wants every piece
// back, in order, with its own end_of_stream. buf is the pooled buffer
// data lives in, given back once data is sent on.
type chunk struct {
	data []byte
	eos  bool
	buf  wire.Body
}

// session is one HTTP request's exchange with Envoy: a state machine over
// the messages of one gRPC stream. It is not safe for concurrent use.
type session struct {
	h      *Handler
	stream sender
	log    *slog.Logger

	phase    phase
	reqMode  procv3.ProcessingMode_BodySendMode
	respMode procv3.ProcessingMode_BodySendMode
	// earlyBody: Envoy sends STREAMED chunks before the headers response,
	// so that response may wait for the model.
	earlyBody bool
	observe   bool
	modeKnown bool

	scanner   *scan.Scanner
	held      []chunk
	heldBytes int // bytes in held
	pending   int // body bytes read before the decision
	acks      int // STREAMED chunks waiting for a response after the decision
	passBody  bool
	present   []string // owned headers the client sent
	requestID string
	bodyBytes int64
	start     time.Time
	outcome   Outcome
	code      string

	// ans survives the session's reset in the pool, with its capacity.
	ans answerOut
	// in is the message being handled; the codec reads each into it.
	in wire.Request
}

func (s *session) handle(req *extprocv3.ProcessingRequest) error {
	if !s.modeKnown {
		s.learnMode(req)
	}
	if s.observe {
		// Envoy ignores answers in observability mode; bbr cannot route.
		return nil
	}
	switch r := req.Request.(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		return s.onRequestHeaders(r.RequestHeaders)
	case *extprocv3.ProcessingRequest_RequestBody:
		return s.onRequestBody(r.RequestBody.GetBody(), r.RequestBody.GetEndOfStream())
	case *extprocv3.ProcessingRequest_RequestTrailers:
		return s.onRequestTrailers()
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		return s.send(&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseHeaders{
			ResponseHeaders: &extprocv3.HeadersResponse{}}})
	case *extprocv3.ProcessingRequest_ResponseBody:
		return s.onResponseBody(r.ResponseBody.GetBody(), r.ResponseBody.GetEndOfStream())
	case *extprocv3.ProcessingRequest_ResponseTrailers:
		return s.send(&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseTrailers{
			ResponseTrailers: &extprocv3.TrailersResponse{}}})
	}
	return errProtocol("a ProcessingRequest with no request, headers, body or trailers")
}

func (s *session) learnMode(req *extprocv3.ProcessingRequest) {
	s.modeKnown = true
	s.observe = req.GetObservabilityMode()
	if pc := req.GetProtocolConfig(); pc != nil {
		s.reqMode, s.respMode = pc.GetRequestBodyMode(), pc.GetResponseBodyMode()
		s.earlyBody = pc.GetSendBodyWithoutWaitingForHeaderResponse()
		return
	}
	s.reqMode, s.respMode = s.h.RequestBodyMode, s.h.ResponseBodyMode
}

func (s *session) onRequestHeaders(hs *extprocv3.HttpHeaders) error {
	if s.phase != phaseHeaders {
		return errProtocol("request headers arrived twice")
	}
	s.start = time.Now()
	s.inspectHeaders(hs)
	if hs.GetEndOfStream() || s.reqMode == procv3.ProcessingMode_NONE {
		s.phase, s.outcome = phaseDone, OutcomeNoBody
		return s.sendFrame(s.ans.headers(nil, s.present, false))
	}
	if s.passBody {
		if rej := s.h.unscannable(s); rej != nil {
			return s.reject(rej)
		}
		s.phase = phaseDecided
		return s.sendFrame(s.ans.headers(nil, s.present, false))
	}
	s.phase = phaseBody
	s.scanner = s.h.getScanner()
	switch s.reqMode {
	case procv3.ProcessingMode_FULL_DUPLEX_STREAMED:
		return nil // the answer waits for the model
	case procv3.ProcessingMode_STREAMED:
		if s.earlyBody {
			return nil
		}
		// Envoy forwards the headers as soon as it has this answer, so
		// nothing later in the body can change the route.
		s.h.warnUnroutable()
	}
	return s.sendFrame(s.ans.headers(nil, s.present, false))
}

// inspectHeaders notes what the body handling depends on. Envoy sends
// lowercase keys, but a hand-written client may not. Values are copied only
// for the few headers read, since this runs for every request.
func (s *session) inspectHeaders(hs *extprocv3.HttpHeaders) {
	for _, h := range hs.GetHeaders().GetHeaders() {
		key := strings.ToLower(h.GetKey())
		switch key {
		case "content-encoding":
			if v := strings.TrimSpace(strings.ToLower(headerValue(h))); v != "" && v != "identity" {
				s.passBody, s.code = true, "compressed"
			}
		case "content-type":
			if !isJSONType(headerValue(h)) {
				s.passBody, s.code = true, "not_json"
			}
		case "x-request-id":
			s.requestID = headerValue(h)
		}
		for _, o := range s.h.Policy.Owned() {
			if key == o {
				s.present = append(s.present, o)
			}
		}
	}
}

// headerValue reads a header as Envoy fills it: raw_value, or value from
// older proxies.
func headerValue(h *corev3.HeaderValue) string {
	if len(h.GetRawValue()) > 0 {
		return string(h.GetRawValue())
	}
	return h.GetValue()
}

// logger carries the request ID; it is built only when something is logged.
func (s *session) logger() *slog.Logger {
	if s.requestID == "" {
		return s.log
	}
	return s.log.With("request_id", s.requestID)
}

// isJSONType accepts application/json and any +json type; the body of a
// form or a file upload is not bbr's to parse.
func isJSONType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func (s *session) onRequestBody(data []byte, eos bool) error {
	s.bodyBytes += int64(len(data))
	switch {
	case s.phase == phaseHeaders:
		return errProtocol("request body before request headers")
	case s.phase == phaseDone || s.passBody:
		// Past the end (an Envoy that repeats end_of_stream) or a body
		// bbr does not read: hand it back untouched.
		if eos {
			s.phase = phaseDone
		}
		return s.passRequestChunk(data, eos)
	}
	switch s.reqMode {
	case procv3.ProcessingMode_FULL_DUPLEX_STREAMED:
		return s.fullDuplexChunk(data, eos)
	case procv3.ProcessingMode_STREAMED:
		return s.streamedChunk(data, eos)
	}
	return s.bufferedBody(data, eos)
}

func (s *session) onRequestTrailers() error {
	if s.phase == phaseBody || s.phase == phaseDecided {
		if err := s.endOfBody(); err != nil {
			return err
		}
	}
	return s.send(&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestTrailers{
		RequestTrailers: &extprocv3.TrailersResponse{}}})
}

// endOfBody handles a body that ended with trailers instead of an
// end_of_stream chunk.
func (s *session) endOfBody() error {
	defer func() { s.phase = phaseDone }()
	if s.passBody {
		return nil
	}
	if err := s.scanner.Finish(); err != nil {
		return s.reject(rejectScan(err))
	}
	switch {
	case s.headersPending():
		return s.decideAndFlush()
	case s.phase == phaseBody:
		s.recordUnroutable()
	}
	return nil
}

// headersPending reports whether the request headers still wait for bbr's
// answer, which is then where the decision goes.
func (s *session) headersPending() bool {
	if s.phase != phaseBody {
		return false
	}
	return s.reqMode == procv3.ProcessingMode_FULL_DUPLEX_STREAMED ||
		(s.reqMode == procv3.ProcessingMode_STREAMED && s.earlyBody)
}

func (s *session) onResponseBody(data []byte, eos bool) error {
	if s.respMode == procv3.ProcessingMode_FULL_DUPLEX_STREAMED {
		return s.sendStreamed(false, data, eos)
	}
	return s.send(&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
		ResponseBody: &extprocv3.BodyResponse{}}})
}

// passRequestChunk returns a chunk unchanged in whatever form the mode
// wants.
func (s *session) passRequestChunk(data []byte, eos bool) error {
	if s.reqMode == procv3.ProcessingMode_FULL_DUPLEX_STREAMED {
		return s.sendStreamed(true, data, eos)
	}
	return s.send(bodyResponse())
}

// reject answers the request with an error and ends the stream.
func (s *session) reject(r *Reject) error { return s.answerItself(r, OutcomeRejected) }

// shed answers 503 when holding one more chunk would pass the held-bytes
// budget, and lets go of what the request held at once: the client retries
// later, and the pod stays clear of the OOM killer.
func (s *session) shed() error {
	s.h.warnShedding()
	return s.answerItself(overloaded(s.h.held.Limit()), OutcomeShed)
}

func (s *session) answerItself(r *Reject, o Outcome) error {
	s.outcome, s.code = o, r.Code
	s.release()
	s.phase = phaseDone
	if err := s.send(r.Response()); err != nil {
		return err
	}
	return errDone
}

// release drops held chunks so a finished stream holds no body bytes.
func (s *session) release() {
	s.h.held.give(s.heldBytes)
	for i := range s.held {
		s.held[i].buf.Release()
	}
	clear(s.held)
	s.held, s.heldBytes = s.held[:0], 0
	if s.scanner != nil {
		s.h.putScanner(s.scanner)
		s.scanner = nil
	}
}

type protocolError string

func (e protocolError) Error() string { return "ext_proc protocol violation: " + string(e) }

func errProtocol(msg string) error { return protocolError(msg) }
