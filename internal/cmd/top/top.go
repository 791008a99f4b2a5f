// Package top is `igwctl top`: a live screen of every model-server pod behind the
// InferencePools in scope (KV cache, queues, LoRA adapters, rates) with the endpoint picker's
// view beside it, or one snapshot printed for scripts. internal/fleet reads the numbers,
// internal/tui draws them.
package top

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/modelserver"
)

// exitCannot is the exit status when top could not run (a bad command line, no cluster, a
// recording that is not one), as diagnose and verify have it.
const exitCannot = 3

// minInterval is the shortest refresh: the picker itself refreshes every 50ms, and a person
// reads nothing faster than this.
const minInterval = 100 * time.Millisecond

// Options are the flags of `igwctl top` and what the command is given.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format
	Kube   kube.Factory

	// Fleet is what to watch and how, from POOL, -n, -A and the scrape flags.
	Fleet fleet.Options
	// Once prints one snapshot and exits; Watch prints one per refresh until Ctrl-C.
	Once, Watch bool
	// Timeout bounds the wait for the first snapshot when printing.
	Timeout time.Duration
	// Record writes every snapshot to a file; Replay plays such a file instead of a cluster.
	Record, Replay string
	// Prometheus reads the numbers from a Prometheus server instead of the pods.
	Prometheus string

	// NewSource builds the Source; nil builds the one the flags ask for. Tests inject one.
	NewSource func(o *Options) (fleet.Source, error)

	portForward, direct bool
	engine              modelserver.Engine
	metrics             metricFlags
}

