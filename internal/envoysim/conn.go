package envoysim

import (
	"fmt"
	"sync"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// DefaultAnswerTimeout is how long the simulator waits for each answer
// unless the request says otherwise. Envoy's own message_timeout is shorter
// (200ms by default); a processor that makes the simulator wait this long
// would have failed the request in Envoy.
const DefaultAnswerTimeout = 10 * time.Second

type answer struct {
	resp *extprocv3.ProcessingResponse
	err  error
}

// conn reads answers on its own goroutine so the simulator can send and
// receive at once, as Envoy does in full-duplex mode.
type conn struct {
	stream  extprocv3.ExternalProcessor_ProcessClient
	answers chan answer
	done    chan struct{}
	cancel  func() // ends the stream, unblocking a Send stuck on flow control
	timeout time.Duration
	once    sync.Once
	sendMu  sync.Mutex
}

func newConn(stream extprocv3.ExternalProcessor_ProcessClient, cancel func(), timeout time.Duration) *conn {
	if timeout <= 0 {
		timeout = DefaultAnswerTimeout
	}
	c := &conn{stream: stream, answers: make(chan answer, 16), done: make(chan struct{}), cancel: cancel, timeout: timeout}
	go func() {
		for {
			r, err := stream.Recv()
			select {
			case c.answers <- answer{r, err}:
			case <-c.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *conn) send(r *extprocv3.ProcessingRequest) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.stream.Send(r)
}

// next waits for the next answer. what names the answer expected, for the
// error when none comes.
func (c *conn) next(what string) (*extprocv3.ProcessingResponse, error) {
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case a := <-c.answers:
		if a.err != nil {
			return nil, fmt.Errorf("stream ended while waiting for %s: %w", what, a.err)
		}
		return a.resp, nil
	case <-t.C:
		return nil, fmt.Errorf("no answer for %s within %v: the processor hangs (Envoy would fail the request at its message_timeout)", what, c.timeout)
	}
}

func (c *conn) close() {
	c.once.Do(func() {
		// gRPC forbids CloseSend during a Send on another goroutine: cancel
		// first so a blocked sender returns, then close under its lock.
		c.cancel()
		c.sendMu.Lock()
		_ = c.stream.CloseSend()
		c.sendMu.Unlock()
		close(c.done)
	})
}
