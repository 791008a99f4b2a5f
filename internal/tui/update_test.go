package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// podOrder is the pod names of the table, top to bottom, without the common prefix.
func podOrder(m Model) string {
	var names []string
	for _, p := range m.rows() {
		names = append(names, p.Name[strings.LastIndex(p.Name, "-")+1:])
	}
	return strings.Join(names, " ")
}

// s cycles the sort column, each numeric one fullest first; S reverses; the header marks it.
func TestSort(t *testing.T) {
	m := model(t, 160, 48)
	if got := podOrder(m); got != "2xkqp 8hz4m fw7tn q9d2l" {
		t.Errorf("by name: %s", got)
	}
	m = send(m, keys("s")...)
	if got := podOrder(m); got != "fw7tn 8hz4m 2xkqp q9d2l" {
		t.Errorf("by KV cache: %s", got)
	}
	if h := lineWith(frame(m), "POD "); !strings.Contains(h, "KV%▼") {
		t.Errorf("header does not mark KV%%: %q", h)
	}
	m = send(m, keys("S")...)
	if got := podOrder(m); got != "q9d2l 2xkqp 8hz4m fw7tn" {
		t.Errorf("by KV cache, reversed: %s", got)
	}
	if h := lineWith(frame(m), "POD "); !strings.Contains(h, "KV%▲") {
		t.Errorf("header does not mark KV%% reversed: %q", h)
	}
	m = send(m, keys("s")...) // waiting, fullest first again
	if got := podOrder(m); got != "fw7tn 8hz4m 2xkqp q9d2l" {
		t.Errorf("by waiting: %s", got)
	}
	for range len(sortKeys) - 2 {
		m = send(m, keys("s")...)
	}
	if m.sort != 0 {
		t.Errorf("s did not cycle back to name: %d", m.sort)
	}
}

// The selection stays on its pod when the order changes.
func TestSelectionFollowsPod(t *testing.T) {
	m := send(model(t, 160, 48), keys("j")...)
	if m.selected != "vllm-qwen-7c9f8d6b5-8hz4m" {
		t.Fatalf("selected %s", m.selected)
	}
	m = send(m, keys("s", "s")...) // by waiting: 8hz4m is second
	if m.selected != "vllm-qwen-7c9f8d6b5-8hz4m" || m.cursor != 1 {
		t.Errorf("after sorting: %s at %d", m.selected, m.cursor)
	}
	m = send(m, keys("S")...) // 8hz4m is third from the top
	if m.cursor != 2 {
		t.Errorf("after reversing: cursor %d", m.cursor)
	}
	m = send(m, keys("G")...)
	if m.cursor != 3 {
		t.Errorf("G: %d", m.cursor)
	}
	m = send(m, keys("g", "up", "k")...)
	if m.cursor != 0 {
		t.Errorf("g then up: %d", m.cursor)
	}
	m = send(m, keys("down", "down", "down", "down", "down")...)
	if m.cursor != 3 {
		t.Errorf("down past the end: %d", m.cursor)
	}
}

// / filters as it is typed, enter keeps the filter, esc clears it.
func TestFilter(t *testing.T) {
	m := send(model(t, 160, 48), keys("/", "f", "w")...)
	if !m.filtering || podOrder(m) != "fw7tn" || !strings.Contains(frame(m), "/fw█") {
		t.Errorf("typing /fw: %v %q", m.filtering, podOrder(m))
	}
	m = send(m, keys("backspace", "backspace", "b", "[")...)
	if got := podOrder(m); got != "" {
		t.Errorf("/b[, half a regular expression, is text no pod has: %s", got)
	}
	m = send(m, keys("1", "2", "]")...)
	if got := podOrder(m); got != "fw7tn q9d2l" {
		t.Errorf("/b[12], the nodes gpu-node-b1 and b2: %s", got)
	}
	m = send(m, keys("enter")...)
	if m.filtering || m.filter != "b[12]" || !strings.Contains(frame(m), "filter /b[12]/") {
		t.Errorf("after enter: %v %q", m.filtering, m.filter)
	}
	m = send(model(t, 160, 48), keys("/", "x", "y", "z", "enter")...)
	if !strings.Contains(frame(m), "no pod matches /xyz/") {
		t.Errorf("no match:\n%s", frame(m))
	}
	m = send(m, keys("esc")...)
	if m.filter != "" || podOrder(m) != "2xkqp 8hz4m fw7tn q9d2l" {
		t.Errorf("esc: %q %s", m.filter, podOrder(m))
	}
	m = send(m, keys("/", "a", "esc")...)
	if m.filtering || m.filter != "" {
		t.Errorf("esc while typing: %v %q", m.filtering, m.filter)
	}
}

