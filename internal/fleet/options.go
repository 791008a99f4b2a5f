package fleet

import "time"

// Reach is how scrapes get to a pod's metrics port.
type Reach string

const (
	// PodProxy goes through the API server's pods/proxy subresource: a laptop with a
	// kubeconfig and RBAC for pods/proxy is enough.
	PodProxy Reach = "pod-proxy"
	// Direct dials pod IPs, for a machine on the cluster network.
	Direct Reach = "direct"
	// PortForward opens a port-forward per pod through the API server and the kubelet.
	PortForward Reach = "port-forward"
)

// Options say what to watch and how; the zero value of each field means its default.
type Options struct {
	// Pool is a pool name, or "" for every pool in scope.
	Pool string
	// Namespace is the namespace to watch; AllNamespaces watches all of them.
	Namespace     string
	AllNamespaces bool

	// Interval between refreshes (default 1s).
	Interval time.Duration
	// Timeout bounds one pod's scrape (default: the interval, at most 5s).
	Timeout time.Duration
	// Concurrency bounds scrapes in flight (default 32).
	Concurrency int
	// History is the number of samples kept per pod (default 120).
	History int

	Reach Reach
	// MetricsPort and MetricsPath override the pool's first target port and /metrics.
	MetricsPort int32
	MetricsPath string

	// Engine forces every pod's metrics dialect ("" detects it: pod label, then metric
	// names); Metrics override single protocol metrics by the picker's flag names
	// (total-queued-requests-metric, ...), name or name{label=value}.
	Engine  string
	Metrics map[string]string

	// Picker reads each pool's endpoint picker metrics too (default on through NoPicker).
	NoPicker bool
	// PickerMetricsPort is the picker Service's metrics port (default 9090, the upstream
	// charts' http-metrics port).
	PickerMetricsPort int32
	// RateWindow is the range of the Prometheus source's rate() queries (default 1m: four
	// samples at Prometheus's usual 15s scrape interval).
	RateWindow time.Duration
}

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = min(o.Interval, 5*time.Second)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.History <= 0 {
		o.History = 120
	}
	if o.Reach == "" {
		o.Reach = PodProxy
	}
	if o.MetricsPath == "" {
		o.MetricsPath = "/metrics"
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.PickerMetricsPort == 0 {
		o.PickerMetricsPort = 9090
	}
	return o
}
