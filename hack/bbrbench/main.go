// Command bbrbench measures what bbr costs on top of the gRPC path itself.
// It runs bbr and a no-op echo ext_proc server as child processes on
// loopback, drives both with the same FULL_DUPLEX_STREAMED requests the way
// Envoy sends them, and prints req/s, latency and memory side by side.
//
// Usage: go run ./hack/bbrbench [-quick] [-duration 3s] [-streams 8]
// [-sizes 1KiB,100KiB,1MiB,10MiB] [-json FILE] [-bbr PATH]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
)

type config struct {
	duration time.Duration
	warmup   time.Duration
	streams  int
	sizes    []int
	jsonOut  string
	bbrBin   string
	rounds   int
	// profDir, when set, receives a CPU profile of each server per cell.
	profDir string
	// sdkSizes are the sizes of the SDK-shaped rows.
	sdkSizes []int
	// overload, when streams > 0, is the run against a small budget.
	overload overloadPlan
}

func main() {
	os.Exit(run())
}

func run() int {
	serveEchoMode := flag.Bool("serve-echo", false, "run as the echo ext_proc server (the benchmark starts itself this way)")
	addr := flag.String("addr", "127.0.0.1:0", "with -serve-echo: address to listen on")
	debugAddr := flag.String("debug-addr", "", "with -serve-echo: address for /debug/pprof")
	rounds := flag.Int("rounds", 3, "alternate bbr and echo this many times per cell, each for duration/rounds, to average out drift in the machine's load")
	duration := flag.Duration("duration", 3*time.Second, "measured time per cell (slow cells run longer to reach 20 requests, up to 15s)")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured load before each cell")
	streams := flag.Int("streams", 8, "concurrent requests per server")
	sizes := flag.String("sizes", "1KiB,100KiB,1MiB,10MiB", "comma-separated body sizes")
	quick := flag.Bool("quick", false, "smoke run: 1KiB and 1MiB with 1s cells (an explicit -sizes or -duration wins)")
	jsonOut := flag.String("json", "", "also write the results to this JSON file")
	bbrBin := flag.String("bbr", "", "bbr binary to run (default: build ./cmd/bbr into a temporary directory)")
	instructions := flag.Int("instructions", 0, "instead of timing, count the instructions each server executes for this many requests per cell under valgrind's callgrind (default sizes 1KiB,100KiB)")
	profDir := flag.String("cpuprofile", "", "write a CPU profile of each server's measured load per cell into this directory (compare with go tool pprof -diff_base)")
	sdkSizes := flag.String("sdk-sizes", "1MiB,10MiB,32MiB", "sizes of the rows with SDK-shaped bodies (vision requests, model after messages); none skips them")
	overStreams := flag.Int("overload-streams", 64, "concurrent requests of the overload run; 0 skips it")
	overSize := flag.String("overload-size", "10MiB", "body size of the overload run")
	overBudget := flag.String("overload-budget", "256MiB", "bbr's --max-held-bytes in the overload run")
	overDuration := flag.Duration("overload-duration", 10*time.Second, "length of the overload run")
	flag.Parse()

	if *serveEchoMode {
		if err := serveEcho(*addr, *debugAddr); err != nil {
			fmt.Fprintf(os.Stderr, "bbrbench echo: %v\n", err)
			return 1
		}
		return 0
	}

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		if !set["sizes"] {
			*sizes = "1KiB,1MiB"
		}
		if !set["duration"] {
			*duration = time.Second
		}
		if !set["sdk-sizes"] {
			*sdkSizes = "1MiB"
		}
		if !set["overload-duration"] {
			*overDuration = 3 * time.Second
		}
	}
	if *instructions > 0 && !set["sizes"] {
		*sizes = "1KiB,100KiB"
	}
	cfg := config{duration: *duration, warmup: *warmup, streams: *streams, jsonOut: *jsonOut, bbrBin: *bbrBin, rounds: max(*rounds, 1), profDir: *profDir}
	var err error
	if cfg.sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintf(os.Stderr, "bbrbench: -sizes: %v\n", err)
		return 2
	}
	if *sdkSizes != "none" && *instructions == 0 {
		if cfg.sdkSizes, err = parseSizes(*sdkSizes); err != nil {
			fmt.Fprintf(os.Stderr, "bbrbench: -sdk-sizes: %v\n", err)
			return 2
		}
	}
	if *overStreams > 0 && *instructions == 0 {
		cfg.overload = overloadPlan{streams: *overStreams, duration: *overDuration}
		if cfg.overload.size, err = parseSize(*overSize); err == nil {
			cfg.overload.budget, err = parseSize(*overBudget)
		}
		if err != nil || cfg.overload.duration <= 0 {
			fmt.Fprintf(os.Stderr, "bbrbench: -overload-size, -overload-budget, -overload-duration: %v\n", err)
			return 2
		}
	}
	if cfg.streams < 1 || cfg.duration <= 0 {
		fmt.Fprintln(os.Stderr, "bbrbench: -streams and -duration must be positive")
		return 2
	}

	if *instructions < 0 {
		fmt.Fprintln(os.Stderr, "bbrbench: -instructions must be a positive number of requests")
		return 2
	}
	if *instructions > 0 && (cfg.jsonOut != "" || cfg.profDir != "") {
		fmt.Fprintln(os.Stderr, "bbrbench: -json and -cpuprofile apply to timed runs; drop them or -instructions")
		return 2
	}
	if cfg.profDir != "" {
		if err := os.MkdirAll(cfg.profDir, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "bbrbench: -cpuprofile: %v\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *instructions > 0 {
		return runInstructions(ctx, cfg, *instructions)
	}
	rep, err := bench(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bbrbench: %v\n", err)
		return 1
	}
	printReport(os.Stdout, rep)
	if cfg.jsonOut != "" {
		if err := writeJSON(cfg.jsonOut, rep); err != nil {
			fmt.Fprintf(os.Stderr, "bbrbench: -json: %v\n", err)
			return 1
		}
	}
	if rep.Failures > 0 {
		return 1
	}
	return 0
}

