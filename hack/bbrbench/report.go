package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// report is everything one run measured; it is also the -json output.
type report struct {
	GOMAXPROCS int           `json:"gomaxprocs"`
	NumCPU     int           `json:"num_cpu"`
	GoVersion  string        `json:"go_version"`
	Streams    int           `json:"streams"`
	ChunkBytes int           `json:"chunk_bytes"`
	Duration   time.Duration `json:"duration_ns"`
	Warmup     time.Duration `json:"warmup_ns"`
	Cells      []cellRow     `json:"cells"`
	Memory     []memRow      `json:"memory"`
	Held       []heldRow     `json:"held_memory"`
	Overload   *overloadRow  `json:"overload,omitempty"`
	Rounds     int           `json:"rounds"`
	Failures   int           `json:"failures"`
	WallTime   time.Duration `json:"wall_time_ns"`
}

// cellRow is one body size and model position, measured on both servers.
type cellRow struct {
	Size  int       `json:"body_bytes"`
	Shape string    `json:"body_shape"`
	Model string    `json:"model_position"`
	BBR   cellStats `json:"bbr"`
	Echo  cellStats `json:"echo"`
}

// cpuRatio is the floor's server CPU per request over bbr's.
func (r cellRow) cpuRatio() float64 {
	b := r.BBR.cpuPerRequest()
	if b == 0 {
		return 0
	}
	return float64(r.Echo.cpuPerRequest()) / float64(b)
}

