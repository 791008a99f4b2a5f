package bbr

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	procv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	"github.com/spf13/pflag"
)

// Default header names. Both model headers are set so routes written for
// upstream BBR keep matching.
const (
	HeaderInferenceModel = "x-gateway-inference-model"
	HeaderModelName      = "x-gateway-model-name"
	HeaderBaseModelName  = "x-gateway-base-model-name"
)

// DefaultStreamWorkers covers the concurrent streams of a busy replica: a
// stream lasts as long as its request, and each stream on a worker saves
// the stack growth a new goroutine goes through (9-11% of the server's CPU
// for 1 KiB requests, profiled). Idle workers cost their stacks, which the
// collector shrinks.
const DefaultStreamWorkers = 128

// maxStreamWorkers bounds what an idle bbr may start with.
const maxStreamWorkers = 10000

// Options are bbr's command-line settings.
type Options struct {
	BindAddress   string
	GRPCPort      int
	HealthPort    int
	MetricsPort   int
	SecureServing bool
	CertFile      string
	KeyFile       string

	RequestBodyMode  string
	ResponseBodyMode string
	Streaming        bool

	ModelHeaders    []string
	BaseModelHeader string
	RequireModel    bool
	MaxBodyBytes    ByteSize
	// MaxHeldBytes bounds the body bytes held across all streams; 0 derives
	// it from the container's memory limit.
	MaxHeldBytes   ByteSize
	MaxModelLength int
	Strict         bool
	RulesFile      string

	AdaptersFile string
	ConfigMaps   string
	Namespace    string
	Kubeconfig   string

	// StreamWorkers is how many long-lived goroutines serve streams; 0
	// starts a goroutine per stream.
	StreamWorkers int

	DrainTimeout  time.Duration
	ShutdownDelay time.Duration
	LogFormat     string
	LogLevel      string
	EnablePprof   bool

	// adaptersPoll overrides how often the mapping file is checked (tests).
	adaptersPoll time.Duration
	// tlsCheck overrides how often certificate files are checked (tests).
	tlsCheck time.Duration
	// cgroupRoot is where the container's memory limit is read ("/"; tests
	// point it at a fake tree).
	cgroupRoot string

	// Accepted for drop-in compatibility with upstream BBR's flags.
	Plugins             []string
	Verbosity           int
	Tracing             bool
	MetricsEndpointAuth bool
}

// DefaultOptions are what `bbr` runs with when given no flags.
func DefaultOptions() *Options {
	return &Options{
		GRPCPort: 9004, HealthPort: 9005, MetricsPort: 9090,
		SecureServing:   true,
		RequestBodyMode: "FULL_DUPLEX_STREAMED",
		ModelHeaders:    []string{HeaderInferenceModel, HeaderModelName},
		BaseModelHeader: HeaderBaseModelName,
		MaxBodyBytes:    64 << 20,
		MaxModelLength:  256,
		ConfigMaps:      "auto",
		StreamWorkers:   DefaultStreamWorkers,
		DrainTimeout:    30 * time.Second,
		LogFormat:       "json",
		LogLevel:        "info",
		Verbosity:       -1,
		cgroupRoot:      "/",
	}
}

