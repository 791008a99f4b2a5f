package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// heldRow is the live heap a server keeps per request in flight: streams
// hold half of a body sent (model first), every chunk sent has come back,
// and the heap is read right after a forced GC. RSS cannot show this on a
// 2-core box: it follows GC pacing and binary size more than what a
// request keeps alive.
type heldRow struct {
	Size     int   `json:"body_bytes"`
	Streams  int   `json:"streams"`
	BBRIdle  int64 `json:"bbr_heap_idle_bytes"`
	BBRHeld  int64 `json:"bbr_heap_inflight_bytes"`
	EchoIdle int64 `json:"echo_heap_idle_bytes"`
	EchoHeld int64 `json:"echo_heap_inflight_bytes"`
}

func (h heldRow) perStream(idle, held int64) float64 {
	return float64(held-idle) / float64(h.Streams) / 1024
}

// liveHeap forces GCs in the server and returns its HeapAlloc, from the
// pprof heap endpoint's MemStats footer. It asks twice: buffers parked in a
// sync.Pool survive one GC in the pool's victim cache, and would count as
// live after a single one.
func liveHeap(debugURL string) (int64, error) {
	if _, err := readHeapAlloc(debugURL); err != nil {
		return 0, err
	}
	return readHeapAlloc(debugURL)
}

func readHeapAlloc(debugURL string) (int64, error) {
	resp, err := http.Get(debugURL + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no HeapAlloc in %s heap profile", debugURL)
}

// measureHeld opens n streams that each send the first half of body and
// wait until all of it has come back, reads the server's live heap, then
// finishes the requests.
func measureHeld(ctx context.Context, client extprocv3.ExternalProcessorClient, debugURL string, w *workload, n int) (idle, held int64, err error) {
	if idle, err = liveHeap(debugURL); err != nil {
		return 0, 0, err
	}
	half := len(w.msgs) / 2
	var (
		wg       sync.WaitGroup
		reached  sync.WaitGroup
		release  = make(chan struct{})
		mu       sync.Mutex
		firstErr error
	)
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for range n {
		wg.Add(1)
		reached.Add(1)
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(reached.Done)
			defer once()
			if err := w.holdHalf(ctx, client, half, once, release); err != nil {
				fail(err)
			}
		}()
	}
	reached.Wait()
	if dir := os.Getenv("BBRBENCH_HEAP_DIR"); dir != "" {
		// For digging into what a stream holds: go tool pprof -top -inuse_space FILE
		saveHeapProfile(debugURL, dir)
	}
	if firstErr == nil {
		held, err = liveHeap(debugURL)
		fail(err)
	}
	close(release)
	wg.Wait()
	return idle, held, firstErr
}

// holdHalf sends the headers and the first half of the body chunks, waits
// for all of it to come back, signals, waits for release, then sends the
// rest and checks the request completes.
func (w *workload) holdHalf(ctx context.Context, client extprocv3.ExternalProcessorClient, half int, reached func(), release <-chan struct{}) error {
	stream, err := client.Process(ctx)
	if err != nil {
		return err
	}
	want := 0
	for _, m := range w.msgs[1 : half+1] {
		want += len(m.GetRequestBody().GetBody())
	}
	for _, m := range w.msgs[:half+1] {
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	got, total := 0, 0
	for got < want {
		a, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("holding: %w", err)
		}
		got += len(a.GetRequestBody().GetResponse().GetBodyMutation().GetStreamedResponse().GetBody())
	}
	reached()
	<-release
	for _, m := range w.msgs[half+1:] {
		total += len(m.GetRequestBody().GetBody())
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	for got < want+total {
		a, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("finishing: %w", err)
		}
		got += len(a.GetRequestBody().GetResponse().GetBodyMutation().GetStreamedResponse().GetBody())
	}
	return stream.CloseSend()
}
