package pool

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Changes are what an upgrade changed, by object and by value.
type Changes struct {
	Added     []string `json:"added,omitempty"`
	Removed   []string `json:"removed,omitempty"`
	Changed   []string `json:"changed,omitempty"`
	Unchanged int      `json:"unchanged"`
	// Values are the given values that differ, "path: old → new".
	Values []string `json:"values,omitempty"`
}

// None reports whether the upgrade changed nothing.
func (c Changes) None() bool {
	return len(c.Added)+len(c.Removed)+len(c.Changed)+len(c.Values) == 0
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// objectsOf maps "Kind ns/name" to each object of a rendered manifest.
func objectsOf(manifest string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, doc := range docSep.Split(manifest, -1) {
		var m map[string]any
		if yaml.Unmarshal([]byte(doc), &m) != nil || m == nil || m["kind"] == nil {
			continue
		}
		md, _ := m["metadata"].(map[string]any)
		name := fmt.Sprintf("%v %v", m["kind"], md["name"])
		if ns, ok := md["namespace"]; ok {
			name = fmt.Sprintf("%v %v/%v", m["kind"], ns, md["name"])
		}
		out[name] = m
	}
	return out
}

// Diff compares two revisions of a release: their rendered manifests and the values given.
func Diff(oldManifest, newManifest string, oldValues, newValues map[string]any) Changes {
	var c Changes
	before, after := objectsOf(oldManifest), objectsOf(newManifest)
	for _, name := range slices.Sorted(maps.Keys(after)) {
		prev, ok := before[name]
		switch {
		case !ok:
			c.Added = append(c.Added, name)
		case !reflect.DeepEqual(prev, after[name]):
			c.Changed = append(c.Changed, name)
		default:
			c.Unchanged++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[name]; !ok {
			c.Removed = append(c.Removed, name)
		}
	}
	o, n := flatten("", oldValues), flatten("", newValues)
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	sorted := slices.Collect(maps.Keys(keys))
	sort.Strings(sorted)
	for _, k := range sorted {
		ov, ook := o[k]
		nv, nok := n[k]
		switch {
		case !ook:
			c.Values = append(c.Values, fmt.Sprintf("%s: (unset) → %s", k, nv))
		case !nok:
			c.Values = append(c.Values, fmt.Sprintf("%s: %s → (unset)", k, ov))
		case ov != nv:
			c.Values = append(c.Values, fmt.Sprintf("%s: %s → %s", k, ov, nv))
		}
	}
	return c
}

// flatten writes maps as dotted paths; lists and scalars are leaves, written as compact YAML.
func flatten(prefix string, v any) map[string]string {
	out := map[string]string{}
	m, ok := v.(map[string]any)
	if !ok {
		if prefix != "" {
			data, _ := yaml.Marshal(v)
			out[prefix] = strings.TrimSpace(strings.ReplaceAll(string(data), "\n", " "))
		}
		return out
	}
	for k, sub := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		maps.Copy(out, flatten(p, sub))
	}
	return out
}