// AddFlags binds the options to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "IP address to listen on for all ports (empty: all interfaces)")
	fs.IntVar(&o.GRPCPort, "grpc-port", o.GRPCPort, "port of the ext_proc gRPC server")
	fs.IntVar(&o.HealthPort, "grpc-health-port", o.HealthPort, "port of the plaintext gRPC health server (grpc.health.v1)")
	fs.IntVar(&o.MetricsPort, "metrics-port", o.MetricsPort, "port of the HTTP server for /metrics, /healthz and /readyz")
	fs.BoolVar(&o.SecureServing, "secure-serving", o.SecureServing, "serve ext_proc over TLS (with --tls-cert-file/--tls-key-file, reloaded when they change; without them, a self-signed certificate made at start)")
	fs.StringVar(&o.CertFile, "tls-cert-file", o.CertFile, "PEM certificate for --secure-serving")
	fs.StringVar(&o.KeyFile, "tls-key-file", o.KeyFile, "PEM private key for --secure-serving")
	fs.StringVar(&o.RequestBodyMode, "request-body-mode", o.RequestBodyMode, "request body mode to assume when Envoy sends no protocol_config: FULL_DUPLEX_STREAMED, STREAMED, BUFFERED, BUFFERED_PARTIAL or NONE")
	fs.StringVar(&o.ResponseBodyMode, "response-body-mode", o.ResponseBodyMode, "response body mode to assume when Envoy sends no protocol_config (default: the request body mode)")
	fs.BoolVar(&o.Streaming, "streaming", o.Streaming, "upstream BBR compatibility: same as --request-body-mode=FULL_DUPLEX_STREAMED")
	fs.StringSliceVar(&o.ModelHeaders, "model-header", o.ModelHeaders, "header set to the body's top-level model (repeatable)")
	fs.StringVar(&o.BaseModelHeader, "base-model-header", o.BaseModelHeader, "header set to the base model of a LoRA adapter (empty: never set)")
	fs.BoolVar(&o.RequireModel, "require-model", o.RequireModel, "reject bodies without a top-level model with 400")
	fs.Var(&o.MaxBodyBytes, "max-body-bytes", "most body bytes read before the model must be known; beyond them the request gets 413 (accepts Ki, Mi, Gi)")
	fs.Var(&o.MaxHeldBytes, "max-held-bytes", "most body bytes held across all requests while they wait for their model; a request that would pass it gets 503 with retry-after (default: half the container's memory limit, 1Gi without one)")
	fs.IntVar(&o.MaxModelLength, "max-model-length", o.MaxModelLength, "longest model name accepted, in bytes")
	fs.BoolVar(&o.Strict, "strict", o.Strict, "reject compressed or non-JSON bodies with 415 instead of passing them through without a model header")
	fs.StringVar(&o.RulesFile, "rules-file", o.RulesFile, "YAML file of extra rules promoting other top-level body fields to headers")
	fs.StringVar(&o.AdaptersFile, "adapters-file", o.AdaptersFile, "YAML file mapping LoRA adapters to base models: [{baseModel: NAME, adapters: [NAME]}], reloaded on change")
	fs.StringVar(&o.ConfigMaps, "configmaps", o.ConfigMaps, "watch labelled adapter ConfigMaps: auto (when a cluster config is found), true or false")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "namespace to watch for adapter ConfigMaps (default: $NAMESPACE, else all namespaces)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig for the ConfigMap watch (default: in-cluster, then $KUBECONFIG)")
	fs.IntVar(&o.StreamWorkers, "stream-workers", o.StreamWorkers, "goroutines kept to serve ext_proc streams, so a request does not pay for growing a fresh goroutine's stack; streams beyond them get their own goroutine (0: one per stream)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", o.DrainTimeout, "on SIGTERM, how long in-flight streams may take to finish")
	fs.DurationVar(&o.ShutdownDelay, "shutdown-delay", o.ShutdownDelay, "on SIGTERM, how long to keep accepting streams while reporting NOT_SERVING, so load balancers move away first")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "log format: json or text")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "log level: debug, info, warn or error")
	fs.BoolVar(&o.EnablePprof, "enable-pprof", o.EnablePprof, "serve /debug/pprof on the metrics port")
	fs.StringArrayVar(&o.Plugins, "plugin", nil, "upstream BBR compatibility: type:name[:json] for body-field-to-header and base-model-to-header")
	fs.IntVarP(&o.Verbosity, "v", "v", o.Verbosity, "upstream BBR compatibility: log verbosity (>=4 means debug)")
	fs.BoolVar(&o.Tracing, "tracing", o.Tracing, "upstream BBR compatibility; accepted and ignored")
	fs.BoolVar(&o.MetricsEndpointAuth, "metrics-endpoint-auth", o.MetricsEndpointAuth, "upstream BBR compatibility; accepted and ignored (protect the metrics port with a NetworkPolicy)")
}

// ParseMode reads a body send mode name.
func ParseMode(s string) (procv3.ProcessingMode_BodySendMode, error) {
	v, ok := procv3.ProcessingMode_BodySendMode_value[strings.ToUpper(strings.TrimSpace(s))]
	if !ok || v == int32(procv3.ProcessingMode_GRPC) {
		return 0, fmt.Errorf("unknown body mode %q; use FULL_DUPLEX_STREAMED, STREAMED, BUFFERED, BUFFERED_PARTIAL or NONE", s)
	}
	return procv3.ProcessingMode_BodySendMode(v), nil
}

// ByteSize is a byte count flag that accepts Ki, Mi and Gi suffixes.
type ByteSize int

// String gives the largest exact unit, so --help shows 64Mi, not 67108864.
func (b *ByteSize) String() string {
	n := int(*b)
	for _, u := range []struct {
		suffix string
		size   int
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.Itoa(n/u.size) + u.suffix
		}
	}
	return strconv.Itoa(n)
}
func (b *ByteSize) Type() string { return "bytes" }

// Set parses "8388608", "8Mi" or "512Ki".
func (b *ByteSize) Set(s string) error {
	mult := 1
	num := strings.TrimSpace(s)
	for suffix, m := range map[string]int{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if strings.HasSuffix(num, suffix) {
			num, mult = strings.TrimSuffix(num, suffix), m
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a positive byte count like 8388608 or 8Mi, got %q", s)
	}
	*b = ByteSize(n * mult)
	return nil
}

// validate checks ports and modes; every message names the flag.
func (o *Options) validate() error {
	ports := map[int]string{}
	for _, p := range []struct {
		name string
		v    int
	}{{"--grpc-port", o.GRPCPort}, {"--grpc-health-port", o.HealthPort}, {"--metrics-port", o.MetricsPort}} {
		if p.v < 0 || p.v > 65535 {
			return fmt.Errorf("%s %d is out of range 0-65535", p.name, p.v)
		}
		if prev, dup := ports[p.v]; dup && p.v != 0 {
			return fmt.Errorf("%s and %s are both %d; give each its own port", prev, p.name, p.v)
		}
		ports[p.v] = p.name
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return fmt.Errorf("--tls-cert-file and --tls-key-file go together; set both or neither")
	}
	if o.CertFile != "" && !o.SecureServing {
		return fmt.Errorf("--tls-cert-file is set but --secure-serving is false; add --secure-serving")
	}
	switch o.ConfigMaps {
	case "auto", "true", "false":
	default:
		return fmt.Errorf("--configmaps %q: use auto, true or false", o.ConfigMaps)
	}
	switch o.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("--log-format %q: use json or text", o.LogFormat)
	}
	if o.StreamWorkers < 0 || o.StreamWorkers > maxStreamWorkers {
		return fmt.Errorf("--stream-workers %d is out of range 0-%d (0 starts a goroutine per stream)", o.StreamWorkers, maxStreamWorkers)
	}
	if o.MaxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive")
	}
	if o.MaxHeldBytes < 0 {
		return fmt.Errorf("--max-held-bytes must be positive")
	}
	return nil
}
