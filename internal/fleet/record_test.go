package fleet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A recording is one JSON line per snapshot, each on disk as soon as it is written: a
// recording cut short still replays up to its last refresh.
func TestRecorderFlushesEachLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	rec, err := CreateRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := rec.Write(fixture(i)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n != i+1 {
			t.Errorf("after %d writes the file has %d lines", i+1, n)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Snapshots(); len(got) != 3 || !got[2].Time.Equal(fixture(2).Time) || got[2].Pools[0].Pods[1].Name != fixture(2).Pools[0].Pods[1].Name {
		t.Errorf("read back %d snapshots: %+v", len(got), got)
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("no space left on device")
}

// A failed write fails every later one with the same error instead of writing half lines.
func TestRecorderStopsAtFirstError(t *testing.T) {
	w := &failingWriter{}
	rec := NewRecorder(w)
	err1 := rec.Write(fixture(0))
	err2 := rec.Write(fixture(1))
	if err1 == nil || err2 == nil || err1.Error() != "recording: no space left on device" || err2.Error() != err1.Error() || w.n != 1 {
		t.Errorf("errors %v, %v after %d writes", err1, err2, w.n)
	}
	if _, err := CreateRecording(filepath.Join(t.TempDir(), "no", "such", "dir", "r.jsonl")); err == nil || !strings.HasPrefix(err.Error(), "--record: ") {
		t.Errorf("recording into a missing directory: %v", err)
	}
}

// fakeSource hands out the snapshots it is given, then closes.
type fakeSource struct {
	snaps    []Snapshot
	interval time.Duration
	paused   bool
}

func (f *fakeSource) Run(ctx context.Context) <-chan Snapshot {
	ch := make(chan Snapshot)
	go func() {
		defer close(ch)
		for _, s := range f.snaps {
			select {
			case ch <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
func (f *fakeSource) SetInterval(d time.Duration) { f.interval = d }
func (f *fakeSource) SetPaused(p bool)            { f.paused = p }

// Tee records what passes through and passes controls on; a recording that fails is reported
// once and the snapshots keep coming.
func TestTee(t *testing.T) {
	src := &fakeSource{snaps: []Snapshot{fixture(0), fixture(1)}}
	var b bytes.Buffer
	tee := Tee(src, NewRecorder(&b), func(err error) { t.Error(err) })
	var n int
	for range tee.Run(context.Background()) {
		n++
	}
	tee.SetInterval(2 * time.Second)
	tee.SetPaused(true)
	if n != 2 || strings.Count(b.String(), "\n") != 2 || src.interval != 2*time.Second || !src.paused {
		t.Errorf("%d snapshots, recording %q, source %+v", n, b.String(), src)
	}

	var errs []error
	tee = Tee(src, NewRecorder(&failingWriter{}), func(err error) { errs = append(errs, err) })
	n = 0
	for range tee.Run(context.Background()) {
		n++
	}
	if n != 2 || len(errs) != 1 {
		t.Errorf("failing recording: %d snapshots, errors %v", n, errs)
	}
}
