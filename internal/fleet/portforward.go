package fleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/streaming/pkg/httpstream"
)

// PortForwardGetter scrapes each pod through a port-forward the API server opens to its kubelet
// (as kubectl port-forward does): for clusters whose API server may not proxy to pods. One
// forward per pod stays open between refreshes, on a loopback port of this machine; one unused
// for a minute (its pod gone from the pool) is closed.
type PortForwardGetter struct {
	cfg    *rest.Config
	host   *url.URL
	client *http.Client

	mu    sync.Mutex
	fwds  map[string]*forward
	sweep time.Time
}

type forward struct {
	ready  chan struct{}
	done   chan struct{}
	cancel context.CancelFunc
	local  int
	err    error
	used   time.Time
	errOut bytes.Buffer
}

// NewPortForwardGetter prepares forwards through the API server at cfg.
func NewPortForwardGetter(cfg *rest.Config) (*PortForwardGetter, error) {
	host, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &PortForwardGetter{cfg: cfg, host: host, client: &http.Client{Transport: tr}, fwds: map[string]*forward{}}, nil
}

// Get implements Getter.
func (g *PortForwardGetter) Get(ctx context.Context, t *Target, buf *bytes.Buffer) error {
	f, err := g.forwardTo(t)
	if err != nil {
		return err
	}
	select {
	case <-f.ready:
	case <-f.done:
		return g.failed(t, f)
	case <-ctx.Done():
		return ctx.Err()
	}
	err = fetch(ctx, g.client, "http://127.0.0.1:"+strconv.Itoa(f.local)+t.Path, buf, nil)
	select {
	case <-f.done:
		return g.failed(t, f)
	default:
	}
	return err
}

// failed forgets a forward that ended, so the next scrape opens a new one, and says why it ended.
func (g *PortForwardGetter) failed(t *Target, f *forward) error {
	f.cancel()
	g.mu.Lock()
	if g.fwds[t.key()] == f {
		delete(g.fwds, t.key())
	}
	g.mu.Unlock()
	msg := strings.TrimSpace(f.errOut.String())
	if f.err != nil {
		msg = f.err.Error()
	}
	if strings.Contains(msg, "forbidden") {
		return fmt.Errorf("RBAC: needs \"create\" on \"pods/portforward\" in namespace %s (%s)", t.Namespace, msg)
	}
	return fmt.Errorf("port-forward to %s:%d ended: %s", t.Name, t.Port, msg)
}

func (g *PortForwardGetter) forwardTo(t *Target) (*forward, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if now.Sub(g.sweep) > time.Minute {
		g.sweep = now
		for k, f := range g.fwds {
			if now.Sub(f.used) > time.Minute {
				f.cancel()
				delete(g.fwds, k)
			}
		}
	}
	if f := g.fwds[t.key()]; f != nil {
		f.used = now
		return f, nil
	}
	dialer, err := g.dialer(t)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &forward{ready: make(chan struct{}), done: make(chan struct{}), cancel: cancel, used: now}
	pf, err := portforward.NewOnAddressesForStreamingWithContext(ctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(int(t.Port))},
		f.ready, io.Discard, &syncWriter{w: &f.errOut})
	if err != nil {
		cancel()
		return nil, err
	}
	go func() {
		defer close(f.done)
		f.err = pf.ForwardPorts()
	}()
	go func() {
		// The local port is known once the listener is up.
		select {
		case <-f.ready:
		case <-f.done:
		}
		if ports, err := pf.GetPorts(); err == nil && len(ports) > 0 {
			g.mu.Lock()
			f.local = int(ports[0].Local)
			g.mu.Unlock()
		}
	}()
	g.fwds[t.key()] = f
	return f, g.waitLocal(f)
}

// waitLocal lets the ready goroutine fill in the local port before Get reads it; it holds g.mu,
// which the goroutine takes, so it drops it while waiting.
func (g *PortForwardGetter) waitLocal(f *forward) error {
	g.mu.Unlock()
	defer g.mu.Lock()
	for range 200 {
		select {
		case <-f.done:
			return nil
		default:
		}
		g.mu.Lock()
		ok := f.local != 0
		g.mu.Unlock()
		if ok {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("port-forward to the pod did not start within 2s")
}

// dialer is kubectl's: WebSockets first (newer API servers), SPDY where the upgrade fails.
func (g *PortForwardGetter) dialer(t *Target) (httpstream.Dialer, error) {
	u := *g.host
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/namespaces/" + t.Namespace + "/pods/" + t.Name + "/portforward"
	tr, upgrader, err := spdy.RoundTripperFor(g.cfg)
	if err != nil {
		return nil, err
	}
	spdyDialer := spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: tr}, http.MethodPost, &u)
	ws, err := portforward.NewSPDYOverWebsocketDialerForStreaming(&u, g.cfg)
	if err != nil {
		return nil, err
	}
	return portforward.NewFallbackDialerForStreaming(ws, spdyDialer, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	}), nil
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
