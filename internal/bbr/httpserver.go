package bbr

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/igw-dev/igw/internal/bbr/adapters"
)

// readiness is the /readyz body: whether bbr takes traffic, and the state of
// each adapter mapping source, so an operator sees at once that a watch is
// failing even though routing goes on.
type readiness struct {
	Status  string                `json:"status"`
	Sources []adapters.StatusView `json:"adapterSources"`
	// Shedding is per request, never a reason to be unready; the numbers
	// are here so an operator sees how close the pod is to it.
	HeldBytes    int64 `json:"heldBodyBytes"`
	MaxHeldBytes int64 `json:"maxHeldBodyBytes"`
}

func (s *Server) httpServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.opts.EnablePprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	r := readiness{Status: "serving", Sources: []adapters.StatusView{},
		HeldBytes: s.handler.held.Held(), MaxHeldBytes: s.handler.held.Limit()}
	for _, src := range s.sources {
		r.Sources = append(r.Sources, src.View())
	}
	code := http.StatusOK
	if s.isDraining() {
		r.Status, code = "draining", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}

// newLogger builds the process logger. Logs never carry body text: the
// session logs only sizes, offsets, outcomes and the model name at debug.
func newLogger(o *Options, out io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(o.LogLevel))); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", o.LogLevel)
	}
	if o.Verbosity >= 4 {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	if o.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(out, hopts)), nil
	}
	return slog.New(slog.NewJSONHandler(out, hopts)), nil
}
