package diagnose

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Every Code constant in codes*.go is IGW and four digits, and no two share a value: a copied
// line with a forgotten renumbering would give two problems one code.
func TestCodesUniqueAndWellFormed(t *testing.T) {
	files, err := filepath.Glob("codes*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	form := regexp.MustCompile(`^IGW\d{4}$`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkCodes(t, file, form, seen)
	}
	if len(seen) < 20 {
		t.Errorf("found %d codes; the parse missed some", len(seen))
	}
}

func checkCodes(t *testing.T, file *ast.File, form *regexp.Regexp, seen map[string]string) {
	t.Helper()
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				value, _ := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if !form.MatchString(value) {
					t.Errorf("%s = %q: want IGW and four digits", name, value)
				}
				if other, dup := seen[value]; dup {
					t.Errorf("%s and %s are both %s", other, name, value)
				}
				seen[value] = name.Name
			}
		}
	}
}

func TestFindingText(t *testing.T) {
	f := Finding{Code: GatewayClassMissing, Severity: Error, Object: Object{Kind: "GatewayClass", Name: "gke-l7-rilb"},
		Message: "not present", Fix: "enable the Gateway API"}
	if got, want := f.String(), "Error [IGW0102] (GatewayClass gke-l7-rilb) not present; fix: enable the Gateway API"; got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	f = Finding{Code: CRDObjectsExist, Severity: Warning, Object: Object{Kind: "InferencePool", Namespace: "llm", Name: "p"}, Message: "m"}
	if got, want := f.String(), "Warning [IGW0206] (InferencePool llm/p) m"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	f.Source = "pools.yaml, document 2"
	if got, want := f.String(), "Warning [IGW0206] (InferencePool llm/p in pools.yaml, document 2) m"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Finding{Code: BadValues, Severity: Error, Message: "m"}).String(); got != "Error [IGW0305] m" {
		t.Errorf("without object: %q", got)
	}
}

func TestFindingsSortAndPrint(t *testing.T) {
	fs := Findings{
		{Code: "IGW0102", Severity: Info, Message: "c"},
		{Code: "IGW0201", Severity: Error, Object: Object{Kind: "K", Name: "b"}, Message: "b"},
		{Code: "IGW0201", Severity: Error, Object: Object{Kind: "K", Name: "a"}, Message: "a"},
		{Code: "IGW0101", Severity: Warning, Message: "w"},
	}
	fs.Sort()
	var b strings.Builder
	if err := fs.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "Error [IGW0201] (K a) a\nError [IGW0201] (K b) b\nWarning [IGW0101] w\nInfo [IGW0102] c\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	if !fs.Has(Warning) || !fs[2:].Has(Warning) || fs[3:].Has(Warning) || !fs[3:].Has(Info) {
		t.Error("Has")
	}
	b.Reset()
	Findings(nil).WriteText(&b)
	if b.String() != "no problems found\n" {
		t.Errorf("empty: %q", b.String())
	}
}

// The JSON field names are part of -o json: a rename breaks scripts.
func TestFindingJSON(t *testing.T) {
	data, err := json.Marshal(Finding{Code: BadValues, Severity: Error, Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != `{"code":"IGW0305","severity":"Error","message":"m"}` {
		t.Errorf("no object, no fix: %s", got)
	}
	data, _ = json.Marshal(Finding{Code: BadValues, Severity: Error, Object: Object{Kind: "K", Namespace: "n", Name: "x"}, Message: "m", Fix: "f"})
	if got := string(data); got != `{"code":"IGW0305","severity":"Error","object":{"kind":"K","namespace":"n","name":"x"},"message":"m","fix":"f"}` {
		t.Errorf("full: %s", got)
	}
}

// poolsWithoutPicker stands in for the analyzers to come: it reads only the snapshot.
type poolsWithoutPicker struct{}

func (poolsWithoutPicker) Name() string { return "test.pools" }

func (poolsWithoutPicker) Analyze(s *Snapshot) []Finding {
	var out []Finding
	for _, p := range s.OfKind(schema.GroupKind{Group: "inference.networking.k8s.io", Kind: "InferencePool"}) {
		if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "endpointPickerRef"); !ok {
			out = append(out, Finding{Code: "IGW9999", Severity: Warning, Object: Object{Kind: "InferencePool", Namespace: p.GetNamespace(), Name: p.GetName()}, Message: "no endpoint picker"})
		}
	}
	return out
}

func TestAnalyze(t *testing.T) {
	obj := func(apiVersion, kind, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": "llm"}, "spec": spec}}
	}
	s := &Snapshot{Objects: []*unstructured.Unstructured{
		obj("inference.networking.k8s.io/v1", "InferencePool", "b", map[string]any{}),
		obj("inference.networking.k8s.io/v1", "InferencePool", "ok", map[string]any{"endpointPickerRef": map[string]any{"name": "epp"}}),
		obj("inference.networking.x-k8s.io/v1alpha2", "InferencePool", "alpha", map[string]any{}),
		obj("inference.networking.k8s.io/v1", "InferencePool", "a", map[string]any{}),
	}}
	got := Analyze(s, poolsWithoutPicker{})
	if len(got) != 2 || got[0].Object.Name != "a" || got[1].Object.Name != "b" {
		t.Errorf("findings = %v", got)
	}
}