func fmtCPU(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// ratio is bbr's throughput as a fraction of the floor's.
func (r cellRow) ratio() float64 {
	if r.Echo.ReqPerSec == 0 {
		return 0
	}
	return r.BBR.ReqPerSec / r.Echo.ReqPerSec
}

// memRow is the resident memory of both servers after every cell of one
// body size.
type memRow struct {
	Size        int    `json:"body_bytes"`
	Shape       string `json:"body_shape"`
	Streams     int    `json:"streams"`
	BBRPeak     int64  `json:"bbr_peak_rss_bytes"`
	BBRCurrent  int64  `json:"bbr_rss_bytes"`
	EchoPeak    int64  `json:"echo_peak_rss_bytes"`
	EchoCurrent int64  `json:"echo_rss_bytes"`
	BBRIdle     int64  `json:"bbr_idle_rss_bytes"`
	EchoIdle    int64  `json:"echo_idle_rss_bytes"`
}

// extraPerRequest is bbr's peak RSS above the floor's, spread over the
// requests in flight, in KiB. It includes the difference in idle size of
// the two binaries, which dominates it for small bodies.
func (m memRow) extraPerRequest() float64 {
	return float64(m.BBRPeak-m.EchoPeak) / float64(m.Streams) / 1024
}

// extraAboveIdle is the same with each server's idle RSS taken off first,
// so that only what the load added is compared.
func (m memRow) extraAboveIdle() float64 {
	return float64((m.BBRPeak-m.BBRIdle)-(m.EchoPeak-m.EchoIdle)) / float64(m.Streams) / 1024
}

func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "bbr vs echo ext_proc floor, FULL_DUPLEX_STREAMED over loopback gRPC\n\n")
	fmt.Fprintf(w, "GOMAXPROCS=%d (NumCPU=%d), %s, streams=%d, chunk=%s, %v per cell in %d alternating rounds, each after %v warm-up (at least %d requests, at most %v)\n",
		r.GOMAXPROCS, r.NumCPU, r.GoVersion, r.Streams, formatSize(r.ChunkBytes), r.Duration, r.Rounds, r.Warmup, minRequests, max(cellCap, r.Duration))
	fmt.Fprintf(w, "The load generator and both servers share these CPUs; latency runs from the first message sent to the last body answer.\n\n")

	fmt.Fprintln(w, "| body | model | bbr req/s | echo req/s | ratio | bbr p50 | bbr p99 | echo p50 | echo p99 | bbr CPU/req | echo CPU/req | CPU ratio |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range r.Cells {
		if c.Shape != shapeProse {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %.2f |\n",
			formatSize(c.Size), c.Model, fmtRate(c.BBR.ReqPerSec), fmtRate(c.Echo.ReqPerSec), c.ratio(),
			fmtLatency(c.BBR.P50), fmtLatency(c.BBR.P99), fmtLatency(c.Echo.P50), fmtLatency(c.Echo.P99),
			fmtCPU(c.BBR.cpuPerRequest()), fmtCPU(c.Echo.cpuPerRequest()), c.cpuRatio())
	}
	fmt.Fprintln(w, "\nratio = bbr req/s ÷ echo req/s; CPU ratio = echo CPU per request ÷ bbr CPU per request (1.00: bbr costs the server no more than echoing).")

	fmt.Fprintln(w)
	fmt.Fprintln(w, "| body | bbr peak RSS | echo peak RSS | extra per in-flight request |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	prose := proseMemory(r)
	for _, m := range prose {
		fmt.Fprintf(w, "| %s | %s | %s | %+.0f KiB |\n",
			formatSize(m.Size), fmtMiB(m.BBRPeak), fmtMiB(m.EchoPeak), m.extraPerRequest())
	}
	fmt.Fprintf(w, "\nPeak RSS is VmHWM over both model positions of a size, with fresh servers per size; "+
		"extra per in-flight request = (bbr peak - echo peak) / streams, which also carries the difference in idle size of the two binaries. "+
		"Without it (each peak minus that server's idle RSS):\n\n")
	fmt.Fprintln(w, "| body | bbr idle RSS | bbr RSS after | echo idle RSS | echo RSS after | extra per in-flight request above idle |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, m := range prose {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %+.0f KiB |\n", formatSize(m.Size),
			fmtMiB(m.BBRIdle), fmtMiB(m.BBRCurrent), fmtMiB(m.EchoIdle), fmtMiB(m.EchoCurrent), m.extraAboveIdle())
	}

	if len(r.Held) > 0 {
		fmt.Fprintf(w, "\nLive heap per request in flight: %d streams each hold half of a body (model first) with every chunk sent already answered; heap read after a forced GC.\n\n", r.Held[0].Streams)
		fmt.Fprintln(w, "| body | bbr per stream | echo per stream | bbr extra per stream |")
		fmt.Fprintln(w, "|---|---:|---:|---:|")
		for _, h := range r.Held {
			b, e := h.perStream(h.BBRIdle, h.BBRHeld), h.perStream(h.EchoIdle, h.EchoHeld)
			fmt.Fprintf(w, "| %s | %.1f KiB | %.1f KiB | %+.1f KiB |\n", formatSize(h.Size), b, e, b-e)
		}
	}

	printSDK(w, r)
	printOverload(w, r.Overload)
	printFailures(w, r)
	fmt.Fprintf(w, "\ntotal wall time %v\n", r.WallTime.Round(100*time.Millisecond))
}

func proseMemory(r *report) []memRow {
	var out []memRow
	for _, m := range r.Memory {
		if m.Shape == shapeProse {
			out = append(out, m)
		}
	}
	return out
}

func printFailures(w io.Writer, r *report) {
	if r.Failures == 0 {
		fmt.Fprintf(w, "\nfailures: none\n")
		return
	}
	fmt.Fprintf(w, "\nFAILURES: %d\n", r.Failures)
	for _, c := range r.Cells {
		for _, s := range []struct {
			name string
			st   cellStats
		}{{"bbr", c.BBR}, {"echo", c.Echo}} {
			if s.st.Failures == 0 {
				continue
			}
			fmt.Fprintf(w, "- %s %s, model %s, %s: %d failed (of %d)\n", formatSize(c.Size), c.Shape, c.Model, s.name, s.st.Failures, s.st.Failures+s.st.Requests)
			for _, e := range s.st.Errors {
				fmt.Fprintf(w, "    %s\n", e)
			}
		}
	}
}

func fmtRate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// fmtLatency prints milliseconds with about three significant digits.
func fmtLatency(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func fmtMiB(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func writeJSON(path string, r *report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
