// Package envoysim plays Envoy's side of the External Processing protocol:
// it sends one HTTP request (and optionally its response) over a real gRPC
// stream in the message order Envoy uses for each body processing mode, and
// applies the answers the way Envoy would, checking that every answer is one
// Envoy accepts at that point. Tests use it against bbr on loopback; igwctl
// can use it to probe a deployed ext_proc server.
package envoysim

import (
	"context"
	"fmt"
	"strings"
	"time"

	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// Mode is a request or response body send mode.
type Mode = procv3.ProcessingMode_BodySendMode

// The body modes, re-exported for callers' convenience.
const (
	None               = procv3.ProcessingMode_NONE
	Streamed           = procv3.ProcessingMode_STREAMED
	Buffered           = procv3.ProcessingMode_BUFFERED
	BufferedPartial    = procv3.ProcessingMode_BUFFERED_PARTIAL
	FullDuplexStreamed = procv3.ProcessingMode_FULL_DUPLEX_STREAMED
)

// Request describes one HTTP request as Envoy would see it.
type Request struct {
	Headers [][2]string // in order; keys as the client sent them
	Body    []byte      // nil: no body (end_of_stream on headers)
	// Chunks are the sizes Envoy cuts the body into, cycled; nil sends
	// the body as one chunk.
	Chunks []int
	// Trailers, when non-nil, end the request instead of end_of_stream on
	// the last body chunk.
	Trailers [][2]string

	Mode Mode
	// ResponseMode is the response body mode (default: same as Mode).
	ResponseMode Mode
	// NoProtocolConfig leaves protocol_config out of the first message, as
	// older Envoys do.
	NoProtocolConfig bool
	// EarlyBody sets send_body_without_waiting_for_header_response
	// (STREAMED only).
	EarlyBody bool
	// BufferLimit is Envoy's buffer for BUFFERED_PARTIAL (default 1 MiB).
	BufferLimit int

	// Response, when set, is sent back through the filter after the
	// request is processed.
	Response *Response

	// AnswerTimeout bounds the wait for each answer (default
	// DefaultAnswerTimeout).
	AnswerTimeout time.Duration
}

// Response is an upstream response to send through the filter.
type Response struct {
	Headers [][2]string
	Chunks  [][]byte // each sent as one response_body message
}

// Result is what Envoy would do with the request after processing.
type Result struct {
	// Headers are the request headers when Envoy picks the route.
	Headers Headers
	// ClearRouteCache is set when an answer that took effect asked for it.
	ClearRouteCache bool
	// Body is the request body as Envoy forwards it upstream.
	Body []byte
	// BodyMessages counts the body answers received.
	BodyMessages int
	// Immediate is set when the processor answered the request itself.
	Immediate *extprocv3.ImmediateResponse
	// IgnoredMutations counts header mutations sent where Envoy ignores
	// them (body answers in STREAMED mode).
	IgnoredMutations int
	// ResponseBody is the response body as forwarded downstream.
	ResponseBody []byte
	// ResponseChunks counts response body answers.
	ResponseChunks int
	// Answers is every message received, in order.
	Answers []*extprocv3.ProcessingResponse
}

// Headers is a request header map with Envoy's lowercase keys.
type Headers map[string][]string

// Get returns the single value of key, or "" (and false) when absent.
func (h Headers) Get(key string) (string, bool) {
	v, ok := h[strings.ToLower(key)]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.Join(v, ","), true
}

// Run sends req on a new stream of client and returns what Envoy would do.
func Run(ctx context.Context, client extprocv3.ExternalProcessorClient, req Request) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Process(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening ext_proc stream: %w", err)
	}
	c := newConn(stream, cancel, req.AnswerTimeout)
	defer c.close()
	sim := &run{req: req, conn: c, res: &Result{Headers: Headers{}}}
	for _, h := range req.Headers {
		k := strings.ToLower(h[0])
		sim.res.Headers[k] = append(sim.res.Headers[k], h[1])
	}
	if err := sim.request(); err != nil {
		return sim.res, err
	}
	if sim.res.Immediate == nil && req.Response != nil {
		if err := sim.response(); err != nil {
			return sim.res, err
		}
	}
	return sim.res, nil
}

// applyMutation applies a header mutation as Envoy's ext_proc filter does:
// removals, then sets.
func (h Headers) applyMutation(m *extprocv3.HeaderMutation) error {
	if m == nil {
		return nil
	}
	for _, k := range m.GetRemoveHeaders() {
		delete(h, strings.ToLower(k))
	}
	for _, o := range m.GetSetHeaders() {
		k := o.GetHeader().GetKey()
		if k != strings.ToLower(k) {
			return fmt.Errorf("header key %q is not lowercase", k)
		}
		// Envoy reads only raw_value: a value sent in the old string field
		// arrives as an empty header.
		if len(o.GetHeader().GetRawValue()) == 0 && o.GetHeader().GetValue() != "" {
			return fmt.Errorf("header %s is set in value, not raw_value: Envoy would set it empty", k)
		}
		v := string(o.GetHeader().GetRawValue())
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("header %s has a value Envoy rejects: %q", k, v)
		}
		// The ext_proc filter reads only the deprecated append flag (unset
		// means overwrite) and ignores append_action.
		//lint:ignore SA1019 the field is deprecated, but it is what Envoy's ext_proc filter reads
		if o.GetAppend().GetValue() {
			h[k] = append(h[k], v)
		} else {
			h[k] = []string{v}
		}
	}
	return nil
}
