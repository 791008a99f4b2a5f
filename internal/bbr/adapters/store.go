// Package adapters keeps the LoRA adapter → base model mapping that bbr uses
// to set the base-model header. Sources (labelled ConfigMaps, a file) write
// entries under their own keys; readers on the request path only load an
// immutable snapshot, so a reload never blocks or tears a lookup.
package adapters

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"sigs.k8s.io/yaml"
)

// Entry is one mapping document: a base model and the adapters served on it.
type Entry struct {
	BaseModel string   `json:"baseModel"`
	Adapters  []string `json:"adapters,omitempty"`
}

// Snapshot is an immutable view of every entry.
type Snapshot struct {
	baseOf map[string]string // adapter or base model → base model
	// Conflicts lists adapters that two sources map to different bases;
	// the entry from the source key that sorts first wins.
	Conflicts []string
	Adapters  int
	Bases     int
}

// BaseOf returns the base model for a model name: its base when it is a
// known adapter, itself when it is a known base model.
func (s *Snapshot) BaseOf(model string) (string, bool) {
	if s == nil {
		return "", false
	}
	b, ok := s.baseOf[model]
	return b, ok
}

// Store merges entries from every source into the current snapshot.
type Store struct {
	log     *slog.Logger
	mu      sync.Mutex
	sources map[string][]Entry
	cur     atomic.Pointer[Snapshot]
	onSwap  func(*Snapshot)
}

// NewStore returns an empty store. onSwap, if set, is called after every
// rebuild (for metrics).
func NewStore(log *slog.Logger, onSwap func(*Snapshot)) *Store {
	s := &Store{log: log, sources: map[string][]Entry{}, onSwap: onSwap}
	s.mu.Lock()
	s.rebuild()
	s.mu.Unlock()
	return s
}

// Snapshot returns the current mapping; it is safe to call concurrently
// with updates.
func (s *Store) Snapshot() *Snapshot { return s.cur.Load() }

// Set replaces what the source key contributes.
func (s *Store) Set(key string, entries []Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[key] = entries
	s.rebuild()
}

// Delete removes everything the source key contributed.
func (s *Store) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sources[key]; !ok {
		return
	}
	delete(s.sources, key)
	s.rebuild()
}

func (s *Store) rebuild() {
	keys := make([]string, 0, len(s.sources))
	for k := range s.sources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	snap := &Snapshot{baseOf: map[string]string{}}
	bases := map[string]bool{}
	for _, k := range keys {
		for _, e := range s.sources[k] {
			bases[e.BaseModel] = true
		}
	}
	// Bases first, so that an adapter can never shadow a base model.
	for b := range bases {
		snap.baseOf[b] = b
	}
	for _, k := range keys {
		for _, e := range s.sources[k] {
			for _, a := range e.Adapters {
				prev, ok := snap.baseOf[a]
				switch {
				case !ok:
					snap.baseOf[a] = e.BaseModel
					snap.Adapters++
				case prev != e.BaseModel:
					snap.Conflicts = append(snap.Conflicts, a)
					s.log.Warn("adapter mapped to two base models; keeping the first",
						"adapter", a, "kept", prev, "ignored", e.BaseModel, "source", k)
				}
			}
		}
	}
	snap.Bases = len(bases)
	s.cur.Store(snap)
	if s.onSwap != nil {
		s.onSwap(snap)
	}
}

// ParseConfigMapData reads the upstream ConfigMap format: data.baseModel (a
// string) and data.adapters (a YAML list; numbers become their text).
func ParseConfigMapData(data map[string]string) (Entry, error) {
	base := strings.TrimSpace(data["baseModel"])
	if base == "" {
		return Entry{}, fmt.Errorf("data.baseModel is missing or empty; set it to the base model name the adapters run on")
	}
	e := Entry{BaseModel: base}
	raw, ok := data["adapters"]
	if !ok || strings.TrimSpace(raw) == "" {
		return e, nil
	}
	var items []any
	useNumber := func(d *json.Decoder) *json.Decoder { d.UseNumber(); return d }
	if err := yaml.Unmarshal([]byte(raw), &items, useNumber); err != nil {
		return Entry{}, fmt.Errorf("data.adapters must be a YAML list of adapter names: %v", err)
	}
	for i, it := range items {
		var name string
		switch v := it.(type) {
		case string:
			name = v
		case json.Number, bool:
			name = fmt.Sprint(v)
		default:
			return Entry{}, fmt.Errorf("data.adapters[%d] must be a name, got %T", i, it)
		}
		if name = strings.TrimSpace(name); name != "" {
			e.Adapters = append(e.Adapters, name)
		}
	}
	return e, nil
}
