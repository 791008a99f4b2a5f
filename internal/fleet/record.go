package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// Recorder writes snapshots as JSON lines, one line per refresh, the format NewReplay reads.
// Each line is flushed as it is written, so a recording cut short by Ctrl-C or a crash still
// holds every refresh up to then: that is when people attach one to a bug report.
type Recorder struct {
	mu     sync.Mutex
	w      *bufio.Writer
	closer io.Closer
	err    error
}

// NewRecorder records to w; Close does not close w.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: bufio.NewWriter(w)} }

// CreateRecording creates (or truncates) the file at path and records to it; Close closes it.
func CreateRecording(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--record: %w", err)
	}
	r := NewRecorder(f)
	r.closer = f
	return r, nil
}

// Write appends s as one line and flushes it. After a failed write every later one fails with
// the same error, so a full disk is reported once, not as a half-written line.
func (r *Recorder) Write(s Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	b, err := json.Marshal(s)
	if err == nil {
		b = append(b, '\n')
		if _, err = r.w.Write(b); err == nil {
			err = r.w.Flush()
		}
	}
	if err != nil {
		r.err = fmt.Errorf("recording: %w", err)
	}
	return r.err
}

// Close flushes and closes the file CreateRecording opened.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.w.Flush()
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
		r.closer = nil
	}
	return err
}

// Tee returns a Source that passes src's snapshots on and records each one first; a failed
// write is reported to onErr once and recording stops, while the screen keeps running.
func Tee(src Source, rec *Recorder, onErr func(error)) Source {
	return &tee{Source: src, rec: rec, onErr: onErr}
}

type tee struct {
	Source
	rec   *Recorder
	onErr func(error)
}

func (t *tee) Run(ctx context.Context) <-chan Snapshot {
	in := t.Source.Run(ctx)
	out := make(chan Snapshot)
	go func() {
		defer close(out)
		failed := false
		for s := range in {
			if !failed {
				if err := t.rec.Write(s); err != nil {
					failed = true
					if t.onErr != nil {
						t.onErr(err)
					}
				}
			}
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
