package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxPage bounds what is read of one metrics page: a model server's is tens of KB, a broken
// server's could be endless.
const maxPage = 16 << 20

// DirectGetter dials pod IPs, for a machine on the cluster network.
type DirectGetter struct {
	Client *http.Client
}

// NewDirectGetter keeps connections to every pod open between refreshes: a new TCP connection
// per pod per second would cost more than the scrape.
func NewDirectGetter() *DirectGetter {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout = 0, 2, time.Minute
	tr.Proxy = nil
	return &DirectGetter{Client: &http.Client{Transport: tr}}
}

// Get implements Getter.
func (d *DirectGetter) Get(ctx context.Context, t *Target, buf *bytes.Buffer) error {
	u := "http://" + net.JoinHostPort(t.IP, strconv.Itoa(int(t.Port))) + t.Path
	return fetch(ctx, d.Client, u, buf, nil)
}

// fetch GETs u into buf; a non-2xx answer is an error quoting the start of its body, unless
// statusErr (the API server's own answers) explains it first.
func fetch(ctx context.Context, c *http.Client, u string, buf *bytes.Buffer, statusErr func(code int, body []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return dialError(err)
	}
	defer resp.Body.Close()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxPage)); err != nil {
		return dialError(fmt.Errorf("reading the page: %w", err))
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	if statusErr != nil {
		if err := statusErr(resp.StatusCode, buf.Bytes()); err != nil {
			return err
		}
	}
	return fmt.Errorf("HTTP %s: %s", resp.Status, firstLine(buf.Bytes()))
}

// dialError says why no page came in a person's words, keeping the cause for errors.Is.
func dialError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused (nothing listens on the port): %w", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("connection closed before an answer: %w", err)
	}
	return err
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(bytes.TrimSpace(b[:min(len(b), 200)])), "\n")
	return s
}
