package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func names(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName()+"@"+o.Source.String())
	}
	return out
}

func TestLoadFilesDirsAndLists(t *testing.T) {
	objs, err := Load(Options{Paths: []string{"testdata/pool.yaml", "testdata/dir"}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"InferencePool/vllm-llama3-8b-instruct@testdata/pool.yaml, document 1",
		"HTTPRoute/llm-route@testdata/pool.yaml, document 2",
		"Service/epp@testdata/dir/list.json, document 1",
		"ConfigMap/adapters@testdata/dir/list.json, document 1",
		"InferenceObjective/food-review@testdata/dir/sub/objective.yml, document 1",
	}
	if got := names(objs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("loaded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Integral numbers are int64, as the apiserver decodes them, so CEL sees ints.
	port, _, _ := unstructuredInt(objs[0].Object, "spec", "endpointPickerRef", "port", "number")
	if port != 9002 {
		t.Fatalf("endpointPickerRef.port.number = %v (%T), want int64 9002", port, port)
	}
	if !strings.Contains(string(objs[0].Raw), `"targetPorts":[{"number":8000}]`) {
		t.Fatalf("raw JSON of the document: %s", objs[0].Raw)
	}
}

func unstructuredInt(m map[string]any, path ...string) (int64, bool, error) {
	var cur any = m
	for _, p := range path {
		cur = cur.(map[string]any)[p]
	}
	v, ok := cur.(int64)
	return v, ok, nil
}

func TestDirectoryWithoutRecursion(t *testing.T) {
	objs, err := Load(Options{Paths: []string{"testdata/dir"}})
	if err != nil || len(objs) != 2 {
		t.Fatalf("without -R: %v, %v; want the two List items of the top directory", names(objs), err)
	}
	_, err = Load(Options{Paths: []string{"testdata/dir/sub/.."}, Recursive: false})
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "nested", "a.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Options{Paths: []string{empty}}); err == nil || !strings.Contains(err.Error(), "add -R") {
		t.Fatalf("a directory whose objects are all in subdirectories: %v; want a hint to add -R", err)
	}
}

func TestStdin(t *testing.T) {
	objs, err := Load(Options{Paths: []string{Stdin}, Stdin: strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: inference\n")})
	if err != nil || len(objs) != 1 || objs[0].Source.String() != "-, document 1" {
		t.Fatalf("stdin: %v, %v", names(objs), err)
	}
}

func TestErrorsNameTheFileAndDocument(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"bad yaml", "apiVersion: v1\nkind: ConfigMap\n---\nmetadata: [unclosed\n", []string{"document 2", "not valid YAML"}},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", []string{"document 1", "no kind"}},
		{"no apiVersion", "kind: Pod\n", []string{"no apiVersion"}},
		{"a scalar", "just text\n", []string{"document 1", "not a YAML or JSON object"}},
		{"only comments", "# nothing here\n---\n", []string{"no Kubernetes objects found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.yaml")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(Options{Paths: []string{path}})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load(Options{Paths: []string{"testdata/nope.yaml"}}); err == nil || !strings.Contains(err.Error(), "-f testdata/nope.yaml: no such file") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Load(Options{}); err == nil || !strings.Contains(err.Error(), "-f FILE") {
		t.Fatalf("no paths: %v", err)
	}
}
