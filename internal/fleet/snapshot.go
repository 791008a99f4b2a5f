// Package fleet watches the model-server pods of InferencePools and samples their metrics: it
// finds pools, follows each pool's selector to its pods, scrapes every pod on an interval (or
// reads the same numbers from Prometheus), keeps bounded rings of samples per pod and derives
// rates from counters. It knows nothing of screens: `igwctl top --once -o json`, the TUI and
// `--record` all read the Snapshot values it produces, so what a script sees is what a person
// sees.
package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot is the state of every watched pool at one refresh. It is a value: a Source never
// changes a Snapshot it has handed out, so readers need no locks.
type Snapshot struct {
	// Time is when the refresh that produced it ended.
	Time time.Time `json:"time"`
	// Interval is the refresh interval in force.
	Interval Duration `json:"interval"`
	// Scope says what was watched: "namespace llm", "all namespaces", "pool llm/qwen", a
	// Prometheus URL or a replayed file.
	Scope string `json:"scope"`
	// Source is how numbers were read: "pod-proxy", "direct", "port-forward", "prometheus",
	// "replay".
	Source string `json:"source"`
	Pools  []Pool `json:"pools"`
	// Errors are problems not tied to one pod (a forbidden LIST, a lost watch); the screen
	// shows them in its status line.
	Errors []string `json:"errors,omitempty"`
}

// Duration marshals as Go's duration text ("1s"), which people read and flags accept.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Pool is one InferencePool and its pods, sorted by pod name.
type Pool struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Group is inference.networking.k8s.io (v1) or inference.networking.x-k8s.io (alpha).
	Group       string  `json:"group"`
	TargetPorts []int32 `json:"targetPorts"`
	Selector    string  `json:"selector"`
	// Parents are the pool's status.parents: one per Gateway that accepted (or refused) it.
	Parents []Parent `json:"parents,omitempty"`
	// Picker is what the pool's endpoint picker reports about the pool; nil when its metrics
	// were not read (not asked for, or no picker Service).
	Picker *Picker `json:"picker,omitempty"`
	Totals Totals  `json:"totals"`
	Pods   []Pod   `json:"pods"`
}

// Parent is one entry of an InferencePool's status.parents.
type Parent struct {
	// Gateway is namespace/name of the parent.
	Gateway string `json:"gateway"`
	// Accepted and ResolvedRefs are the condition statuses ("True", "False", "Unknown", or ""
	// when absent), Reason the reason of the first that is not True.
	Accepted     string `json:"accepted"`
	ResolvedRefs string `json:"resolvedRefs"`
	Reason       string `json:"reason,omitempty"`
}

// Picker is the endpoint picker's own view of its pool, read from its metrics port.
type Picker struct {
	// Target is what was scraped: the picker Service and port.
	Target string `json:"target"`
	// Metrics is which generation of names answered: "llm_d_epp" or "inference_pool".
	Metrics          string             `json:"metrics,omitempty"`
	AvgKVCache       *float64           `json:"avgKVCache,omitempty"`
	AvgQueue         *float64           `json:"avgQueue,omitempty"`
	ReadyEndpoints   *float64           `json:"readyEndpoints,omitempty"`
	PerEndpointQueue map[string]float64 `json:"perEndpointQueue,omitempty"`
	Error            string             `json:"error,omitempty"`
	Age              Duration           `json:"age"`
}

// Totals sum a pool's pods as the pods report them, for comparison with the picker's view.
type Totals struct {
	Pods  int `json:"pods"`
	Ready int `json:"ready"`
	// Reporting counts pods with a fresh sample; the averages are over those.
	Reporting  int      `json:"reporting"`
	AvgKVCache *float64 `json:"avgKVCache,omitempty"`
	Waiting    float64  `json:"waiting"`
	Running    float64  `json:"running"`
	// Rates sum the pods' rates where known.
	Rates Rates `json:"rates"`
}

// Pod is one model-server pod, its newest good sample and its trends.
type Pod struct {
	Name  string `json:"name"`
	Node  string `json:"node,omitempty"`
	IP    string `json:"ip,omitempty"`
	Ready bool   `json:"ready"`
	// Engine is the metrics dialect, EngineFrom how it was known: "label", "flag", "metrics".
	Engine     string `json:"engine,omitempty"`
	EngineFrom string `json:"engineFrom,omitempty"`
	// Sample is the newest good scrape; nil before the first.
	Sample *Sample `json:"sample,omitempty"`
	// Rates come from the last two good samples' counters.
	Rates Rates `json:"rates"`
	// Error is why the latest scrape failed ("" when it did not); Missed counts scrapes failed
	// in a row, and Stale is Missed >= 2.
	Error  string `json:"error,omitempty"`
	Missed int    `json:"missed"`
	Stale  bool   `json:"stale"`
	// Age is how old Sample is at Snapshot.Time.
	Age Duration `json:"age"`
	// History holds the last good samples' KV-cache (0..1) and waiting, oldest first; a failed
	// scrape adds nothing.
	History History `json:"history"`
}

// Sample is what one scrape of one pod said, per the pod's engine protocol.
type Sample struct {
	Time time.Time `json:"time"`
	// KVCache is the utilisation 0..1 (the highest series); nil when the scrape lacked it.
	KVCache *float64 `json:"kvCache,omitempty"`
	// KVCacheMetric names the metric that gave it (vLLM's old name shows here).
	KVCacheMetric string   `json:"kvCacheMetric,omitempty"`
	Waiting       *float64 `json:"waiting,omitempty"`
	Running       *float64 `json:"running,omitempty"`
	// LoRA is nil when the engine reports no adapters metric ("no LoRA").
	LoRA *LoRA `json:"lora,omitempty"`
	// CacheConfig are the labels of the engine's cache config info (block size, blocks).
	CacheConfig map[string]string `json:"cacheConfig,omitempty"`
	// Counters are the monotonic counters rates derive from, by family name (summed series).
	Counters map[string]float64 `json:"counters,omitempty"`
	// Missing names the protocol metrics the scrape lacked.
	Missing []string `json:"missing,omitempty"`
}

// LoRA is the newest series of the engine's LoRA info metric.
type LoRA struct {
	Running []string `json:"running"`
	Waiting []string `json:"waiting"`
	Max     int      `json:"max"`
}

// Rates are per-second rates over the last two good samples; nil where the counters are absent
// or reset.
type Rates struct {
	PromptTokens     *float64 `json:"promptTokensPerSecond,omitempty"`
	GenerationTokens *float64 `json:"generationTokensPerSecond,omitempty"`
	Requests         *float64 `json:"requestsPerSecond,omitempty"`
	// PrefixCacheHitRate is Δhits/Δqueries, 0..1.
	PrefixCacheHitRate *float64 `json:"prefixCacheHitRate,omitempty"`
	Preemptions        *float64 `json:"preemptionsPerSecond,omitempty"`
}

// History is a pod's trend, oldest first, at most the ring's size.
type History struct {
	KVCache []float64 `json:"kvCache,omitempty"`
	Waiting []float64 `json:"waiting,omitempty"`
}

// Source produces snapshots: a live cluster watcher, a Prometheus reader or a replayed
// recording. Run refreshes until ctx ends, sending each snapshot on the channel it returns
// (which it closes when it stops); a slow reader never blocks a refresh, it misses snapshots.
type Source interface {
	Run(ctx context.Context) <-chan Snapshot
	// SetInterval changes the refresh interval from the next refresh on; a Source that cannot
	// (a replay plays at its recorded pace) ignores it.
	SetInterval(time.Duration)
	// SetPaused stops and restarts refreshes without losing the rings.
	SetPaused(bool)
}
