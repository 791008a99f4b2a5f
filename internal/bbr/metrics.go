package bbr

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/bbr/wire"
)

// Metrics are bbr's Prometheus series. Labels come from closed sets
// (outcomes, error codes, modes), never from request content, so a client
// cannot blow up the series count.
type Metrics struct {
	Registry *prometheus.Registry

	requests     *prometheus.CounterVec
	byOutcome    map[Outcome]prometheus.Counter // resolved once: the label lookup hashes
	rejections   *prometheus.CounterVec
	passthrough  *prometheus.CounterVec
	bodyBytes    prometheus.Histogram
	decisionTime prometheus.Histogram
	decisionOff  prometheus.Histogram
	inFlight     prometheus.Gauge
	streamErrors *prometheus.CounterVec
	mapping      *prometheus.GaugeVec
	sourceUp     *prometheus.GaugeVec
	sourceErrors *prometheus.CounterVec
}

// NewMetrics registers every series on a fresh registry.
func NewMetrics(version string) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbr_requests_total", Help: "Requests by how bbr handled them.",
		}, []string{"outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbr_rejections_total", Help: "Requests bbr answered with an error, by error code.",
		}, []string{"code"}),
		passthrough: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbr_unscanned_bodies_total", Help: "Bodies passed through unread (compressed or not JSON).",
		}, []string{"reason"}),
		bodyBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bbr_request_body_bytes", Help: "Request body size seen by bbr.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 10),
		}),
		decisionTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bbr_decision_duration_seconds", Help: "Time from request headers to the routing decision.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2.5, 12),
		}),
		decisionOff: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bbr_decision_offset_bytes", Help: "Body bytes read before the routing decision.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 10),
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bbr_streams_in_flight", Help: "Open ext_proc streams.",
		}),
		streamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbr_stream_errors_total", Help: "Streams that ended in a gRPC error, by kind.",
		}, []string{"kind"}),
		mapping: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bbr_adapter_mapping_entries", Help: "Entries in the LoRA adapter mapping.",
		}, []string{"kind"}),
		sourceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bbr_adapter_source_synced", Help: "1 when the adapter mapping source is loaded and current.",
		}, []string{"source"}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbr_adapter_source_errors_total", Help: "Failed loads or watches of the adapter mapping.",
		}, []string{"source"}),
	}
	m.byOutcome = map[Outcome]prometheus.Counter{}
	for _, o := range []Outcome{OutcomeRouted, OutcomeNoModel, OutcomeNoBody, OutcomeUnscanned, OutcomeRejected,
		OutcomeShed, OutcomeCanceled, OutcomeError, OutcomeObserved, OutcomeUnroutable} {
		m.byOutcome[o] = m.requests.WithLabelValues(string(o))
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bbr_info", Help: "Build information."}, []string{"version"})
	info.WithLabelValues(version).Set(1)
	r.MustRegister(m.requests, m.rejections, m.passthrough, m.bodyBytes, m.decisionTime, m.decisionOff,
		m.inFlight, m.streamErrors, m.mapping, m.sourceUp, m.sourceErrors, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// trackBudget exports the held-bytes budget, what it holds and the spare
// body buffers kept for the next chunks, read when scraped, so the request
// path pays for one counter, not two.
func (m *Metrics) trackBudget(b *heldBudget, bodies *wire.BodyPool) {
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bbr_body_buffer_spare_bytes", Help: "Capacity of the body buffers kept for reuse, beyond those in use; trimmed when traffic no longer needs them.",
		}, func() float64 { return float64(bodies.FreeBytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bbr_held_body_bytes", Help: "Body bytes held while waiting for the model, across all streams.",
		}, func() float64 { return float64(b.Held()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bbr_held_body_bytes_limit", Help: "The held-bytes budget (--max-held-bytes); a request that would pass it is shed with 503.",
		}, func() float64 { return float64(b.Limit()) }),
	)
}

func (m *Metrics) decided(d time.Duration, offset int64) {
	m.decisionTime.Observe(d.Seconds())
	m.decisionOff.Observe(float64(offset))
}

func (m *Metrics) finished(o Outcome, code string, body int64) {
	c, ok := m.byOutcome[o]
	if !ok {
		c = m.requests.WithLabelValues(string(o))
	}
	c.Inc()
	if o == OutcomeRejected {
		m.rejections.WithLabelValues(code).Inc()
	}
	if body > 0 {
		m.bodyBytes.Observe(float64(body))
	}
}

// MappingSwapped records a new adapter snapshot.
func (m *Metrics) MappingSwapped(s *adapters.Snapshot) {
	m.mapping.WithLabelValues("adapters").Set(float64(s.Adapters))
	m.mapping.WithLabelValues("base_models").Set(float64(s.Bases))
	m.mapping.WithLabelValues("conflicts").Set(float64(len(s.Conflicts)))
}

// SourceSynced sets the synced gauge of a mapping source.
func (m *Metrics) SourceSynced(source string, ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	m.sourceUp.WithLabelValues(source).Set(v)
}

// SourceError counts a failed load or watch.
func (m *Metrics) SourceError(source string) { m.sourceErrors.WithLabelValues(source).Inc() }
