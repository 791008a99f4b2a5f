package bbr

import (
	"context"
	"log/slog"
	"time"

	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"

	"github.com/igw-dev/igw/internal/bbr/scan"
)

// fullDuplexChunk: Envoy streams chunks without waiting, and wants each one
// back as a streamed mutation, after the headers answer. Until the model is
// known the chunks are held; after, each goes straight back once scanned,
// so a duplicate model or broken JSON stops the request before its last
// byte reaches the model server.
func (s *session) fullDuplexChunk(data []byte, eos bool) error {
	if s.phase == phaseDecided {
		if err := s.scanChunk(data, eos); err != nil {
			return err
		}
		if eos {
			s.phase = phaseDone
		}
		return s.sendStreamed(true, data, eos)
	}
	if s.overLimit(len(data)) {
		// Past the limit with the model known: stop waiting for rule
		// fields and route on what is known.
		if err := s.decideAndFlush(); err != nil {
			return err
		}
		return s.fullDuplexChunk(data, eos)
	}
	if !s.h.held.take(len(data)) {
		return s.shed()
	}
	s.pending += len(data)
	s.held = append(s.held, chunk{data, eos, s.in.TakeBody()})
	s.heldBytes += len(data)
	return s.readBeforeDecision(data, eos)
}

// readBeforeDecision scans a chunk that came before the decision, and
// decides once every wanted field is complete or the body has ended.
func (s *session) readBeforeDecision(data []byte, eos bool) error {
	if err := s.scanChunk(data, eos); err != nil {
		return err
	}
	if !eos && !s.scanner.AllDone() {
		return nil
	}
	if eos {
		defer func() { s.phase = phaseDone }()
	}
	return s.decideAndFlush()
}

// streamedChunk: in STREAMED mode Envoy holds each chunk until its answer.
// When it also sends chunks before the headers answer, that answer can wait
// for the model and the chunks are acknowledged after it; bbr holds no body
// bytes, only a count.
func (s *session) streamedChunk(data []byte, eos bool) error {
	if s.phase == phaseBody && s.earlyBody {
		if s.overLimit(len(data)) {
			if err := s.decideAndFlush(); err != nil {
				return err
			}
			return s.streamedChunk(data, eos)
		}
		s.acks++
		s.pending += len(data) // Envoy holds the bytes; bbr only counts them
		return s.readBeforeDecision(data, eos)
	}
	if err := s.scanChunk(data, eos); err != nil {
		return err
	}
	if eos {
		s.phase = phaseDone
		s.recordUnroutable()
	}
	return s.send(bodyResponse())
}

// bufferedBody: BUFFERED and BUFFERED_PARTIAL send the body in one message
// while Envoy still holds the headers, so the decision rides on the body
// answer.
func (s *session) bufferedBody(data []byte, eos bool) error {
	if rej := scanWhole(s.scanner, data, s.h.MaxBodyBytes); rej != nil {
		return s.reject(rej)
	}
	partial := !eos && s.reqMode == procv3.ProcessingMode_BUFFERED_PARTIAL && !s.scanner.Complete()
	if partial {
		// The rest of the body goes upstream unseen, and may hold a second
		// "model" that the model server would obey.
		return s.reject(rejectf(413, CodePartialBody, "",
			"request body is larger than the gateway's buffer, so bbr cannot see all of it; send a smaller body or ask the operator for FULL_DUPLEX_STREAMED"))
	}
	if err := s.scanner.Finish(); err != nil {
		return s.reject(rejectScan(err))
	}
	d, rej := s.decide()
	if rej != nil {
		return s.reject(rej)
	}
	s.phase = phaseDone
	return s.sendFrame(s.ans.body(d.Set))
}

// overLimit reports whether n more bytes would pass --max-body-bytes before
// a decision. Only the model must come within the limit; callers decide on
// what they know when it has.
func (s *session) overLimit(n int) bool {
	return s.pending+n > s.h.MaxBodyBytes
}

// scanWhole feeds a body that arrived in one piece to sc: the fields must complete within the
// first limit bytes (413 otherwise), and the rest is still scanned for a second top-level
// "model". BUFFERED mode and DecideBody both come through here, so a prediction cannot drift
// from what bbr does.
func scanWhole(sc *scan.Scanner, data []byte, limit int) *Reject {
	n := min(len(data), limit)
	if err := sc.Write(data[:n]); err != nil {
		return rejectScan(err)
	}
	if n < len(data) && !sc.AllDone() {
		return tooLarge(limit)
	}
	if err := sc.Write(data[n:]); err != nil {
		return rejectScan(err)
	}
	return nil
}

func tooLarge(limit int) *Reject {
	return rejectf(413, CodeBodyTooLarge, "",
		"the first %d bytes of the request body do not complete the \"model\" field; send \"model\" earlier in the body or a smaller body", limit)
}

func (s *session) scanChunk(data []byte, eos bool) error {
	if err := s.scanner.Write(data); err != nil {
		return s.reject(rejectScan(err))
	}
	if eos {
		if err := s.scanner.Finish(); err != nil {
			return s.reject(rejectScan(err))
		}
	}
	return nil
}

// decideAndFlush sends the headers answer and then everything that waited
// for it, in order. Reaching the body limit without a complete model is a
// 413.
func (s *session) decideAndFlush() error {
	if m := s.scanner.Field(0); !m.Done && !s.scanner.Complete() {
		return s.reject(tooLarge(s.h.MaxBodyBytes))
	}
	d, rej := s.decide()
	if rej != nil {
		return s.reject(rej)
	}
	if err := s.sendFrame(s.ans.headers(d.Set, s.present, true)); err != nil {
		return err
	}
	s.phase = phaseDecided
	for i := range s.held {
		c := &s.held[i]
		if err := s.sendStreamed(true, c.data, c.eos); err != nil {
			return err // release gives back what was not sent
		}
		c.buf.Release()
		*c = chunk{}
	}
	for ; s.acks > 0; s.acks-- {
		if err := s.send(bodyResponse()); err != nil {
			return err
		}
	}
	s.h.held.give(s.heldBytes)
	s.held, s.heldBytes = s.held[:0], 0
	return nil
}

func (s *session) recordDecision(d Decision) {
	s.outcome = d.Outcome
	s.h.Metrics.decided(time.Since(s.start), s.scanner.Offset())
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.logger().Debug("routing decision", "outcome", d.Outcome, "model", d.Model, "offset", s.scanner.Offset())
	}
}

func (s *session) recordUnroutable() { s.outcome = OutcomeUnroutable }

func isSet(set []Header, key string) bool {
	for _, h := range set {
		if h.Key == key {
			return true
		}
	}
	return false
}
