package tui

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// The screen runs as a program over a replay: the first frame shows the pool, Enter the
// pod's detail, q quits.
func TestProgram(t *testing.T) {
	r, err := fleet.OpenReplay(recording)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(Options{Snapshots: r.Run(ctx), Source: r, Replay: true, Now: clock(t), Width: 120, Height: 30})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	shows := func(s string) func([]byte) bool {
		return func(b []byte) bool { return bytes.Contains([]byte(ansi.Strip(string(b))), []byte(s)) }
	}
	wait := []teatest.WaitForOption{teatest.WithDuration(5 * time.Second), teatest.WithCheckInterval(20 * time.Millisecond)}
	teatest.WaitFor(t, tm.Output(), shows("vllm-qwen-7c9f8d6b5-2xkqp"), wait...)
	tm.Send(keys("j")[0])
	tm.Send(keys("enter")[0])
	teatest.WaitFor(t, tm.Output(), shows("cache config"), wait...)
	tm.Send(keys("q")[0])
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if final.screen != detailScreen || final.selected != "vllm-qwen-7c9f8d6b5-8hz4m" || final.snap == nil {
		t.Errorf("final: screen %d, selected %s", final.screen, final.selected)
	}
}
