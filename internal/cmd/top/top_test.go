package top

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/goldenfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// recording is the fixture shared with internal/tui: two pools over 40 refreshes.
const recording = "../../../testdata/top/fleet.jsonl"

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// --once -o json prints the first snapshot, the same fields a recording holds.
func TestOnceJSON(t *testing.T) {
	stdout, stderr, err := cmdtest.Run(t, NewCmd, nil, "", "--replay", recording, "--once", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var s fleet.Snapshot
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if s.Source != "replay" || len(s.Pools) != 2 || s.Pools[0].Name != "vllm-qwen" || len(s.Pools[0].Pods) != 4 ||
		s.Pools[0].Pods[0].Sample == nil || s.Pools[0].Picker == nil || time.Duration(s.Interval) != time.Second {
		t.Errorf("decoded %+v", s)
	}
	want := "2 InferencePools in fleet.jsonl (namespace llm, pod-proxy) (replay): 6 pods.\n"
	if stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if !strings.HasPrefix(stdout, "{\n  \"time\": ") {
		t.Errorf("not indented: %.40q", stdout)
	}
	yamlOut, _, err := cmdtest.Run(t, NewCmd, nil, "", "--replay", recording, "-o", "yaml")
	if err != nil || !strings.Contains(yamlOut, "\n  name: vllm-qwen\n") {
		t.Errorf("-o yaml: %v\n%.400s", err, yamlOut)
	}
}

// Text is a table of pods, one row each; stdout that is no terminal gets it without --once.
func TestOnceText(t *testing.T) {
	stdout, _, err := cmdtest.Run(t, NewCmd, nil, "", "--replay", recording)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "once.golden", stdout)
}

// shortRecording is a recording of n snapshots 10ms apart.
func shortRecording(t *testing.T, n int) string {
	t.Helper()
	r, err := fleet.OpenReplay(recording)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "short.jsonl")
	rec, err := fleet.CreateRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	start := r.Snapshots()[0].Time
	for i, s := range r.Snapshots()[:n] {
		s.Time = start.Add(time.Duration(i) * 10 * time.Millisecond)
		s.Interval = fleet.Duration(10 * time.Millisecond)
		if err := rec.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// --watch -o json prints one JSON object a line, one per refresh, and ends with the replay.
func TestWatchJSON(t *testing.T) {
	stdout, _, err := cmdtest.Run(t, NewCmd, nil, "", "--replay", shortRecording(t, 5), "--watch", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	var times []time.Time
	for sc.Scan() {
		var s fleet.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %d: %v", len(times)+1, err)
		}
		times = append(times, s.Time)
	}
	if len(times) != 5 || !times[4].After(times[0]) {
		t.Errorf("%d objects: %v", len(times), times)
	}
	text, _, err := cmdtest.Run(t, NewCmd, nil, "", "--replay", shortRecording(t, 2), "--watch")
	if err != nil || strings.Count(text, "NAMESPACE  POOL") != 2 {
		t.Errorf("--watch as text: %v\n%s", err, text)
	}
}

// --record writes what the screen or the printer is shown, as a recording --replay plays.
func TestRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	short := shortRecording(t, 3)
	_, _, code, err := cmdtest.RunAsRoot(t, NewCmd, func(ctx context.Context, o *Options) error {
		o.NewSource = func(*Options) (fleet.Source, error) { return fleet.OpenReplay(short) }
		return Run(ctx, o)
	}, nil, "--record", path, "--watch", "-o", "json")
	if err != nil || code != 0 {
		t.Fatal(code, err)
	}
	r, err := fleet.OpenReplay(path)
	if err != nil || len(r.Snapshots()) != 3 {
		t.Fatalf("the recording: %v", err)
	}
	if s := r.Snapshots()[0]; s.Source != "replay" || len(s.Pools) != 2 {
		t.Errorf("recorded %s with %d pools", s.Source, len(s.Pools))
	}
}

// A file that is not a recording stops top before anything is shown, with its line.
func TestBadReplay(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"time\":\"2026-05-04T10:00:00Z\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code, err := cmdtest.RunAsRoot(t, NewCmd, nil, nil, "--replay", bad, "--once")
	if code != exitCannot || err == nil || err.Error() != "bad.jsonl line 2: not a snapshot: a recording holds one JSON object a line" || stdout != "" {
		t.Errorf("exit %d, %v, stdout %q", code, err, stdout)
	}
}