// metricFlags are the per-metric overrides, by igwctl's flag name.
type metricFlags struct{ kvCache, waiting, running, lora string }

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Timeout: 30 * time.Second, Fleet: fleet.Options{Interval: time.Second}}
	cmd := &cobra.Command{
		Use:   "top [POOL] [-n NAMESPACE | -A] [--interval 1s] [--once | --watch]",
		Short: "Watch every model-server pod's KV cache, queues and LoRA adapters, live",
		Long: `Show, live, the model-server pods behind each InferencePool: KV-cache utilisation,
waiting and running requests, LoRA adapters, request and token rates, with trends, and beside
them what the pool's endpoint picker reports and whether the pool's Gateways accepted it. A
picker whose numbers differ from the pods' routes on stale data, and the header marks it.

Pods are found from each pool's selector and scraped every --interval through the API
server's pod proxy (RBAC: get pods/proxy), or --port-forward, or --direct to pod IPs from a
machine on the cluster network; the port and path are the pool's first target port and
/metrics unless --metrics-port and --metrics-path say otherwise. The metrics dialect comes
from the pod's engine-type label, else from the metric names (vLLM, SGLang, trtllm-serve,
Triton TensorRT-LLM); --engine and the metric flags override it, in the picker's syntax
(name or name{label=value}). --prometheus reads the same numbers from a Prometheus server
that already scrapes the pods, for pools of hundreds.

On a terminal it is a screen (? shows the keys); when stdout is not a terminal, or with
--once, it prints one snapshot as a table or -o json|yaml and exits; --watch prints one per
refresh (-o json: one object a line). --record FILE writes every snapshot as JSON lines, and
--replay FILE plays such a recording back in the same screen, at its recorded pace, without a
cluster: attach one to a bug report.

POOL is NAME or NAMESPACE/NAME; without it every pool in the namespace (-A: in every
namespace) is shown. Exit status: 0, or 3 when top could not run.`,
		Example: `  # Every pool of the current namespace, live
  igwctl top

  # One pool, refreshed every 2 seconds, recorded for a bug report
  igwctl top vllm-llama3-8b-instruct -n llm --interval 2s --record llama.jsonl

  # Play the recording back
  igwctl top --replay llama.jsonl

  # One snapshot of every pool in the cluster, for a script
  igwctl top -A --once -o json

  # A JSON object per refresh
  igwctl top -n llm --watch -o json | jq -c '.pools[].totals'

  # From the cluster's Prometheus
  igwctl top -A --prometheus http://prometheus.monitoring:9090`,
		Args: cobra.MaximumNArgs(1),
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, args []string) error {
			return cannot(o.prepare(cmd, args))
		}),
	}
	cmdutil.UsageCode(exitCannot, cmd)
	fs := cmd.Flags()
	cmdutil.AddAllNamespacesFlag(fs, &o.Fleet.AllNamespaces)
	fs.DurationVar(&o.Fleet.Interval, "interval", o.Fleet.Interval, "time between refreshes (at least 100ms; + and - change it on the screen)")
	fs.BoolVar(&o.Once, "once", false, "print one snapshot and exit, as when stdout is not a terminal")
	fs.BoolVar(&o.Watch, "watch", false, "print a snapshot every refresh until Ctrl-C (-o json: one object a line)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --once and --watch wait for the first snapshot")
	fs.StringVar(&o.Record, "record", "", "write every snapshot to FILE as JSON lines, for --replay")
	fs.StringVar(&o.Replay, "replay", "", "play a recording made with --record instead of reading a cluster")
	fs.BoolVar(&o.portForward, "port-forward", false, "reach each pod through a port-forward instead of the API server's pod proxy")
	fs.BoolVar(&o.direct, "direct", false, "dial pod IPs directly (from a machine on the cluster network)")
	fs.Int32Var(&o.Fleet.MetricsPort, "metrics-port", 0, "the pods' metrics port (default: the pool's first target port)")
	fs.StringVar(&o.Fleet.MetricsPath, "metrics-path", "/metrics", "the pods' metrics path")
	fs.Var(cmdutil.Enum(&o.engine, modelserver.Engines()...), "engine", "the pods' metrics dialect: "+engineNames()+" (default: the pod's engine-type label, else detected)")
	fs.StringVar(&o.metrics.kvCache, "kv-cache-metric", "", "the KV-cache utilisation metric, NAME or NAME{LABEL=VALUE} (the picker's --"+modelserver.FlagKVCache+")")
	fs.StringVar(&o.metrics.waiting, "waiting-metric", "", "the waiting requests metric (the picker's --"+modelserver.FlagWaiting+")")
	fs.StringVar(&o.metrics.running, "running-metric", "", "the running requests metric (the picker's --"+modelserver.FlagRunning+")")
	fs.StringVar(&o.metrics.lora, "lora-metric", "", "the LoRA info metric (the picker's --"+modelserver.FlagLoRA+"); empty turns LoRA off")
	fs.StringVar(&o.Prometheus, "prometheus", "", "read the numbers from the Prometheus server at URL instead of scraping the pods")
	fs.BoolVar(&o.Fleet.NoPicker, "no-picker", false, "do not read the endpoint pickers' metrics")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

func engineNames() string {
	var names []string
	for _, e := range modelserver.Engines() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}

// cannot marks err as "top could not run" (exit 3).
func cannot(err error) error { return cmdutil.WithCode(exitCannot, err) }

// clusterFlags are the flags that say how to read a cluster, which a replay has no use for.
var clusterFlags = []string{"namespace", "all-namespaces", "context", "kubeconfig", "cluster", "user", "port-forward", "direct",
	"prometheus", "metrics-port", "metrics-path", "engine", "kv-cache-metric", "waiting-metric", "running-metric", "lora-metric",
	"no-picker", "interval"}

