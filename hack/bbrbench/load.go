package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	chunkBytes = 16 << 10 // Envoy's usual body slice size
	// modelHeader is the header bbr sets from the body.
	modelHeader = "x-gateway-inference-model"
	// requestTimeout turns a hung stream into a failure instead of a hung
	// benchmark.
	requestTimeout = 30 * time.Second
	// minRequests is the fewest measured requests per cell, so that slow
	// cells (10 MiB) still give a p50 worth reading.
	minRequests = 20
	// cellCap bounds a cell that needs more than -duration to reach
	// minRequests.
	cellCap = 15 * time.Second
	// maxErrorsKept bounds the error messages kept per cell.
	maxErrorsKept = 5
)

// workload is one pre-built request: its messages are built once and only
// read afterwards, so the load generator spends its CPU on gRPC, as Envoy
// would, not on building bodies.
type workload struct {
	body []byte
	// model is the header value to expect in the headers answer; "" skips
	// the check (echo sets no headers).
	model string
	msgs  []*extprocv3.ProcessingRequest
}

func newWorkload(body []byte, expectModel string) *workload {
	w := &workload{body: body, model: expectModel}
	w.msgs = append(w.msgs, &extprocv3.ProcessingRequest{
		ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: procv3.ProcessingMode_FULL_DUPLEX_STREAMED},
		Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{
			Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
				{Key: ":method", RawValue: []byte("POST")},
				{Key: ":path", RawValue: []byte("/v1/chat/completions")},
				{Key: "content-type", RawValue: []byte("application/json")},
			}},
		}},
	})
	for off := 0; off < len(body); off += chunkBytes {
		end := min(off+chunkBytes, len(body))
		w.msgs = append(w.msgs, &extprocv3.ProcessingRequest{
			Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{
				Body: body[off:end], EndOfStream: end == len(body)}},
		})
	}
	return w
}

// dial opens the one connection all workers of a server share, as one
// Envoy worker thread shares its connection to the processor.
func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)))
}

