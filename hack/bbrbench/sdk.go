package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/sdkbody"
)

// Body shapes: the benchmark's own chat prose (model first or last), and
// vision requests as the OpenAI Python SDK writes them (messages with a
// text and a base64 image part, then model), which is what most clients
// send and why "model last" is the normal case.
const (
	shapeProse = "prose"
	shapeSDK   = "sdk"
)

// positionedBody is a body and where its model sits.
type positionedBody struct {
	position string
	body     []byte
}

// shapedBodies are the bodies of one size and shape.
func shapedBodies(shape string, size int) []positionedBody {
	if shape == shapeSDK {
		return []positionedBody{{"last", sdkbody.VisionChat(benchModel, size)}}
	}
	return []positionedBody{{"first", buildBody(size, false)}, {"last", buildBody(size, true)}}
}

// errShed is bbr's answer when its held-bytes budget is full.
var errShed = errors.New("shed: 503 overloaded")

// isShed recognises that answer: 503, retry-after, code "overloaded".
func isShed(a *extprocv3.ProcessingResponse) bool {
	im := a.GetImmediateResponse()
	if im.GetStatus().GetCode() != 503 || !bytes.Contains(im.GetBody(), []byte(`"code":"overloaded"`)) {
		return false
	}
	for _, h := range im.GetHeaders().GetSetHeaders() {
		if h.GetHeader().GetKey() == "retry-after" {
			return true
		}
	}
	return false
}

// heldSampler polls bbr's /readyz, which reports the body bytes held, and
// keeps the highest value seen. Every 10 ms: a held chunk stays held until
// its request's model arrives, far longer than that for the bodies where
// holding matters, and /readyz is small enough not to load the server.
type heldSampler struct {
	url  string
	peak int64
	stop chan struct{}
	done sync.WaitGroup
}

func sampleHeld(debugURL string) *heldSampler {
	s := &heldSampler{url: debugURL + "/readyz", stop: make(chan struct{})}
	client := &http.Client{Timeout: time.Second}
	s.done.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := readHeld(client, s.url); err == nil {
				s.peak = max(s.peak, v)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// Peak stops sampling and returns the highest held byte count seen.
func (s *heldSampler) Peak() int64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

func readHeld(client *http.Client, url string) (int64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Held *int64 `json:"heldBodyBytes"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil || r.Held == nil {
		return 0, fmt.Errorf("no heldBodyBytes in %s: %v", url, err)
	}
	return *r.Held, nil
}

// overloadPlan is the run that shows the budget at work: many large
// model-last requests at once against a budget that holds a fraction of
// them.
type overloadPlan struct {
	streams  int
	size     int
	budget   int
	duration time.Duration
}

// overloadRow is what that run measured.
type overloadRow struct {
	Streams   int           `json:"streams"`
	Size      int           `json:"body_bytes"`
	Budget    int           `json:"max_held_bytes"`
	Duration  time.Duration `json:"duration_ns"`
	Stats     cellStats     `json:"bbr"`
	IdleRSS   int64         `json:"bbr_idle_rss_bytes"`
	PeakRSS   int64         `json:"bbr_peak_rss_bytes"`
	StartedAt time.Time     `json:"started_at"`
}

// runOverload drives plan.streams closed-loop workers of SDK-shaped
// requests against a fresh bbr with --max-held-bytes=plan.budget. Every
// request must be routed intact or shed; anything else is a failure.
func runOverload(ctx context.Context, bin string, plan overloadPlan) (*overloadRow, error) {
	srv, err := startBBR(bin, nil, fmt.Sprintf("--max-held-bytes=%d", plan.budget))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	conn, err := dial(srv.addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	warmConn(conn)
	row := &overloadRow{Streams: plan.streams, Size: plan.size, Budget: plan.budget, Duration: plan.duration, StartedAt: time.Now()}
	if _, row.IdleRSS, err = srv.memory(); err != nil {
		return nil, err
	}
	w := newWorkload(sdkbody.VisionChat(benchModel, plan.size), benchModel)
	held := sampleHeld(srv.debug)
	row.Stats = runLoad(ctx, extprocv3.NewExternalProcessorClient(conn), w,
		loadPlan{streams: plan.streams, until: plan.duration, shedOK: true})
	row.Stats.HeldPeak = held.Peak()
	if !srv.alive() {
		return nil, fmt.Errorf("bbr exited under overload: %v", srv.err)
	}
	if row.PeakRSS, _, err = srv.memory(); err != nil {
		return nil, err
	}
	progress("overload: %d streams of %s against a %s budget: %d routed, %d shed, %d failed; held at peak %s, peak RSS %s (idle %s)",
		plan.streams, formatSize(plan.size), formatSize(plan.budget), row.Stats.Requests, row.Stats.Shed, row.Stats.Failures,
		fmtMiB(row.Stats.HeldPeak), fmtMiB(row.PeakRSS), fmtMiB(row.IdleRSS))
	return row, nil
}

func printSDK(w io.Writer, r *report) {
	var rows []cellRow
	for _, c := range r.Cells {
		if c.Shape == shapeSDK {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nSDK-shaped bodies: a chat request with a text part and a base64 image, messages first and model after them, as the OpenAI Python SDK sends it.\n\n")
	fmt.Fprintln(w, "| body | bbr req/s | echo req/s | ratio | bbr p50 | bbr p99 | echo p50 | echo p99 | bbr peak RSS | echo peak RSS | bbr held at peak |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range rows {
		m := memoryOf(r, c.Size, shapeSDK)
		fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s |\n",
			formatSize(c.Size), fmtRate(c.BBR.ReqPerSec), fmtRate(c.Echo.ReqPerSec), c.ratio(),
			fmtLatency(c.BBR.P50), fmtLatency(c.BBR.P99), fmtLatency(c.Echo.P50), fmtLatency(c.Echo.P99),
			fmtMiB(m.BBRPeak), fmtMiB(m.EchoPeak), fmtMiB(c.BBR.HeldPeak))
	}
	fmt.Fprintf(w, "\nbbr must hold each request's chunks until its model arrives, so held bytes reach about streams x body size; echo holds nothing.\n")
}

func memoryOf(r *report, size int, shape string) memRow {
	for _, m := range r.Memory {
		if m.Size == size && m.Shape == shape {
			return m
		}
	}
	return memRow{}
}

func printOverload(w io.Writer, o *overloadRow) {
	if o == nil {
		return
	}
	st := o.Stats
	total := st.Requests + st.Shed + st.Failures
	fmt.Fprintf(w, "\nOverload: %d concurrent %s SDK-shaped requests for %v against --max-held-bytes=%s (no container limit)\n\n",
		o.Streams, formatSize(o.Size), o.Duration, formatSize(o.Budget))
	fmt.Fprintln(w, "| requests | routed | shed (503) | other failures | routed p50 | routed p99 | held at peak | bbr idle RSS | bbr peak RSS | peak - (budget + idle) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %s | %s | %s | %s | %s | %+.1f MiB |\n",
		total, st.Requests, st.Shed, st.Failures, fmtLatency(st.P50), fmtLatency(st.P99),
		fmtMiB(st.HeldPeak), fmtMiB(o.IdleRSS), fmtMiB(o.PeakRSS), float64(o.PeakRSS-int64(o.Budget)-o.IdleRSS)/(1<<20))
	for _, e := range st.Errors {
		fmt.Fprintf(w, "    %s\n", e)
	}
}
