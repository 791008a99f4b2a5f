package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxGapIntervals bounds a pause between two recorded refreshes: a longer gap means the
// recording was paused (or the laptop slept), and replaying minutes of nothing helps nobody.
const maxGapIntervals = 10

// Replay plays a recording back at its recorded pace: the wait before each snapshot is the
// time between it and the one before, as recorded. SetInterval is ignored (the pace is the
// recording's); SetPaused holds playback where it is.
type Replay struct {
	name  string
	snaps []Snapshot

	mu     sync.Mutex
	paused bool
	// wake tells a waiting Run that paused changed.
	wake chan struct{}
}

// OpenReplay reads the recording at path.
func OpenReplay(path string) (*Replay, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--replay: %w", err)
	}
	defer f.Close()
	return NewReplay(f, filepath.Base(path))
}

// NewReplay reads a whole recording from r (JSON lines, as a Recorder writes them); name says
// where it came from in errors and in each snapshot's Scope. A file that is not a recording is
// refused with the line and the cause, before anything is shown.
func NewReplay(r io.Reader, name string) (*Replay, error) {
	br := bufio.NewReader(r)
	var snaps []Snapshot
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s line %d: %w", name, n, err)
		}
		if text := bytes.TrimSpace(line); len(text) > 0 {
			s, perr := parseLine(text)
			if perr == nil && len(snaps) > 0 && s.Time.Before(snaps[len(snaps)-1].Time) {
				perr = fmt.Errorf("time %s is before the previous line's %s; lines must be in recorded order",
					s.Time.Format(time.RFC3339Nano), snaps[len(snaps)-1].Time.Format(time.RFC3339Nano))
			}
			if perr != nil {
				return nil, fmt.Errorf("%s line %d: %w", name, n, perr)
			}
			snaps = append(snaps, s)
		}
		if err != nil {
			break
		}
	}
	if len(snaps) == 0 {
		return nil, fmt.Errorf("%s: no snapshots; a recording is what igwctl top --record writes, one JSON object a line", name)
	}
	return &Replay{name: name, snaps: snaps, wake: make(chan struct{}, 1)}, nil
}

func parseLine(text []byte) (Snapshot, error) {
	var s Snapshot
	if text[0] != '{' {
		return s, fmt.Errorf("not a snapshot: a recording holds one JSON object a line")
	}
	if err := json.Unmarshal(text, &s); err != nil {
		return s, fmt.Errorf("not a snapshot: %w", err)
	}
	if s.Time.IsZero() {
		return s, fmt.Errorf("snapshot without a time")
	}
	return s, nil
}

// Snapshots returns the recording's snapshots, unchanged, for --once and tests.
func (r *Replay) Snapshots() []Snapshot { return r.snaps }

// Run plays the recording from its start and closes the channel after the last snapshot. It
// waits for the reader instead of dropping snapshots: a replay exists to show every one.
func (r *Replay) Run(ctx context.Context) <-chan Snapshot {
	out := make(chan Snapshot)
	go func() {
		defer close(out)
		for i, s := range r.snaps {
			if i > 0 && !r.wait(ctx, r.gap(i)) {
				return
			}
			s.Scope = r.scope(s)
			s.Source = "replay"
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// scope says what is replayed and what the recording watched, so a screen shows both.
func (r *Replay) scope(s Snapshot) string {
	if s.Scope == "" {
		return r.name
	}
	return fmt.Sprintf("%s (%s, %s)", r.name, s.Scope, s.Source)
}

// gap is how long to wait before snapshot i.
func (r *Replay) gap(i int) time.Duration {
	d := r.snaps[i].Time.Sub(r.snaps[i-1].Time)
	if iv := time.Duration(r.snaps[i].Interval); iv > 0 && d > maxGapIntervals*iv {
		return iv
	}
	return d
}

// wait sleeps for d of unpaused time; false when ctx ended first.
func (r *Replay) wait(ctx context.Context, d time.Duration) bool {
	for {
		r.mu.Lock()
		paused := r.paused
		r.mu.Unlock()
		if paused {
			select {
			case <-r.wake:
				continue
			case <-ctx.Done():
				return false
			}
		}
		if d <= 0 {
			return true
		}
		start := time.Now()
		t := time.NewTimer(d)
		select {
		case <-t.C:
			return true
		case <-r.wake:
			t.Stop()
			d -= time.Since(start)
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// SetInterval is ignored: a replay plays at its recorded pace.
func (r *Replay) SetInterval(time.Duration) {}

// SetPaused holds or resumes playback; the wait in progress resumes with what was left of it.
func (r *Replay) SetPaused(p bool) {
	r.mu.Lock()
	r.paused = p
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