// do runs one request on a new stream and returns the time from the first
// message sent to the body answer carrying end_of_stream.
func (w *workload) do(ctx context.Context, client extprocv3.ExternalProcessorClient) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	stream, err := client.Process(ctx)
	if err != nil {
		return 0, fmt.Errorf("opening stream: %w", err)
	}
	start := time.Now()
	// Envoy streams the body without waiting for answers in this mode, so
	// the sender must not wait for the receiver either.
	sent := make(chan error, 1)
	go func() {
		for _, m := range w.msgs {
			if err := stream.Send(m); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	lat, err := w.receive(stream, start)
	if err != nil {
		cancel() // unblocks a sender stuck on flow control
		<-sent
		return 0, err
	}
	if err := <-sent; err != nil {
		return 0, fmt.Errorf("sending: %w", err)
	}
	// End the stream as a finished request does and wait for the server
	// to close it, so every request counted has released its stream.
	if err := stream.CloseSend(); err != nil {
		return 0, fmt.Errorf("closing the stream: %w", err)
	}
	if r, err := stream.Recv(); err != io.EOF {
		return 0, fmt.Errorf("stream did not end after the body (answer %T, err %v)", r.GetResponse(), err)
	}
	return lat, nil
}

// receive checks the answers: the headers answer first, then the body back
// in order with end_of_stream on the last piece.
func (w *workload) receive(stream extprocv3.ExternalProcessor_ProcessClient, start time.Time) (time.Duration, error) {
	first, err := stream.Recv()
	if err != nil {
		return 0, fmt.Errorf("waiting for the headers answer: %w", err)
	}
	if isShed(first) {
		return 0, errShed
	}
	h, ok := first.Response.(*extprocv3.ProcessingResponse_RequestHeaders)
	if !ok {
		return 0, fmt.Errorf("first answer is %s, want request headers", describe(first))
	}
	if w.model != "" {
		if got := headerSet(h.RequestHeaders.GetResponse().GetHeaderMutation(), modelHeader); got != w.model {
			return 0, fmt.Errorf("headers answer sets %s to %q, want %q", modelHeader, got, w.model)
		}
	}
	off := 0
	for {
		a, err := stream.Recv()
		if err != nil {
			return 0, fmt.Errorf("after %d of %d body bytes: %w", off, len(w.body), err)
		}
		b, ok := a.Response.(*extprocv3.ProcessingResponse_RequestBody)
		if !ok {
			return 0, fmt.Errorf("after %d body bytes: answer is %s, want a request body answer", off, describe(a))
		}
		sr := b.RequestBody.GetResponse().GetBodyMutation().GetStreamedResponse()
		if sr == nil {
			return 0, fmt.Errorf("after %d body bytes: body answer without streamed_response", off)
		}
		chunk := sr.GetBody()
		// Comparing the bytes costs a memcmp and catches reordering, which
		// a length check alone would not.
		if off+len(chunk) > len(w.body) || !bytes.Equal(chunk, w.body[off:off+len(chunk)]) {
			return 0, fmt.Errorf("body answer of %d bytes at offset %d differs from what was sent (%d bytes)", len(chunk), off, len(w.body))
		}
		off += len(chunk)
		if sr.GetEndOfStream() {
			lat := time.Since(start)
			if off != len(w.body) {
				return 0, fmt.Errorf("end_of_stream after %d body bytes, sent %d", off, len(w.body))
			}
			return lat, nil
		}
	}
}

func headerSet(m *extprocv3.HeaderMutation, key string) string {
	for _, o := range m.GetSetHeaders() {
		if o.GetHeader().GetKey() == key {
			if v := o.GetHeader().GetRawValue(); len(v) > 0 {
				return string(v)
			}
			return o.GetHeader().GetValue()
		}
	}
	return ""
}

func describe(a *extprocv3.ProcessingResponse) string {
	if im, ok := a.Response.(*extprocv3.ProcessingResponse_ImmediateResponse); ok {
		return fmt.Sprintf("an immediate response %d: %s", im.ImmediateResponse.GetStatus().GetCode(), im.ImmediateResponse.GetBody())
	}
	return fmt.Sprintf("%T", a.Response)
}

// cellStats is what one (server, size, model position) run measured.
type cellStats struct {
	Requests  int             `json:"requests"`
	Failures  int             `json:"failures"`
	Errors    []string        `json:"errors,omitempty"` // the first few
	Elapsed   time.Duration   `json:"elapsed_ns"`
	ReqPerSec float64         `json:"req_per_sec"`
	P50       time.Duration   `json:"p50_ns"`
	P99       time.Duration   `json:"p99_ns"`
	CPU       time.Duration   `json:"server_cpu_ns"`           // the server process's CPU during the measured part
	SysCPU    time.Duration   `json:"server_sys_cpu_ns"`       // the kernel's share of CPU
	Reads     int64           `json:"server_read_syscalls"`    // read-like system calls of the server
	Writes    int64           `json:"server_write_syscalls"`   // write-like system calls of the server
	Switches  int64           `json:"server_context_switches"` // times the server's threads were switched out
	ClientCPU time.Duration   `json:"client_cpu_ns"`           // the load generator's own CPU, which shares the cores
	Shed      int             `json:"shed"`                    // 503 overloaded answers, where the plan expects them
	HeldPeak  int64           `json:"held_peak_bytes"`         // bbr's held body bytes at their highest, where sampled
	latencies []time.Duration // sorted
}

// loadPlan is how long a phase runs: workers start requests until until,
// or beyond it while fewer than atLeast have started and before hardStop.
type loadPlan struct {
	streams  int
	until    time.Duration
	atLeast  int
	hardStop time.Duration
	// shedOK counts bbr's 503 overloaded answers as sheds, not failures.
	shedOK bool
}

// runLoad drives streams closed-loop workers: each starts its next request
// as soon as the previous one ends, like Envoy with a fixed number of
// requests in flight. Requests in flight at the deadline are finished and
// counted, and the elapsed time runs until the last one ends.
func runLoad(ctx context.Context, client extprocv3.ExternalProcessorClient, w *workload, p loadPlan) cellStats {
	var (
		begun   atomic.Int64
		mu      sync.Mutex
		st      cellStats
		wg      sync.WaitGroup
		t0      = time.Now()
		soft    = t0.Add(p.until)
		hard    = t0.Add(max(p.hardStop, p.until))
		perWork = make([][]time.Duration, p.streams)
	)
	for i := range p.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := begun.Add(1)
				now := time.Now()
				if now.After(hard) || (now.After(soft) && n > int64(p.atLeast)) {
					return
				}
				lat, err := w.do(ctx, client)
				if err != nil {
					mu.Lock()
					if p.shedOK && errors.Is(err, errShed) {
						st.Shed++
						mu.Unlock()
						continue
					}
					st.Failures++
					if len(st.Errors) < maxErrorsKept {
						st.Errors = append(st.Errors, err.Error())
					}
					mu.Unlock()
					continue
				}
				perWork[i] = append(perWork[i], lat)
			}
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(t0)
	for _, l := range perWork {
		st.latencies = append(st.latencies, l...)
	}
	sortDurations(st.latencies)
	st.Requests = len(st.latencies)
	st.ReqPerSec = float64(st.Requests) / st.Elapsed.Seconds()
	st.P50, st.P99 = percentile(st.latencies, 50), percentile(st.latencies, 99)
	return st
}

// mergeStats adds the requests of b to a, as if both had run back to back.
func mergeStats(a, b cellStats) cellStats {
	a.Requests += b.Requests
	a.Failures += b.Failures
	a.Shed += b.Shed
	a.HeldPeak = max(a.HeldPeak, b.HeldPeak)
	for _, e := range b.Errors {
		if len(a.Errors) < maxErrorsKept {
			a.Errors = append(a.Errors, e)
		}
	}
	a.Elapsed += b.Elapsed
	a.CPU += b.CPU
	a.SysCPU += b.SysCPU
	a.Reads += b.Reads
	a.Writes += b.Writes
	a.Switches += b.Switches
	a.ClientCPU += b.ClientCPU
	a.latencies = append(a.latencies, b.latencies...)
	sortDurations(a.latencies)
	if a.Elapsed > 0 {
		a.ReqPerSec = float64(a.Requests) / a.Elapsed.Seconds()
	}
	a.P50, a.P99 = percentile(a.latencies, 50), percentile(a.latencies, 99)
	return a
}

// cpuPerRequest is the server's CPU per measured request.
func (c cellStats) cpuPerRequest() time.Duration { return perRequest(c.CPU, c.Requests) }

func perRequest(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return d / time.Duration(n)
}

func perRequestCount(c int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(c) / float64(n)
}
