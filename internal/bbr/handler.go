package bbr

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/igw-dev/igw/internal/bbr/scan"
)

// Handler is bbr's ExternalProcessor service. Its fields are set once before
// serving and only read afterwards.
type Handler struct {
	extprocv3.UnimplementedExternalProcessorServer

	Policy       *Policy
	MaxBodyBytes int
	// Modes assumed when Envoy sends no protocol_config.
	RequestBodyMode  procv3.ProcessingMode_BodySendMode
	ResponseBodyMode procv3.ProcessingMode_BodySendMode
	// Strict rejects bodies bbr cannot read (compressed, not JSON) with 415
	// instead of passing them through unrouted.
	Strict  bool
	Metrics *Metrics
	Log     *slog.Logger

	held            *heldBudget
	scanners        sync.Pool
	sessions        sync.Pool
	unroutableWarns everyMinute
	shedWarns       everyMinute
}

// Process serves one ext_proc stream, which Envoy opens per HTTP request.
// The gRPC server must use wire.NewCodec (grpc.ForceServerCodecV2): the
// session reads each message into a wire.Request, whose body bytes live in
// the codec's pool.
func (h *Handler) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	h.Metrics.inFlight.Inc()
	defer h.Metrics.inFlight.Dec()
	s := h.newSession(stream)
	err := h.serve(stream, s)
	s.finish(err)
	h.sessions.Put(s)
	return err
}

// newSession takes a session from the pool: a stream per request makes
// the session the largest per-request allocation, and its slices keep
// their capacity across requests.
func (h *Handler) newSession(stream sender) *session {
	s, _ := h.sessions.Get().(*session)
	if s == nil {
		s = &session{}
	}
	held, present, ans := s.held[:0], s.present[:0], s.ans
	*s = session{h: h, stream: stream, log: h.Log, held: held, present: present, ans: ans}
	return s
}

func (h *Handler) serve(stream extprocv3.ExternalProcessor_ProcessServer, s *session) error {
	defer s.in.Release()
	for {
		if err := stream.RecvMsg(&s.in); err != nil {
			if err == io.EOF || errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		}
		err := s.handle(&s.in.Msg)
		// Whatever the session did not hold is sent on by now.
		s.in.Release()
		if err != nil {
			var pe protocolError
			switch {
			case errors.Is(err, errDone):
				return nil
			case errors.As(err, &pe):
				return status.Error(codes.InvalidArgument, pe.Error())
			}
			return err
		}
	}
}

// finish records how the stream ended and frees what it held.
func (s *session) finish(err error) {
	switch {
	case err != nil:
		s.outcome = OutcomeError
		s.h.Metrics.streamErrors.WithLabelValues(errKind(err)).Inc()
		s.logger().Warn("ext_proc stream failed", "err", err)
	case s.observe:
		s.outcome = OutcomeObserved
	case s.outcome == OutcomeRejected:
	case s.phase == phaseHeaders || s.phase == phaseBody || s.outcome == "":
		// Envoy closed the stream before a decision: the client went
		// away or the gateway timed out.
		s.outcome = OutcomeCanceled
	}
	s.h.Metrics.finished(s.outcome, s.code, s.bodyBytes)
	s.release()
}

func errKind(err error) string {
	var pe protocolError
	if errors.As(err, &pe) || status.Code(err) == codes.InvalidArgument {
		return "protocol"
	}
	return "transport"
}

func (h *Handler) getScanner() *scan.Scanner {
	if v := h.scanners.Get(); v != nil {
		sc := v.(*scan.Scanner)
		sc.Reset()
		return sc
	}
	return scan.New(h.Policy.Fields(), h.Policy.scanLimit())
}

func (h *Handler) putScanner(sc *scan.Scanner) { h.scanners.Put(sc) }

// unscannable decides what happens to a body bbr will not read.
func (h *Handler) unscannable(s *session) *Reject {
	if h.Strict {
		if s.code == "compressed" {
			return rejectf(415, CodeUnsupportedEncoding, "", "bbr cannot read a compressed request body; send it uncompressed")
		}
		return rejectf(415, CodeUnsupportedEncoding, "", "bbr routes JSON request bodies only; send content-type: application/json")
	}
	s.outcome = OutcomeUnscanned
	h.Metrics.passthrough.WithLabelValues(s.code).Inc()
	return nil
}

// everyMinute lets a warning about a condition that repeats per request
// through at most once a minute.
type everyMinute struct{ last atomic.Int64 }

func (e *everyMinute) due() bool {
	now := time.Now().Unix()
	last := e.last.Load()
	return now-last >= 60 && e.last.CompareAndSwap(last, now)
}

// warnShedding says that requests are being shed and what to change.
func (h *Handler) warnShedding() {
	if !h.shedWarns.due() {
		return
	}
	h.Log.Warn("held-bytes budget full: answering 503 to requests whose model has not arrived yet; "+
		"raise --max-held-bytes (and the memory limit) or add replicas",
		"held_bytes", h.held.Held(), "max_held_bytes", h.held.Limit())
}

// warnUnroutable says that the gateway's processing mode makes body-based
// routing impossible.
func (h *Handler) warnUnroutable() {
	if !h.unroutableWarns.due() {
		return
	}
	h.Log.Warn("gateway streams the request body in STREAMED mode without send_body_without_waiting_for_header_response; " +
		"Envoy routes before bbr sees the body, so no model header can take effect. Use FULL_DUPLEX_STREAMED or BUFFERED.")
}