// The flags fill the fleet's Options.
func TestOptions(t *testing.T) {
	o, err := cmdtest.Parse(t, NewCmd, "llm/qwen", "--direct", "--interval", "2s", "--metrics-port", "8080",
		"--engine", "sglang", "--kv-cache-metric", "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}", "--lora-metric", "", "--no-picker")
	if err != nil {
		t.Fatal(err)
	}
	f := o.Fleet
	if f.Pool != "qwen" || f.Namespace != "llm" || f.Reach != fleet.Direct || f.Interval != 2*time.Second || f.MetricsPort != 8080 ||
		f.MetricsPath != "/metrics" || f.Engine != "sglang" || !f.NoPicker || len(f.Metrics) != 2 ||
		f.Metrics["kv-cache-usage-percentage-metric"] != "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}" ||
		f.Metrics["lora-info-metric"] != "" {
		t.Errorf("%+v", f)
	}
	o, err = cmdtest.Parse(t, NewCmd, "--port-forward", "-A")
	if err != nil || o.Fleet.Reach != fleet.PortForward || !o.Fleet.AllNamespaces || o.Fleet.Pool != "" {
		t.Errorf("%v %+v", err, o)
	}
	o, err = cmdtest.Parse(t, NewCmd)
	if err != nil || o.Fleet.Reach != fleet.PodProxy || o.Fleet.Interval != time.Second || o.Fleet.Metrics != nil {
		t.Errorf("defaults: %v %+v", err, o)
	}
}

// A command line top cannot honour is refused before anything runs, with exit status 3 and a
// message that names the flags.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--direct", "--port-forward"}, "--port-forward, --direct and --prometheus are different ways to read the numbers; choose one"},
		{[]string{"--prometheus", "http://prometheus:9090", "--direct"}, "--port-forward, --direct and --prometheus are different ways"},
		{[]string{"--prometheus", "prometheus:9090"}, `--prometheus must be an http:// or https:// URL, got "prometheus:9090"`},
		{[]string{"--prometheus", "http://p:9090", "--metrics-port", "8000"}, "--metrics-port and --metrics-path say where to scrape the pods; with --prometheus"},
		{[]string{"--interval", "50ms"}, "--interval must be at least 100ms, got 50ms"},
		{[]string{"--once", "--watch"}, "--once prints one snapshot and --watch one per refresh; choose one"},
		{[]string{"--metrics-port", "70000"}, "--metrics-port must be a port number (1-65535), got 70000"},
		{[]string{"--metrics-path", "metrics"}, `--metrics-path must start with /, got "metrics"`},
		{[]string{"--engine", "ollama"}, `invalid argument "ollama" for "--engine" flag: must be one of vllm, sglang, trtllm-serve, triton-tensorrt-llm`},
		{[]string{"--kv-cache-metric", "vllm:kv{engine"}, "--kv-cache-metric: "},
		{[]string{"--waiting-metric", ""}, "--waiting-metric: "},
		{[]string{"llm/"}, `POOL "llm/": write NAME or NAMESPACE/NAME`},
		{[]string{"a", "b"}, "accepts at most 1 arg(s), received 2"},
		{[]string{"--replay", "x.jsonl", "-n", "llm"}, "--replay plays a recording as it was recorded; --namespace would read a cluster (leave it out)"},
		{[]string{"--replay", "x.jsonl", "qwen", "--direct", "--interval", "2s"}, "--replay plays a recording as it was recorded; POOL, --direct, --interval would read a cluster (leave them out)"},
		{[]string{"--replay", "x.jsonl", "--context", "prod"}, "--context would read a cluster"},
		{[]string{"--replay", "x.jsonl", "--record", "y.jsonl"}, "--record and --replay together would only copy the recording; use one"},
		{[]string{"--timeout", "0s"}, "--timeout must be positive, got 0s"},
	} {
		ran := false
		stdout, stderr, code, err := cmdtest.RunAsRoot(t, NewCmd, func(context.Context, *Options) error { ran = true; return nil }, nil, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || ran || stdout != "" || stderr != "" {
			t.Errorf("%v: %v (ran %v, stdout %q)\nwant %s", tc.args, err, ran, stdout, tc.want)
			continue
		}
		if code != exitCannot && tc.want != "--timeout must be positive, got 0s" {
			t.Errorf("%v: exit status %d, want %d", tc.args, code, exitCannot)
		}
	}
}
