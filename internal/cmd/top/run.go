package top

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/tui"
)

// Run builds the Source the flags ask for and shows its snapshots: the screen on a terminal,
// printed snapshots otherwise.
func Run(ctx context.Context, o *Options) error {
	src, err := o.source()
	if err != nil {
		return cannot(err)
	}
	if o.Record != "" {
		rec, err := fleet.CreateRecording(o.Record)
		if err != nil {
			return cannot(err)
		}
		defer rec.Close()
		src = fleet.Tee(src, rec, func(err error) { fmt.Fprintf(o.IO.ErrOut, "igwctl top: %v; recording stopped\n", err) })
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	snaps := src.Run(ctx)
	if o.interactive() {
		return o.screen(ctx, src, snaps)
	}
	return o.print(ctx, snaps)
}

// interactive says whether a person watches: stdout is a terminal and nothing asked for
// printed output.
func (o *Options) interactive() bool {
	return o.IO.Terminal.TTY && !o.Once && !o.Watch && o.Output == cmdutil.Text
}

// source is the Source the flags ask for.
func (o *Options) source() (fleet.Source, error) {
	if o.NewSource != nil {
		return o.NewSource(o)
	}
	if o.Replay != "" {
		return fleet.OpenReplay(o.Replay)
	}
	cfg, err := o.Kube.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	if o.Fleet.Namespace == "" && !o.Fleet.AllNamespaces {
		if o.Fleet.Namespace, err = o.Kube.Namespace(); err != nil {
			return nil, err
		}
	}
	if o.Prometheus != "" {
		return newPrometheus(o.Prometheus, cfg, o.Fleet)
	}
	return newLive(cfg, o.Fleet)
}

// screen runs the TUI until q or Ctrl-C.
func (o *Options) screen(ctx context.Context, src fleet.Source, snaps <-chan fleet.Snapshot) error {
	w, h := o.IO.Terminal.Width, 24
	m := tui.New(tui.Options{Snapshots: snaps, Source: src, Interval: o.Fleet.Interval, Replay: o.Replay != "", Width: w, Height: h})
	// The program gets the command's context, so Ctrl-C, which RunE turns into a cancelled
	// context, ends it like q does.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(o.IO.In), tea.WithOutput(o.IO.Out))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// print writes one snapshot (--once, or stdout not a terminal), or every one (--watch), as
// text, JSON or YAML.
func (o *Options) print(ctx context.Context, snaps <-chan fleet.Snapshot) error {
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	select {
	case s, ok := <-snaps:
		if !ok {
			return cannot(fmt.Errorf("the source stopped before its first snapshot"))
		}
		if !o.Watch {
			return o.write(o.settle(ctx, snaps, s), true)
		}
		if err := o.write(s, false); err != nil {
			return err
		}
	case <-timer.C:
		return cannot(fmt.Errorf("no snapshot within %s (--timeout); is the cluster reachable?", o.Timeout))
	case <-ctx.Done():
		return nil
	}
	if !o.Watch {
		return nil
	}
	for {
		select {
		case s, ok := <-snaps:
			if !ok {
				return nil
			}
			if err := o.write(s, false); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// settle waits up to two intervals for a second snapshot when the first has no rates yet (they
// need two samples), so a one-off table shows requests and tokens per second as top users
// expect; a source that ends or is slow leaves the first.
func (o *Options) settle(ctx context.Context, snaps <-chan fleet.Snapshot, s fleet.Snapshot) fleet.Snapshot {
	if !waitsForRates(s) {
		return s
	}
	timer := time.NewTimer(2 * o.Fleet.Interval)
	defer timer.Stop()
	select {
	case next, ok := <-snaps:
		if ok {
			return next
		}
	case <-timer.C:
	case <-ctx.Done():
	}
	return s
}

// waitsForRates says a snapshot has pods with samples but no rate yet.
func waitsForRates(s fleet.Snapshot) bool {
	for _, p := range s.Pools {
		for _, pod := range p.Pods {
			if pod.Sample != nil && pod.Rates.Requests == nil && pod.Rates.GenerationTokens == nil && pod.Rates.PromptTokens == nil {
				return true
			}
		}
	}
	return false
}

// write prints one snapshot; only the single snapshot of --once is indented, so --watch -o json
// gives one object a line.
func (o *Options) write(s fleet.Snapshot, single bool) error {
	if single {
		fmt.Fprintln(o.IO.ErrOut, summary(s))
		return cmdutil.Print(o.IO.Out, o.Output, output{s})
	}
	return writeStream(o.IO.Out, o.Output, s)
}
