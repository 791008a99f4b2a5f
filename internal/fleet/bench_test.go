package fleet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveEnv makes the test binary a process of stand-in model servers: it serves the page named
// by its value on that many loopback ports and prints them, until its stdin closes. The
// benchmarks scrape them from another process, so the CPU they measure is the scraper's alone.
const serveEnv = "IGW_FLEET_BENCH_SERVE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(serveEnv); spec != "" {
		os.Exit(serveStandIns(spec))
	}
	os.Exit(m.Run())
}

// serveStandIns serves "N:FILE": N ports, each with the page in FILE.
func serveStandIns(spec string) int {
	n, file, _ := strings.Cut(spec, ":")
	count, err := strconv.Atoi(n)
	page, err2 := os.ReadFile(file)
	if err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err, err2)
		return 1
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(page)
	})
	out := bufio.NewWriter(os.Stdout)
	for range count {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
		fmt.Fprintln(out, ln.Addr().(*net.TCPAddr).Port)
	}
	out.Flush()
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// standIns starts n stand-in servers of page in a child process and returns their targets.
func standIns(b *testing.B, n int, page string) []Target {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+strconv.Itoa(n)+":"+page)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	var targets []Target
	for len(targets) < n && sc.Scan() {
		port, err := strconv.Atoi(sc.Text())
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, Target{Namespace: "bench", Name: fmt.Sprintf("vllm-%04d", len(targets)), IP: "127.0.0.1", Port: int32(port), Path: "/metrics", Ready: true})
	}
	if len(targets) < n {
		b.Fatalf("the stand-ins started %d of %d servers", len(targets), n)
	}
	return targets
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// One refresh of 1,000 pods serving a vLLM v1 page of 619 lines (two engine cores, histograms,
// _created series, Python runtime metrics), scraped directly over loopback: wall time per
// refresh (ns/op), this process's CPU per refresh, allocated bytes per refresh. The servers run
// in another process.
func BenchmarkRefresh1000(b *testing.B) {
	const pods = 1000
	targets := standIns(b, pods, "../modelserver/testdata/vllm-v1-full.txt")
	s, err := NewScraper(NewDirectGetter(), Options{Reach: Direct, Timeout: 5 * time.Second, Concurrency: 64})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	check := func(rows []Pod) {
		for _, p := range rows {
			if p.Error != "" || p.Sample == nil || p.Sample.KVCache == nil {
				b.Fatalf("%s: %+v", p.Name, p)
			}
		}
	}
	check(s.Refresh(ctx, targets)) // connections opened once, as in a running session
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		check(s.Refresh(ctx, targets))
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/refresh")
	b.ReportMetric(float64(pods), "pods")
}

// Memory over 10,000 refreshes of 20 pods with rings of 120: the heap after the first 1,000
// refreshes (rings full) and after all of them, which bounded rings keep the same.
func BenchmarkHeapOver10000Refreshes(b *testing.B) {
	targets := standIns(b, 20, "../modelserver/testdata/vllm-v1-full.txt")
	s, err := NewScraper(NewDirectGetter(), Options{Reach: Direct, Timeout: 5 * time.Second, History: 120})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	for b.Loop() {
		var at1k float64
		for i := range 10000 {
			rows := s.Refresh(ctx, targets)
			if rows[0].Sample == nil {
				b.Fatalf("%+v", rows[0])
			}
			if i == 999 {
				at1k = heap()
			}
		}
		b.ReportMetric(at1k, "heap-MB@1k")
		b.ReportMetric(heap(), "heap-MB@10k")
	}
}
