package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"time"
)

// saveHeapProfile keeps the server's heap profile in dir, for a look at
// what the held-memory probe measured.
func saveHeapProfile(debugURL, dir string) {
	resp, err := http.Get(debugURL + "/debug/pprof/heap?gc=1")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(dir, "heap-*.pb.gz")
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
	progress("heap profile of %s saved to %s", debugURL, f.Name())
}

// saveCPUProfile records the server's CPU profile for d into path.
func saveCPUProfile(debugURL, path string, d time.Duration) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debugURL, secs))
	if err != nil {
		progress("cpu profile of %s: %v", debugURL, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		progress("cpu profile of %s: %s", debugURL, resp.Status)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		progress("cpu profile: %v", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		progress("cpu profile of %s: %v", debugURL, err)
	}
}

// profileClient profiles the load generator itself, which shares the CPUs
// with the server: what it spends per request on one server's answers is
// throughput the other server gets.
func profileClient(path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		progress("client cpu profile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		progress("client cpu profile: %v", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