func runInstructions(ctx context.Context, cfg config, n int) int {
	bin, cleanup, err := bbrBinary(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bbrbench: %v\n", err)
		return 1
	}
	defer cleanup()
	rows, err := countInstructions(ctx, cfg, bin, n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bbrbench: %v\n", err)
		return 1
	}
	printInstructions(os.Stdout, rows)
	return 0
}

// bbrBinary returns -bbr, or builds ./cmd/bbr into a temporary directory
// that cleanup removes.
func bbrBinary(cfg config) (bin string, cleanup func(), err error) {
	if cfg.bbrBin != "" {
		return cfg.bbrBin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "bbrbench-")
	if err != nil {
		return "", nil, err
	}
	progress("building ./cmd/bbr")
	if bin, err = buildBBR(dir); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

func bench(ctx context.Context, cfg config) (*report, error) {
	began := time.Now()
	bin, cleanup, err := bbrBinary(cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rep := &report{
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		Streams: cfg.streams, ChunkBytes: chunkBytes, Duration: cfg.duration, Warmup: cfg.warmup, Rounds: cfg.rounds,
	}
	for _, row := range append(shapeSizes(shapeProse, cfg.sizes), shapeSizes(shapeSDK, cfg.sdkSizes)...) {
		if err := benchSize(ctx, cfg, bin, row.size, row.shape, rep); err != nil {
			return nil, fmt.Errorf("%s %s bodies: %w", formatSize(row.size), row.shape, err)
		}
		if ctx.Err() != nil {
			return nil, errors.New("interrupted")
		}
	}
	if cfg.overload.streams > 0 {
		if rep.Overload, err = runOverload(ctx, bin, cfg.overload); err != nil {
			return nil, fmt.Errorf("overload run: %w", err)
		}
		rep.Failures += rep.Overload.Stats.Failures
	}
	rep.WallTime = time.Since(began)
	return rep, nil
}

type shapeSize struct {
	shape string
	size  int
}

func shapeSizes(shape string, sizes []int) []shapeSize {
	var out []shapeSize
	for _, s := range sizes {
		out = append(out, shapeSize{shape, s})
	}
	return out
}

// benchSize runs every cell of one body size and shape against fresh
// servers, so the peak RSS read afterwards belongs to this size alone.
func benchSize(ctx context.Context, cfg config, bin string, size int, shape string, rep *report) error {
	bbrSrv, err := startBBR(bin, nil)
	if err != nil {
		return err
	}
	defer bbrSrv.stop()
	echoSrv, err := startEcho(nil)
	if err != nil {
		return err
	}
	defer echoSrv.stop()

	servers := []*server{bbrSrv, echoSrv}
	clients := make([]extprocv3.ExternalProcessorClient, len(servers))
	for i, s := range servers {
		conn, err := dial(s.addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		clients[i] = extprocv3.NewExternalProcessorClient(conn)
		warmConn(conn)
	}

	// Idle RSS lets the report separate what the requests cost from how
	// big each binary is before any request.
	mem := memRow{Size: size, Shape: shape, Streams: cfg.streams}
	if _, mem.BBRIdle, err = bbrSrv.memory(); err != nil {
		return err
	}
	if _, mem.EchoIdle, err = echoSrv.memory(); err != nil {
		return err
	}

	for _, pb := range shapedBodies(shape, size) {
		body := pb.body
		row := cellRow{Size: size, Shape: shape, Model: pb.position}
		// bbr and echo alternate in short rounds on the same body, so
		// drift in the machine's load hits both columns of a row alike.
		for r := range cfg.rounds {
			tag := fmt.Sprintf("%s-%s-%s-round%d", shape, strings.ReplaceAll(formatSize(size), " ", ""), pb.position, r+1)
			first, second := &row.BBR, &row.Echo
			run := []func() cellStats{
				func() cellStats {
					if shape != shapeSDK {
						return runCell(ctx, cfg, clients[0], bbrSrv, newWorkload(body, benchModel), tag)
					}
					held := sampleHeld(bbrSrv.debug)
					st := runCell(ctx, cfg, clients[0], bbrSrv, newWorkload(body, benchModel), tag)
					st.HeldPeak = held.Peak()
					return st
				},
				func() cellStats { return runCell(ctx, cfg, clients[1], echoSrv, newWorkload(body, ""), tag) },
			}
			if r%2 == 1 {
				first, second = second, first
				run[0], run[1] = run[1], run[0]
			}
			*first = mergeStats(*first, run[0]())
			*second = mergeStats(*second, run[1]())
		}
		progressCell("bbr", row, row.BBR)
		progressCell("echo", row, row.Echo)
		rep.Cells = append(rep.Cells, row)
		rep.Failures += row.BBR.Failures + row.Echo.Failures
	}

	if size >= 1<<20 && shape == shapeProse {
		held := heldRow{Size: size, Streams: 4 * cfg.streams}
		body := buildBody(size, false)
		if held.BBRIdle, held.BBRHeld, err = measureHeld(ctx, clients[0], bbrSrv.debug, newWorkload(body, benchModel), held.Streams); err != nil {
			return fmt.Errorf("bbr held memory: %w", err)
		}
		if held.EchoIdle, held.EchoHeld, err = measureHeld(ctx, clients[1], echoSrv.debug, newWorkload(body, ""), held.Streams); err != nil {
			return fmt.Errorf("echo held memory: %w", err)
		}
		rep.Held = append(rep.Held, held)
	}

	for _, s := range servers {
		if !s.alive() {
			return fmt.Errorf("%s exited during the run: %v", s.name, s.err)
		}
	}
	if mem.BBRPeak, mem.BBRCurrent, err = bbrSrv.memory(); err != nil {
		return err
	}
	if mem.EchoPeak, mem.EchoCurrent, err = echoSrv.memory(); err != nil {
		return err
	}
	rep.Memory = append(rep.Memory, mem)
	return nil
}

// warmConn connects before the first cell so that connection setup is not
// in its first latencies.
func warmConn(conn *grpc.ClientConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			return // the cell will report the failure
		}
	}
}

// runCell warms a server up with the cell's own request, then measures.
// Warm-up failures count: a request that fails is a failure whenever it
// happens. tag names the cell's file under -cpuprofile.
func runCell(ctx context.Context, cfg config, client extprocv3.ExternalProcessorClient, srv *server, w *workload, tag string) cellStats {
	warm := runLoad(ctx, client, w, loadPlan{streams: cfg.streams, until: cfg.warmup})
	cpu0, sys0 := srv.cpuTime()
	io0 := srv.syscalls()
	client0 := selfCPU()
	per := cfg.duration / time.Duration(cfg.rounds)
	var prof sync.WaitGroup
	if cfg.profDir != "" {
		path := filepath.Join(cfg.profDir, srv.name+"-"+tag+".pb.gz")
		prof.Go(func() { saveCPUProfile(srv.debug, path, per) })
		stopClient := profileClient(filepath.Join(cfg.profDir, "client-"+srv.name+"-"+tag+".pb.gz"))
		defer stopClient()
	}
	st := runLoad(ctx, client, w, loadPlan{streams: cfg.streams, until: per, atLeast: max(minRequests/cfg.rounds, 1), hardStop: cellCap / time.Duration(cfg.rounds)})
	cpu1, sys1 := srv.cpuTime()
	st.CPU, st.SysCPU = cpu1-cpu0, sys1-sys0
	io1 := srv.syscalls()
	st.ClientCPU = selfCPU() - client0
	st.Reads, st.Writes, st.Switches = io1.reads-io0.reads, io1.writes-io0.writes, io1.switches-io0.switches
	prof.Wait()
	st.Failures += warm.Failures
	for _, e := range warm.Errors {
		if len(st.Errors) < maxErrorsKept {
			st.Errors = append(st.Errors, "warm-up: "+e)
		}
	}
	return st
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bbrbench: "+format+"\n", args...)
}

func progressCell(name string, row cellRow, st cellStats) {
	progress("%-7s model %-5s %-4s %8.1f req/s  p50 %-9s p99 %-9s CPU/req %s (kernel %s, reads %.2f, writes %.2f, switches %.2f)  client CPU/req %s  n=%d failures=%d",
		formatSize(row.Size), row.Model, name, st.ReqPerSec, fmtLatency(st.P50), fmtLatency(st.P99),
		fmtCPU(st.cpuPerRequest()), fmtCPU(perRequest(st.SysCPU, st.Requests)),
		perRequestCount(st.Reads, st.Requests), perRequestCount(st.Writes, st.Requests), perRequestCount(st.Switches, st.Requests),
		fmtCPU(perRequest(st.ClientCPU, st.Requests)), st.Requests, st.Failures)
}