// Enter opens the selected pod, j/k move to the next one there, esc goes back; ? toggles help
// over whichever screen is shown.
func TestDetailAndHelp(t *testing.T) {
	m := send(model(t, 160, 48), keys("G", "enter")...)
	f := frame(m)
	if m.screen != detailScreen || !strings.Contains(f, "vllm-qwen-7c9f8d6b5-q9d2l  pool llm/vllm-qwen") ||
		!strings.Contains(f, "4 missed, stale") || !strings.Contains(f, "context deadline exceeded") {
		t.Errorf("detail of the stale pod:\n%s", f)
	}
	m = send(m, keys("k")...)
	if !strings.Contains(frame(m), "vllm-qwen-7c9f8d6b5-fw7tn  pool") {
		t.Errorf("k in detail:\n%s", frame(m))
	}
	m = send(m, keys("?")...)
	if m.screen != helpScreen || !strings.Contains(frame(m), "Reading the screen") {
		t.Errorf("help:\n%s", frame(m))
	}
	m = send(m, keys("?")...)
	if m.screen != detailScreen {
		t.Errorf("? from help went to %d", m.screen)
	}
	m = send(m, keys("esc")...)
	if m.screen != poolScreen || m.selected != "vllm-qwen-7c9f8d6b5-fw7tn" {
		t.Errorf("esc: screen %d, selected %s", m.screen, m.selected)
	}
	m = send(m, keys("?", "esc")...)
	if m.screen != poolScreen {
		t.Errorf("esc from help went to %d", m.screen)
	}
}

// p cycles through the pools and starts each at its first pod.
func TestPoolSwitch(t *testing.T) {
	m := send(model(t, 160, 48), keys("j", "p")...)
	if p := m.currentPool(); p.Name != "sglang-llama" || m.cursor != 0 || m.selected != "sglang-llama-0" {
		t.Errorf("p: %s, cursor %d on %s", p.Name, m.cursor, m.selected)
	}
	if l := lineWith(frame(m), "sglang-llama (llm, alpha)"); l == "" {
		t.Errorf("no header for the second pool:\n%s", frame(m))
	}
	m = send(m, keys("p")...)
	if p := m.currentPool(); p.Name != "vllm-qwen" {
		t.Errorf("p twice: %s", p.Name)
	}
}

