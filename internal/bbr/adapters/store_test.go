package adapters

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestParseConfigMapData(t *testing.T) {
	cases := []struct {
		name    string
		data    map[string]string
		want    Entry
		wantErr string
	}{
		{"upstream example", map[string]string{"baseModel": " qwen ", "adapters": "- sql-lora-sheddable\n- foo\n- 1\n- 12345678\n- ' '\n"},
			Entry{BaseModel: "qwen", Adapters: []string{"sql-lora-sheddable", "foo", "1", "12345678"}}, ""},
		{"flow list", map[string]string{"baseModel": "b", "adapters": "[a1, a2]"}, Entry{BaseModel: "b", Adapters: []string{"a1", "a2"}}, ""},
		{"no adapters", map[string]string{"baseModel": "b"}, Entry{BaseModel: "b"}, ""},
		{"no base", map[string]string{"adapters": "- a"}, Entry{}, "baseModel is missing"},
		{"blank base", map[string]string{"baseModel": "  "}, Entry{}, "baseModel is missing"},
		{"bad yaml", map[string]string{"baseModel": "b", "adapters": "["}, Entry{}, "YAML list"},
		{"not a list", map[string]string{"baseModel": "b", "adapters": "a: 1"}, Entry{}, "YAML list"},
		{"nested", map[string]string{"baseModel": "b", "adapters": "- [x]"}, Entry{}, "must be a name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfigMapData(c.data)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got.BaseModel != c.want.BaseModel || strings.Join(got.Adapters, ",") != strings.Join(c.want.Adapters, ",") {
				t.Fatalf("got %+v %v, want %+v", got, err, c.want)
			}
		})
	}
}

func TestStoreMergesAndForgets(t *testing.T) {
	s := NewStore(quiet(), nil)
	s.Set("cm:a", []Entry{{BaseModel: "llama", Adapters: []string{"x", "y"}}})
	s.Set("cm:b", []Entry{{BaseModel: "llama", Adapters: []string{"z"}}, {BaseModel: "qwen", Adapters: []string{"x"}}})
	snap := s.Snapshot()
	for model, want := range map[string]string{"x": "llama", "y": "llama", "z": "llama", "llama": "llama", "qwen": "qwen"} {
		if got, _ := snap.BaseOf(model); got != want {
			t.Fatalf("BaseOf(%s) = %q, want %q", model, got, want)
		}
	}
	if len(snap.Conflicts) != 1 || snap.Conflicts[0] != "x" {
		t.Fatalf("conflict on x not reported: %v", snap.Conflicts)
	}
	s.Delete("cm:a")
	snap2 := s.Snapshot()
	if got, _ := snap2.BaseOf("x"); got != "qwen" {
		t.Fatalf("after delete x = %q, want qwen", got)
	}
	if _, ok := snap2.BaseOf("y"); ok {
		t.Fatal("y survived the delete of its only source")
	}
	if got, _ := snap.BaseOf("y"); got != "llama" {
		t.Fatal("an old snapshot changed under a reader")
	}
	// A base model is never shadowed by an adapter of the same name.
	s.Set("cm:c", []Entry{{BaseModel: "other", Adapters: []string{"qwen"}}})
	if got, _ := s.Snapshot().BaseOf("qwen"); got != "qwen" {
		t.Fatalf("adapter shadowed base model: %q", got)
	}
}

func TestStoreConcurrentReaders(t *testing.T) {
	s := NewStore(quiet(), nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					if b, ok := s.Snapshot().BaseOf("a"); ok && b != "base" {
						t.Errorf("torn read: %q", b)
						return
					}
				}
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			s.Set("k", []Entry{{BaseModel: "base", Adapters: []string{"a"}}})
		} else {
			s.Delete("k")
		}
	}
	close(stop)
	wg.Wait()
}

// A poll that lands between the truncate and the write of an in-place edit
// must not install the empty or half-written content.
func TestSettleIgnoresTornWrites(t *testing.T) {
	full := []byte("- baseModel: a\n  adapters: [x]\n")
	w := settle{last: []byte("- baseModel: old\n")}
	steps := []struct {
		raw  []byte
		err  error
		want bool
	}{
		{[]byte{}, nil, false},           // truncated
		{full[:16], nil, false},          // half written, parses as a list
		{full, nil, false},               // complete, not yet stable
		{full, nil, true},                // same twice: apply
		{full, nil, false},               // applied, nothing new
		{nil, io.ErrUnexpectedEOF, true}, // read errors are reported at once
		{nil, io.ErrUnexpectedEOF, true}, // and keep being reported
		{full, nil, false},               // back: wait for it to settle
		{full, nil, true},
	}
	for i, s := range steps {
		if got := w.observe(s.raw, s.err); got != s.want {
			t.Fatalf("step %d (%q, %v): observe = %v, want %v", i, s.raw, s.err, got, s.want)
		}
	}
}
