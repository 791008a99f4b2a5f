package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// Instruction counts answer "how much more does bbr cost than echo" with
// less noise than time: valgrind's callgrind counts the instructions each
// server executes for the same requests. Three runs on the shared 2-core
// development machine agreed within about 4%, where time-based numbers move
// by ±10%. Counts leave out the kernel and what the CPU's caches cost.

// instrRow is one body size and model position.
type instrRow struct {
	Size     int
	Model    string
	Requests int
	BBR      float64 // instructions per request
	Echo     float64
}

// callgrind runs a command under valgrind's callgrind with counting off
// until zeroed. GOMAXPROCS=1 keeps the Go scheduler from spinning threads
// that valgrind runs one at a time anyway (their spinning would make the
// count depend on timing); asyncpreemptoff avoids the preemption signals
// that callgrind 3.19 trips an assertion on; cpu.rdtscp=off keeps the
// runtime's clock on RDTSC, as valgrind 3.19 does not know RDTSCP and the
// runtime uses it where the CPU has it (a SIGILL at start otherwise).
func callgrind(outFile string) runner {
	return func(args ...string) *exec.Cmd {
		full := append([]string{"--tool=callgrind", "--callgrind-out-file=" + outFile}, args...)
		cmd := exec.Command("valgrind", full...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
		cmd.Stderr = io.Discard // valgrind's banner and Go's warnings under it
		return cmd
	}
}

func checkValgrind() error {
	for _, tool := range []string{"valgrind", "callgrind_control"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("-instructions needs %s on PATH (Debian: apt-get install valgrind)", tool)
		}
	}
	return nil
}

// countInstructions measures instructions per request for every size and
// model position, bbr and echo each in a fresh process under callgrind.
func countInstructions(ctx context.Context, cfg config, bin string, n int) ([]instrRow, error) {
	if err := checkValgrind(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bbrbench-callgrind-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var rows []instrRow
	for _, size := range cfg.sizes {
		for _, pb := range shapedBodies(shapeProse, size) {
			body := pb.body
			row := instrRow{Size: size, Model: pb.position, Requests: n}
			start := func(r runner) (*server, error) { return startBBR(bin, r) }
			if row.BBR, err = instructionsPerRequest(ctx, dir, "bbr", start, newWorkload(body, benchModel), cfg.streams, n); err != nil {
				return nil, err
			}
			if row.Echo, err = instructionsPerRequest(ctx, dir, "echo", startEcho, newWorkload(body, ""), cfg.streams, n); err != nil {
				return nil, err
			}
			progress("%-7s model %-5s bbr %.0f, echo %.0f instructions per request", formatSize(size), row.Model, row.BBR, row.Echo)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// instructionsPerRequest starts one server under callgrind, warms it up,
// zeroes the counters, runs n requests and reads the count.
func instructionsPerRequest(ctx context.Context, dir, name string, start func(runner) (*server, error), w *workload, streams, n int) (float64, error) {
	out := filepath.Join(dir, name+".out")
	srv, err := start(callgrind(out))
	if err != nil {
		return 0, err
	}
	defer func() {
		// The numbers are in; a SIGTERM under callgrind only costs time.
		_ = srv.cmd.Process.Kill()
		<-srv.exited
	}()
	conn, err := dial(srv.addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	client := extprocv3.NewExternalProcessorClient(conn)
	drive := func(k int) error {
		// No time limit: exactly k requests, however slow valgrind makes them.
		st := runLoad(ctx, client, w, loadPlan{streams: streams, atLeast: k, hardStop: 24 * time.Hour})
		if st.Failures > 0 {
			return fmt.Errorf("%s under callgrind: %d of %d requests failed: %s", name, st.Failures, k, strings.Join(st.Errors, "; "))
		}
		if st.Requests != k {
			return fmt.Errorf("%s under callgrind: %d requests ran, want %d", name, st.Requests, k)
		}
		return nil
	}
	if err := drive(max(n/10, 50)); err != nil {
		return 0, err
	}
	pid := strconv.Itoa(srv.cmd.Process.Pid)
	if err := exec.Command("callgrind_control", "-z", pid).Run(); err != nil {
		return 0, fmt.Errorf("callgrind_control -z: %w", err)
	}
	if err := drive(n); err != nil {
		return 0, err
	}
	if err := exec.Command("callgrind_control", "-d", pid).Run(); err != nil {
		return 0, fmt.Errorf("callgrind_control -d: %w", err)
	}
	total, err := readCallgrindTotal(out + ".1")
	if err != nil {
		return 0, err
	}
	if total <= 0 {
		return 0, fmt.Errorf("%s under callgrind: the dump counts no instructions", name)
	}
	return float64(total) / float64(n), nil
}

// readCallgrindTotal reads the event total ("summary:" or "totals:") of a
// callgrind dump whose only event is instructions.
func readCallgrindTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading the callgrind dump: %w", err)
	}
	defer f.Close()
	return parseCallgrindTotal(f)
}

func parseCallgrindTotal(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, prefix := range []string{"summary:", "totals:"} {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("callgrind dump has no summary or totals line")
}

func printInstructions(w io.Writer, rows []instrRow) {
	fmt.Fprintln(w, "Instructions per request (valgrind callgrind, server at GOMAXPROCS=1, after a warm-up)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| body | model | requests | bbr | echo | ratio |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %.0f | %.2f |\n", formatSize(r.Size), r.Model, r.Requests, r.BBR, r.Echo, r.Echo/r.BBR)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ratio = echo instructions ÷ bbr instructions (1.00: bbr costs the server no more than echoing).")
}
