package adapters

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"sigs.k8s.io/yaml"
)

// parseFile reads a mapping file: a YAML list of {baseModel, adapters}.
func parseFile(path string, raw []byte) ([]Entry, error) {
	var entries []Entry
	if err := yaml.UnmarshalStrict(raw, &entries); err != nil {
		return nil, fmt.Errorf("%s: want a YAML list of {baseModel: NAME, adapters: [NAME, ...]}: %v", path, err)
	}
	for i := range entries {
		e := &entries[i]
		if e.BaseModel == "" {
			return nil, fmt.Errorf("%s: entry %d has no baseModel", path, i)
		}
		for j, a := range e.Adapters {
			if a == "" {
				return nil, fmt.Errorf("%s: entry %d (%s): adapters[%d] is empty", path, i, e.BaseModel, j)
			}
		}
	}
	return entries, nil
}

// FileSource keeps a store in step with a mapping file. Kubernetes updates a
// mounted ConfigMap by swapping a symlink, which inotify on the file itself
// misses, so the file is re-read when its content changes on a short poll.
type FileSource struct {
	Path     string
	Store    *Store
	Log      *slog.Logger
	Interval time.Duration
	// OnError reports a reload that failed; the previous mapping stays.
	OnError func(error)
	// OnLoad reports a successful load.
	OnLoad func()
}

const fileKey = "file:"

// Load reads the file once; bbr refuses to start when this fails.
func (f *FileSource) Load() ([]byte, error) {
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading adapter mapping file: %w", err)
	}
	entries, err := parseFile(f.Path, raw)
	if err != nil {
		return nil, err
	}
	f.Store.Set(fileKey+f.Path, entries)
	if f.OnLoad != nil {
		f.OnLoad()
	}
	return raw, nil
}

// Run re-reads the file until ctx ends. last is what Load returned.
//
// An editor or `cp` rewrites a file in place: truncate, then write. A poll
// that lands in between sees an empty or half-written file, which may still
// parse (an empty list, the first entry alone) and would silently drop
// mappings. So a change is applied only once two consecutive polls read the
// same bytes; the atomic symlink swap kubelet does passes on the next poll.
func (f *FileSource) Run(ctx context.Context, last []byte) {
	interval := f.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	w := settle{last: last}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		raw, err := os.ReadFile(f.Path)
		if w.observe(raw, err) {
			f.apply(raw, err)
		}
	}
}

// settle decides, poll by poll, when a file's content has changed and
// stopped changing.
type settle struct {
	last, pending []byte
	seen          bool
}

// observe takes one read and says whether to act on it now.
func (w *settle) observe(raw []byte, err error) bool {
	switch {
	case err == nil && bytes.Equal(raw, w.last):
		w.seen = false
		return false
	case err == nil && (!w.seen || !bytes.Equal(raw, w.pending)):
		w.pending, w.seen = raw, true
		return false
	}
	w.seen, w.last = false, raw
	return true
}

// apply installs a stable new content, or reports why it cannot.
func (f *FileSource) apply(raw []byte, err error) {
	var entries []Entry
	if err == nil {
		entries, err = parseFile(f.Path, raw)
	}
	if err != nil {
		f.Log.Error("adapter mapping file not reloaded; keeping the previous mapping", "path", f.Path, "err", err)
		if f.OnError != nil {
			f.OnError(err)
		}
		return
	}
	f.Store.Set(fileKey+f.Path, entries)
	f.Log.Info("adapter mapping file reloaded", "path", f.Path, "entries", len(entries))
	if f.OnLoad != nil {
		f.OnLoad()
	}
}