// Space pauses the Source and freezes the screen; + and - step the interval and tell the
// Source, within 100ms and 1m; a replay's pace does not change.
func TestPauseAndInterval(t *testing.T) {
	src := &fakeSource{}
	snaps := snapshots(t)
	m := New(Options{Source: src, Now: clock(t), Width: 160, Height: 48, Interval: time.Second})
	m = send(m, snapshotMsg{snaps[0]})
	m = send(m, keys("space")...)
	m = send(m, snapshotMsg{snaps[1]})
	if !m.snap.Time.Equal(snaps[0].Time) || !strings.Contains(frame(m), "PAUSED") {
		t.Errorf("paused screen moved to %v", m.snap.Time)
	}
	m = send(m, keys("space")...)
	m = send(m, snapshotMsg{snaps[2]})
	if !m.snap.Time.Equal(snaps[2].Time) || strings.Contains(frame(m), "PAUSED") {
		t.Errorf("resumed screen at %v", m.snap.Time)
	}
	if len(src.paused) != 2 || !src.paused[0] || src.paused[1] {
		t.Errorf("source paused %v", src.paused)
	}
	m = send(m, keys("+", "+", "-", "-", "-", "-", "-", "-")...)
	want := []time.Duration{2 * time.Second, 5 * time.Second, 2 * time.Second, time.Second, 500 * time.Millisecond,
		250 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if len(src.intervals) != len(want) {
		t.Fatalf("intervals %v", src.intervals)
	}
	for i := range want {
		if src.intervals[i] != want[i] {
			t.Errorf("intervals %v, want %v", src.intervals, want)
			break
		}
	}
	if f := frame(m); !strings.Contains(f, "every 100ms") || !strings.Contains(f, "interval 100ms from the next refresh") {
		t.Errorf("status line: %s", lineWith(f, "every"))
	}

	src = &fakeSource{}
	m = New(Options{Source: src, Now: clock(t), Width: 160, Height: 48, Replay: true})
	m = send(m, snapshotMsg{snaps[0]})
	m = send(m, keys("+")...)
	if len(src.intervals) != 0 || !strings.Contains(frame(m), "a replay plays at its recorded pace") {
		t.Errorf("replay: intervals %v\n%s", src.intervals, frame(m))
	}
	m = send(m, endedMsg{})
	if !strings.Contains(frame(m), "replay ended") {
		t.Errorf("ended replay:\n%s", lineWith(frame(m), "every"))
	}
}

// q and ctrl+c quit from every screen; q while typing a filter is part of the filter.
func TestQuit(t *testing.T) {
	quits := func(m Model, k string) bool {
		_, cmd := m.Update(keys(k)[0])
		if cmd == nil {
			return false
		}
		_, ok := cmd().(tea.QuitMsg)
		return ok
	}
	m := model(t, 80, 24)
	for _, mm := range []Model{m, send(m, keys("enter")...), send(m, keys("?")...)} {
		if !quits(mm, "q") || !quits(mm, "ctrl+c") {
			t.Errorf("screen %d does not quit", mm.screen)
		}
	}
	typing := send(m, keys("/")...)
	if quits(typing, "q") || !quits(typing, "ctrl+c") {
		t.Error("while filtering, q should type and ctrl+c quit")
	}
}

// A resize redraws at the new size, keeping the selected row on screen.
func TestResize(t *testing.T) {
	var pods []fleet.Pod
	base := snapshots(t)[0]
	for i := range 60 {
		p := base.Pools[0].Pods[i%4]
		p.Name = p.Name + "-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		pods = append(pods, p)
	}
	base.Pools[0].Pods = pods
	m := send(New(Options{Now: clock(t), Width: 160, Height: 48}), snapshotMsg{base})
	m = send(m, keys("G")...)
	for _, size := range [][2]int{{80, 24}, {60, 15}, {200, 60}} {
		m = send(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		f := frame(m)
		lines := strings.Split(f, "\n")
		if len(lines) != size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		if !strings.Contains(f, m.selected) || size[0] >= 80 && !strings.Contains(lineWith(f, "every"), "pod 60/60") {
			t.Errorf("%v: the selected last pod is off screen:\n%s", size, f)
		}
	}
}

// Before the first snapshot the screen says it is waiting; a snapshot without pools says so.
func TestEmptyStates(t *testing.T) {
	m := New(Options{Now: clock(t)})
	if f := frame(m); !strings.Contains(f, "waiting for the first snapshot") {
		t.Errorf("no snapshot:\n%s", f)
	}
	m = send(m, snapshotMsg{fleet.Snapshot{Scope: "namespace empty", Source: "pod-proxy"}})
	if f := frame(m); !strings.Contains(f, "no InferencePools in namespace empty") {
		t.Errorf("no pools:\n%s", f)
	}
	m = send(m, keys("j", "enter", "p", "s", "/")...)
	_ = frame(m)
}
