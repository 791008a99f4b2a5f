package top

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux drives a terminal of its own: a tmux server on a socket in the test's temporary
// directory, so the test never touches a person's sessions and leaves nothing behind.
type tmux struct {
	t      *testing.T
	socket string
	target string
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x *tmux) capture() string { return x.run("capture-pane", "-p", "-t", x.target) }

// waitFor captures the pane until it shows every one of wants, and returns that capture.
func (x *tmux) waitFor(what string, wants ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		pane := x.capture()
		missing := ""
		for _, w := range wants {
			if !strings.Contains(pane, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return pane
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: the screen never showed %q:\n%s", what, missing, pane)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// igwctl top runs in a real terminal over a replay: a person sees the pool's header and its
// pods, a pod's detail after Enter, the keys after ?, a narrower table after the terminal
// shrinks, and the shell again after q.
func TestTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the end-to-end terminal test needs it (apt-get install tmux)")
	}
	if testing.Short() {
		t.Skip("builds igwctl; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "igwctl")
	build := exec.Command("go", "build", "-o", bin, "github.com/igw-dev/igw/cmd/igwctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rec, err := filepath.Abs(recording)
	if err != nil {
		t.Fatal(err)
	}
	x := &tmux{t: t, socket: filepath.Join(dir, "tmux.sock"), target: "top"}
	shell := fmt.Sprintf("%s top --replay %s; echo top exited with $?; sleep 60", bin, rec)
	x.run("-f", "/dev/null", "new-session", "-d", "-s", "top", "-x", "120", "-y", "30", "sh", "-c", shell)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.socket, "kill-server").Run() })

	pane := x.waitFor("first frame", "vllm-qwen (llm, v1)", "gateways llm/inference-gateway Accepted ✓ ResolvedRefs ✓",
		"avg KV 41% ≠ pods", "POD▲", "replay · fleet.jsonl (namespace llm, pod-proxy)")
	if row := lineOf(pane, "vllm-qwen-7c9f8d6b5-2xkqp"); !strings.Contains(row, "gpu-node-a1 yes") || !strings.Contains(row, "1/0/2") {
		t.Errorf("the first pod's row: %q", row)
	}

	x.run("send-keys", "-t", x.target, "j", "Enter")
	x.waitFor("detail", "vllm-qwen-7c9f8d6b5-8hz4m  pool llm/vllm-qwen", "LoRA         running sql-lora, tweet-lora  waiting chat-lora  max 2",
		"vllm:gpu_cache_usage_perc", "cache config block_size=16 num_gpu_blocks=27840")

	x.run("send-keys", "-t", x.target, "Escape")
	x.waitFor("back", "POD▲")
	x.run("send-keys", "-t", x.target, "?")
	x.waitFor("help", "Reading the screen", "s sort column", "space pause")
	x.run("send-keys", "-t", x.target, "?")
	x.waitFor("back from help", "POD▲")

	x.run("resize-window", "-t", x.target, "-x", "80", "-y", "24")
	pane = x.waitFor("80 columns", "ready endpoints 3 = ready pods 3")
	if h := lineOf(pane, "POD▲"); strings.Contains(h, "NODE") || !strings.Contains(h, "KV%") {
		t.Errorf("at 80 columns the table header is %q", h)
	}

	x.run("send-keys", "-t", x.target, "q")
	x.waitFor("quit", "top exited with 0")
}

func lineOf(pane, s string) string {
	for _, l := range strings.Split(pane, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
