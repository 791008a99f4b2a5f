package fleet

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// recording writes snaps as a Recorder does.
func recording(t *testing.T, snaps ...Snapshot) *bytes.Reader {
	t.Helper()
	var b bytes.Buffer
	rec := NewRecorder(&b)
	for _, s := range snaps {
		if err := rec.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.NewReader(b.Bytes())
}

// spaced returns n fixture snapshots gap apart.
func spaced(n int, gap time.Duration) []Snapshot {
	var out []Snapshot
	for i := range n {
		s := fixture(i)
		s.Time = fixtureStart.Add(time.Duration(i) * gap)
		s.Interval = Duration(gap)
		out = append(out, s)
	}
	return out
}

// A replay plays every snapshot at the recorded pace, says it is a replay of which file and
// what was recorded, and closes after the last.
func TestReplayPace(t *testing.T) {
	r, err := NewReplay(recording(t, spaced(4, 60*time.Millisecond)...), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var got []Snapshot
	for s := range r.Run(context.Background()) {
		got = append(got, s)
	}
	took := time.Since(start)
	if len(got) != 4 || took < 180*time.Millisecond || took > 2*time.Second {
		t.Errorf("%d snapshots in %v, want 4 in 180ms", len(got), took)
	}
	if s := got[0]; s.Source != "replay" || s.Scope != "rec.jsonl (namespace llm, pod-proxy)" {
		t.Errorf("source %q, scope %q", s.Source, s.Scope)
	}
	if !got[3].Time.Equal(fixtureStart.Add(180 * time.Millisecond)) {
		t.Errorf("times are changed: %v", got[3].Time)
	}
	r.SetInterval(time.Hour) // ignored, nothing to check but that it does not block
}

// A gap much longer than the interval (a paused recording) plays as one interval.
func TestReplayShortensLongGaps(t *testing.T) {
	snaps := spaced(2, 20*time.Millisecond)
	snaps[1].Time = snaps[0].Time.Add(time.Hour)
	r, err := NewReplay(recording(t, snaps...), "gap.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	for range r.Run(ctx) {
		n++
	}
	if n != 2 || ctx.Err() != nil {
		t.Errorf("%d snapshots, %v", n, ctx.Err())
	}
}

// Paused, a replay sends nothing; resumed, it goes on where it was.
func TestReplayPause(t *testing.T) {
	r, err := NewReplay(recording(t, spaced(3, 50*time.Millisecond)...), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ch := r.Run(context.Background())
	<-ch
	r.SetPaused(true)
	select {
	case s := <-ch:
		t.Fatalf("paused replay sent %v", s.Time)
	case <-time.After(300 * time.Millisecond):
	}
	r.SetPaused(false)
	n := 0
	for range ch {
		n++
	}
	if n != 2 {
		t.Errorf("after resuming: %d snapshots, want 2", n)
	}
}

// Cancelling the context stops playback and closes the channel.
func TestReplayCancel(t *testing.T) {
	r, err := NewReplay(recording(t, spaced(3, time.Hour/20)...), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := r.Run(ctx)
	<-ch
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("a snapshot after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Error("the channel stayed open")
	}
}

// A file that is not a recording is refused with its line and the cause.
func TestReplayRejects(t *testing.T) {
	good := recording(t, spaced(2, time.Second)...)
	lines := func() []string {
		good.Seek(0, 0)
		var b bytes.Buffer
		b.ReadFrom(good)
		return strings.Split(strings.TrimSpace(b.String()), "\n")
	}()
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "bad.jsonl: no snapshots; a recording is what igwctl top --record writes, one JSON object a line"},
		{"blank lines", "\n\n  \n", "bad.jsonl: no snapshots"},
		{"yaml", "time: 2026-05-04T10:00:00Z\npools: []\n", "bad.jsonl line 1: not a snapshot: a recording holds one JSON object a line"},
		{"broken json", lines[0] + "\n{\"time\": \n", "bad.jsonl line 2: not a snapshot: unexpected end of JSON input"},
		{"wrong type", `{"time":"2026-05-04T10:00:00Z","pools":{}}`, "bad.jsonl line 1: not a snapshot: json: cannot unmarshal object into Go struct field Snapshot.pools of type []fleet.Pool"},
		{"bad interval", `{"time":"2026-05-04T10:00:00Z","interval":"soon"}`, `bad.jsonl line 1: not a snapshot: time: invalid duration "soon"`},
		{"no time", `{"pools":[]}`, "bad.jsonl line 1: snapshot without a time"},
		{"out of order", lines[1] + "\n" + lines[0] + "\n", "bad.jsonl line 2: time 2026-05-04T10:00:00Z is before the previous line's 2026-05-04T10:00:01Z; lines must be in recorded order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReplay(strings.NewReader(tc.text), "bad.jsonl")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	if _, err := OpenReplay("testdata/no-such-file.jsonl"); err == nil || !strings.HasPrefix(err.Error(), "--replay: open testdata/no-such-file.jsonl") {
		t.Errorf("missing file: %v", err)
	}
}

// The last line of a file may lack its newline, as an editor may leave it.
func TestReplayLastLineWithoutNewline(t *testing.T) {
	b := recording(t, spaced(2, time.Second)...)
	var buf bytes.Buffer
	buf.ReadFrom(b)
	r, err := NewReplay(strings.NewReader(strings.TrimSuffix(buf.String(), "\n")), "x.jsonl")
	if err != nil || len(r.Snapshots()) != 2 {
		t.Fatalf("%v", err)
	}
}
