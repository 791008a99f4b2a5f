package bbr

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/envoysim"
)

// TestStreamWorkers checks where a stream's handler runs: on one of the
// --stream-workers goroutines, or on a fresh goroutine when there are none.
func TestStreamWorkers(t *testing.T) {
	for _, tc := range []struct {
		workers  int
		onWorker bool
	}{{3, true}, {0, false}} {
		// Servers of earlier tests are stopped, but their workers exit
		// on their own time.
		eventually(t, "no stream workers left from earlier tests", func() bool {
			return countStacks("(*Server).serverWorker") == 0
		})
		tb := startBBR(t, func(o *Options) { o.StreamWorkers = tc.workers })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		stream, err := tb.client.Process(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Full duplex: the headers answer waits for the body, so the
		// handler stays parked in Recv while the goroutines are read.
		err = stream.Send(&extprocv3.ProcessingRequest{
			ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: envoysim.FullDuplexStreamed},
			Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{
				Headers: headerMap(jsonHeaders())}}})
		if err != nil {
			t.Fatal(err)
		}
		var handler string
		eventually(t, "the handler is parked in Recv", func() bool {
			handler = stackOf("(*Handler).Process")
			return handler != ""
		})
		if got := strings.Contains(handler, "(*Server).serverWorker"); got != tc.onWorker {
			t.Errorf("--stream-workers=%d: handler on a worker goroutine = %v, want %v; its stack:\n%s", tc.workers, got, tc.onWorker, handler)
		}
		if got := countStacks("(*Server).serverWorker"); got != tc.workers {
			t.Errorf("--stream-workers=%d: %d worker goroutines", tc.workers, got)
		}
		cancel()
		tb.shutdown(t)
	}
}

func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func stackOf(fn string) string {
	for _, g := range goroutineStacks() {
		if strings.Contains(g, fn) {
			return g
		}
	}
	return ""
}

func countStacks(fn string) int {
	n := 0
	for _, g := range goroutineStacks() {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}
