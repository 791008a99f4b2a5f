package standin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// Counter counts the requests a client sends to the API server: a test's proof of how many
// LISTs and GETs a command made.
type Counter struct {
	mu   sync.Mutex
	reqs []Request
}

// Request is one request a client sent.
type Request struct {
	Method string
	// Path is the URL path, e.g. /api/v1/namespaces/llm/pods.
	Path string
	// Query is the raw query (limit, continue, labelSelector, ...).
	Query string
}

func (r Request) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// Config returns a copy of cfg whose requests the counter counts.
func (c *Counter) Config(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			c.mu.Lock()
			c.reqs = append(c.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery})
			c.mu.Unlock()
			return rt.RoundTrip(r)
		})
	})
	return cfg
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Requests returns the requests counted so far, in order.
func (c *Counter) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// Reset forgets the requests counted so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = nil
}

// Collections are the GETs of collections (LIST pages), keyed by path and label selector, with
// the number of pages of each; others are every other request except discovery. A test asserts
// each collection is listed once (one key, its pages following continue tokens) and others hold
// no GET of a single object.
func (c *Counter) Collections() (lists map[string]int, others []Request) {
	lists = map[string]int{}
	for _, r := range c.Requests() {
		switch {
		case discoveryPath(r.Path):
		case r.Method == http.MethodGet && isList(r):
			lists[r.Path+selectorOf(r.Query)]++
		default:
			others = append(others, r)
		}
	}
	return lists, others
}

// isList tells a LIST from a GET of one object: the path's last resource segment has no name
// after it. Paths are /api/v1[/namespaces/NS]/RESOURCE[/NAME] or /apis/G/V[/namespaces/NS]/RESOURCE[/NAME].
func isList(r Request) bool {
	parts := strings.Split(strings.Trim(r.Path, "/"), "/")
	switch {
	case len(parts) > 0 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) > 0 && parts[0] == "apis":
		parts = parts[min(3, len(parts)):]
	}
	if len(parts) >= 2 && parts[0] == "namespaces" {
		if len(parts) == 2 {
			return false // GET of one Namespace
		}
		parts = parts[2:]
	}
	return len(parts) == 1
}

func selectorOf(query string) string {
	for _, kv := range strings.Split(query, "&") {
		if strings.HasPrefix(kv, "labelSelector=") || strings.HasPrefix(kv, "fieldSelector=") {
			return "?" + kv
		}
	}
	return ""
}

// discoveryPath reports whether p asks which APIs are served (/api, /api/v1, /apis, /apis/G,
// /apis/G/V) or the server's version.
func discoveryPath(p string) bool {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch parts[0] {
	case "api":
		return len(parts) <= 2
	case "apis":
		return len(parts) <= 3
	}
	return p == "/version"
}

// Summary is the counted requests as "N requests: M LISTs (P pages) of K collections", for
// benchmark reports.
func (c *Counter) Summary() string {
	lists, others := c.Collections()
	pages := 0
	for _, n := range lists {
		pages += n
	}
	return fmt.Sprintf("%d requests: %d LIST pages of %d collections, %d other", len(c.Requests()), pages, len(lists), len(others))
}
