package helm

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValuesMergeOrder(t *testing.T) {
	base := map[string]any{
		"pilot":   map[string]any{"env": map[string]any{"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true", "A": "base"}},
		"keep":    "base",
		"replace": []any{"base"},
	}
	f1 := writeFile(t, "one.yaml", "pilot:\n  env:\n    A: file1\n    B: file1\nreplace: [file1]\nnum: 1\n")
	f2 := writeFile(t, "two.yaml", "pilot:\n  env:\n    B: file2\n")
	empty := writeFile(t, "empty.yaml", "# nothing\n")
	v := Values{
		Base:      base,
		Files:     []string{f1, f2, empty},
		Set:       []string{"pilot.env.C=set,num=2", "list[1]=x"},
		SetString: []string{"str=007"},
		Override:  map[string]any{"pilot": map[string]any{"env": map[string]any{"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "forced"}}},
	}
	got, err := v.Merge()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"pilot": map[string]any{"env": map[string]any{
			"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "forced", "A": "file1", "B": "file2", "C": "set",
		}},
		"keep":    "base",
		"replace": []any{"file1"},
		"num":     int64(2),
		"list":    []any{nil, "x"},
		"str":     "007",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge() =\n%#v\nwant\n%#v", got, want)
	}
	// The caller's maps are untouched.
	if env := base["pilot"].(map[string]any)["env"].(map[string]any); env["A"] != "base" || len(env) != 2 {
		t.Fatalf("Merge wrote into Base: %v", env)
	}
}

func TestValuesErrors(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "provider:\n  name: istio\n   extra: [1\n")
	list := writeFile(t, "list.yaml", "- a\n- b\n")
	tabs := writeFile(t, "tabs.yaml", "a:\n\tb: 1\n")
	for _, tc := range []struct {
		name      string
		values    Values
		fragments []string
	}{
		{"bad YAML", Values{Files: []string{bad}}, []string{bad, "line 3"}},
		{"tabs", Values{Files: []string{tabs}}, []string{tabs, "line 2"}},
		{"not a map", Values{Files: []string{list}}, []string{list, "list at the top level"}},
		{"missing file", Values{Files: []string{"/nonexistent/values.yaml"}}, []string{"/nonexistent/values.yaml", "does not exist"}},
		{"bad --set", Values{Set: []string{"a.b"}}, []string{`--set "a.b"`, "key=value"}},
		{"bad --set-string", Values{SetString: []string{"x[=1"}}, []string{`--set-string "x[=1"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.values.Merge()
			wantError(t, err, ErrBadValues, tc.fragments...)
			t.Log(err)
		})
	}
}

func TestValuesPath(t *testing.T) {
	v := map[string]any{"a": map[string]any{"b": map[string]any{"c": true}}}
	if got, ok := ValuesPath(v, "a.b.c"); !ok || got != true {
		t.Fatalf("a.b.c = %v, %v", got, ok)
	}
	if _, ok := ValuesPath(v, "a.x.c"); ok {
		t.Fatal("a.x.c found")
	}
	if _, ok := ValuesPath(v, "a.b.c.d"); ok {
		t.Fatal("a.b.c.d found")
	}
}