// prepare checks the command line and fills in what the flags imply.
func (o *Options) prepare(cmd *cobra.Command, args []string) error {
	fs := cmd.Flags()
	if o.Replay != "" {
		return o.prepareReplay(fs, args)
	}
	if ns := fs.Lookup("namespace"); ns != nil && ns.Changed {
		o.Fleet.Namespace = ns.Value.String()
	}
	if o.Fleet.Interval < minInterval {
		return fmt.Errorf("--interval must be at least %s, got %s", minInterval, o.Fleet.Interval)
	}
	if o.Once && o.Watch {
		return fmt.Errorf("--once prints one snapshot and --watch one per refresh; choose one")
	}
	if n := countSet(o.portForward, o.direct, o.Prometheus != ""); n > 1 {
		return fmt.Errorf("--port-forward, --direct and --prometheus are different ways to read the numbers; choose one")
	}
	switch {
	case o.portForward:
		o.Fleet.Reach = fleet.PortForward
	case o.direct:
		o.Fleet.Reach = fleet.Direct
	default:
		o.Fleet.Reach = fleet.PodProxy
	}
	if fs.Changed("metrics-port") && (o.Fleet.MetricsPort < 1 || o.Fleet.MetricsPort > 65535) {
		return fmt.Errorf("--metrics-port must be a port number (1-65535), got %d", o.Fleet.MetricsPort)
	}
	if !strings.HasPrefix(o.Fleet.MetricsPath, "/") {
		return fmt.Errorf("--metrics-path must start with /, got %q", o.Fleet.MetricsPath)
	}
	if o.Prometheus != "" && (fs.Changed("metrics-port") || fs.Changed("metrics-path")) {
		return fmt.Errorf("--metrics-port and --metrics-path say where to scrape the pods; with --prometheus, Prometheus scrapes them")
	}
	if o.Prometheus != "" && !strings.HasPrefix(o.Prometheus, "http://") && !strings.HasPrefix(o.Prometheus, "https://") {
		return fmt.Errorf("--prometheus must be an http:// or https:// URL, got %q", o.Prometheus)
	}
	o.Fleet.Engine = string(o.engine)
	if err := o.metricOverrides(fs); err != nil {
		return err
	}
	if len(args) == 1 {
		return o.pool(args[0])
	}
	return nil
}

// prepareReplay refuses what a replay cannot honour: it shows what was recorded, as recorded.
func (o *Options) prepareReplay(fs *pflag.FlagSet, args []string) error {
	var set []string
	for _, name := range clusterFlags {
		if f := fs.Lookup(name); f != nil && f.Changed {
			set = append(set, "--"+name)
		}
	}
	if len(args) > 0 {
		set = append([]string{"POOL"}, set...)
	}
	if len(set) > 0 {
		return fmt.Errorf("--replay plays a recording as it was recorded; %s would read a cluster (leave %s out)",
			strings.Join(set, ", "), pronoun(len(set)))
	}
	if o.Record != "" {
		return fmt.Errorf("--record and --replay together would only copy the recording; use one")
	}
	if o.Once && o.Watch {
		return fmt.Errorf("--once prints one snapshot and --watch one per refresh; choose one")
	}
	return nil
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// metricOverrides checks the metric flags and passes them on by the picker's flag names.
func (o *Options) metricOverrides(fs *pflag.FlagSet) error {
	for _, m := range []struct{ flag, picker, value string }{
		{"kv-cache-metric", modelserver.FlagKVCache, o.metrics.kvCache},
		{"waiting-metric", modelserver.FlagWaiting, o.metrics.waiting},
		{"running-metric", modelserver.FlagRunning, o.metrics.running},
		{"lora-metric", modelserver.FlagLoRA, o.metrics.lora},
	} {
		if !fs.Changed(m.flag) {
			continue
		}
		if m.value != "" || m.flag != "lora-metric" {
			if _, err := modelserver.ParseMetric(m.value); err != nil {
				return fmt.Errorf("--%s: %w", m.flag, err)
			}
		}
		if o.Fleet.Metrics == nil {
			o.Fleet.Metrics = map[string]string{}
		}
		o.Fleet.Metrics[m.picker] = m.value
	}
	return nil
}

// pool reads POOL, NAME or NAMESPACE/NAME.
func (o *Options) pool(arg string) error {
	o.Fleet.Pool = arg
	if ns, name, ok := strings.Cut(arg, "/"); ok {
		if ns == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("POOL %q: write NAME or NAMESPACE/NAME", arg)
		}
		o.Fleet.Namespace, o.Fleet.Pool, o.Fleet.AllNamespaces = ns, name, false
	}
	return nil
}
