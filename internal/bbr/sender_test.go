package bbr

import (
	"fmt"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/bbr/wire"
)

// sendFunc stands in for a session's stream: frames are decoded as the
// gateway would decode them, and every answer goes to the function.
type sendFunc func(*extprocv3.ProcessingResponse) error

func (f sendFunc) Send(r *extprocv3.ProcessingResponse) error { return f(r) }

func (f sendFunc) SendMsg(m any) error {
	fr, ok := m.(*wire.Frame)
	if !ok {
		return fmt.Errorf("SendMsg of a %T", m)
	}
	r, err := fr.Decode()
	if err != nil {
		return err
	}
	return f(r)
}

// countSender counts answers without decoding them, so allocation tests
// see bbr's work only (package wire tests the codec's).
type countSender struct{ n int }

func (c *countSender) Send(*extprocv3.ProcessingResponse) error { c.n++; return nil }
func (c *countSender) SendMsg(any) error                        { c.n++; return nil }
