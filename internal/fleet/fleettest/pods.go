// Package fleettest serves model-server metrics pages on real listeners for the tests and
// benchmarks of fleet and igwctl top: pages from the engines' samples in testdata whose numbers
// move with every scrape, and pods that are slow, answer garbage or disappear.
package fleettest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Page reads an engine's sample page from internal/modelserver/testdata.
func Page(t testing.TB, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "modelserver", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Set returns page with every series of the family name set to v (the labels kept).
func Set(page, name string, v float64) string {
	var b strings.Builder
	b.Grow(len(page))
	for line := range strings.Lines(page) {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, " ")) {
			i := strings.LastIndexByte(strings.TrimRight(line, "\n"), ' ')
			b.WriteString(line[:i+1])
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			b.WriteByte('\n')
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// Pod is one stand-in model server.
type Pod struct {
	// Addr is host:port it listens on.
	Addr string
	IP   string
	Port int32
	// Scrapes counts the pages served.
	Scrapes atomic.Int64

	mu     sync.Mutex
	page   func(n int64) string
	delay  time.Duration
	server *http.Server
	ln     net.Listener
}

// Serve starts a pod on ip (port chosen by the system) serving page(n) at /metrics for the n-th
// scrape (from 1), until the test ends.
func Serve(t testing.TB, ip string, page func(n int64) string) *Pod {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Pod{Addr: ln.Addr().String(), IP: ip, Port: int32(ln.Addr().(*net.TCPAddr).Port), page: page, ln: ln}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go p.server.Serve(ln)
	t.Cleanup(p.Close)
	return p
}

// Static serves the same page on every scrape.
func Static(page string) func(int64) string { return func(int64) string { return page } }

func (p *Pod) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	n := p.Scrapes.Add(1)
	p.mu.Lock()
	page, delay := p.page, p.delay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(delay):
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, page(n))
}

// SetDelay makes every answer wait d (or until the client gives up).
func (p *Pod) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// SetPage replaces what the pod serves.
func (p *Pod) SetPage(page func(int64) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.page = page
}

// Close closes the listener and every connection: the pod is gone, its port refuses.
func (p *Pod) Close() { p.server.Close() }

// VLLM is a vLLM v1 page whose numbers move with every scrape n: waiting n, running n+1, KV
// cache n/100 (mod 1), and counters growing by 100 prompt tokens, 1000 generation tokens, 10
// requests, 50 prefix-cache queries of which 20 hit and 1 preemption per scrape.
func VLLM(t testing.TB) func(n int64) string {
	base := Page(t, "vllm-v1-single.txt")
	return func(n int64) string {
		f := float64(n)
		page := Set(base, "vllm:num_requests_waiting", f)
		page = Set(page, "vllm:num_requests_running", f+1)
		page = Set(page, "vllm:kv_cache_usage_perc", float64(n%100)/100)
		page = Set(page, "vllm:prompt_tokens_total", 100*f)
		page = Set(page, "vllm:generation_tokens_total", 1000*f)
		page = Set(page, "vllm:request_success_total", 10*f/3)
		page = Set(page, "vllm:prefix_cache_queries_total", 50*f)
		page = Set(page, "vllm:prefix_cache_hits_total", 20*f)
		return Set(page, "vllm:num_preemptions_total", f)
	}
}

// ServeOn is Serve on a given port, for pods that must share one (a pool's target port).
func ServeOn(t testing.TB, ip string, port int32, page func(n int64) string) (*Pod, error) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(int(port))))
	if err != nil {
		return nil, err
	}
	p := &Pod{Addr: ln.Addr().String(), IP: ip, Port: port, page: page, ln: ln}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go p.server.Serve(ln)
	t.Cleanup(p.Close)
	return p, nil
}
