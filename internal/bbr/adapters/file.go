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
func (f *FileSource) Run(ctx context.Context, last []byte) {
	interval := f.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		raw, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(raw, last) {
			continue
		}
		var entries []Entry
		if err == nil {
			entries, err = parseFile(f.Path, raw)
		}
		if err != nil {
			f.Log.Error("adapter mapping file not reloaded; keeping the previous mapping", "path", f.Path, "err", err)
			if f.OnError != nil {
				f.OnError(err)
			}
			// Remember the bad content so the same error is not logged
			// every tick.
			last = raw
			continue
		}
		last = raw
		f.Store.Set(fileKey+f.Path, entries)
		f.Log.Info("adapter mapping file reloaded", "path", f.Path, "entries", len(entries))
		if f.OnLoad != nil {
			f.OnLoad()
		}
	}
}
