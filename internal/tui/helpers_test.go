package tui

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/goldenfile"
)

// updating reports whether -update was given: teatest's golden package defines the flag in
// this test binary, so it is looked up rather than defined twice.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// recording is the fixture igwctl top's tests share: two pools over 40 refreshes.
const recording = "../../testdata/top/fleet.jsonl"

func snapshots(t testing.TB) []fleet.Snapshot {
	t.Helper()
	r, err := fleet.OpenReplay(recording)
	if err != nil {
		t.Fatal(err)
	}
	return r.Snapshots()
}

// clock is a fixed clock, 200ms after the fixture's last refresh.
func clock(t testing.TB) func() time.Time {
	snaps := snapshots(t)
	at := snaps[len(snaps)-1].Time.Add(200 * time.Millisecond)
	return func() time.Time { return at }
}

// fakeSource records what the screen asks of it.
type fakeSource struct {
	intervals []time.Duration
	paused    []bool
}

func (f *fakeSource) Run(context.Context) <-chan fleet.Snapshot { return nil }
func (f *fakeSource) SetInterval(d time.Duration)               { f.intervals = append(f.intervals, d) }
func (f *fakeSource) SetPaused(p bool)                          { f.paused = append(f.paused, p) }

// model is a w×h screen showing the fixture's last snapshot at the fixed clock.
func model(t testing.TB, w, h int) Model {
	t.Helper()
	snaps := snapshots(t)
	m := New(Options{Now: clock(t), Width: w, Height: h})
	return send(m, snapshotMsg{snaps[len(snaps)-1]})
}

func send(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

// keys turns "j", "enter", "space", "ctrl+c" into key presses.
func keys(names ...string) []tea.Msg {
	var out []tea.Msg
	for _, n := range names {
		var k tea.KeyPressMsg
		switch n {
		case "enter":
			k = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			k = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "space":
			k = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "backspace":
			k = tea.KeyPressMsg{Code: tea.KeyBackspace}
		case "up":
			k = tea.KeyPressMsg{Code: tea.KeyUp}
		case "down":
			k = tea.KeyPressMsg{Code: tea.KeyDown}
		case "ctrl+c":
			k = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
		default:
			r := []rune(n)[0]
			k = tea.KeyPressMsg{Code: r, Text: n}
		}
		out = append(out, k)
	}
	return out
}

// frame is what the screen shows, without colour.
func frame(m Model) string { return ansi.Strip(m.Render()) }

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, updating())
}

// lineWith is the first line of frame containing s.
func lineWith(frame, s string) string {
	for _, l := range strings.Split(frame, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
