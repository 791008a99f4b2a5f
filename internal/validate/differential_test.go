package validate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

// The test bed serves the CRDs a default Validator checks against: the inference CRDs and
// Gateway API's standard channel, from the same embedded files.
func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../config/crd", "../../config/gateway-api/standard"))
}

const corpus = "../../testdata/validate"

// verdict is what the apiserver did with one object, in kubectl's terms.
type verdict struct {
	served bool
	// decode are the errors of strict decoding (400): `unknown field "spec.x"`.
	decode []string
	// invalid are the causes of a 422, as "field: message", or the message alone.
	invalid []string
}

// TestAgreesWithAPIServer creates every corpus object on a real kube-apiserver (a dry run, with
// fieldValidation=Strict as kubectl sends it) and holds validate to the answer: the same
// unknown fields, the same validation errors (field and message), nothing where the apiserver
// accepts, and "no such kind" exactly where the apiserver serves none. Each document's comment
// says which of these it is, and that is checked too.
func TestAgreesWithAPIServer(t *testing.T) {
	objs, err := manifest.Load(manifest.Options{Paths: []string{corpus}})
	if err != nil {
		t.Fatal(err)
	}
	expect := expectations(t)
	if len(objs) < 40 || len(expect) != len(objs) {
		t.Fatalf("%d objects, %d expectation comments; want at least 40 and one per document", len(objs), len(expect))
	}
	v, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := newAPIServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, obj := range objs {
		t.Run(fmt.Sprintf("%s#%d/%s", filepath.Base(obj.Source.File), obj.Source.Doc, obj.GetName()), func(t *testing.T) {
			got := api.create(ctx, t, obj)
			checkExpectation(t, expect[obj.Source], got)
			compare(t, obj, got, v.Check(ctx, obj))
		})
	}
}

func checkExpectation(t *testing.T, want string, got verdict) {
	t.Helper()
	var is string
	switch {
	case !got.served:
		is = "not served"
	case len(got.decode) > 0 || len(got.invalid) > 0:
		is = "rejected"
	default:
		is = "ok"
	}
	if is != want {
		t.Errorf("the document says %q, the apiserver did %q: %+v", want, is, got)
	}
}

// compare holds validate's problems to the apiserver's verdict.
func compare(t *testing.T, obj manifest.Object, got verdict, problems []Problem) {
	t.Helper()
	byStage := map[Stage][]string{}
	for _, p := range problems {
		byStage[p.Stage] = append(byStage[p.Stage], p.Message)
	}
	if !got.served {
		if len(byStage[StageKind]) == 0 {
			t.Errorf("the apiserver serves no %s; validate says nothing about it", obj.GroupVersionKind())
		}
		return
	}
	if isBuiltin(obj.GroupVersionKind().Group) {
		if len(problems) > 0 {
			t.Errorf("a built-in kind is not validate's to check; it said %v", problems)
		}
		return
	}
	if len(byStage[StageKind]) > 0 {
		t.Errorf("the apiserver serves %s; validate says %v", obj.GroupVersionKind(), byStage[StageKind])
	}
	sameMessages(t, "strict decoding", got.decode, byStage[StageDecode])
	sameMessages(t, "validation", got.invalid, byStage[StageValidate])
}

func sameMessages(t *testing.T, what string, apiserver, validate []string) {
	t.Helper()
	a, v := slices.Sorted(slices.Values(apiserver)), slices.Sorted(slices.Values(validate))
	if !slices.Equal(a, v) {
		t.Errorf("%s errors differ\napiserver:\n  %s\nvalidate:\n  %s", what, strings.Join(a, "\n  "), strings.Join(v, "\n  "))
	}
}

// apiServer sends objects to the test bed as kubectl would, without storing them.
type apiServer struct {
	rest   rest.Interface
	mapper meta.RESTMapper
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	cs, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &apiServer{rest: cs.CoreV1().RESTClient(), mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// create posts the document's JSON, the bytes kubectl would send, with dryRun=All. When strict
// decoding refuses it, the object is sent again with fieldValidation=Ignore to learn what
// validation says about the rest, which validate reports at the same time.
func (a *apiServer) create(ctx context.Context, t *testing.T, obj manifest.Object) verdict {
	t.Helper()
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return verdict{}
	}
	if err != nil {
		t.Fatalf("mapping %s: %v", gvk, err)
	}
	got := verdict{served: true}
	err = a.post(ctx, mapping, obj, "Strict")
	if msg, ok := strictErrors(err); ok {
		got.decode = msg
		err = a.post(ctx, mapping, obj, "Ignore")
	}
	var status apierrors.APIStatus
	switch {
	case err == nil:
	case apierrors.IsInvalid(err) && errors.As(err, &status):
		for _, c := range status.Status().Details.Causes {
			// An error about the whole object has no path; the apiserver spells that "<nil>",
			// which validate leaves out of its message.
			if c.Field == "" || c.Field == "<nil>" {
				got.invalid = append(got.invalid, c.Message)
			} else {
				got.invalid = append(got.invalid, c.Field+": "+c.Message)
			}
		}
	default:
		t.Fatalf("creating %s: %v", gvk, err)
	}
	return got
}

func (a *apiServer) post(ctx context.Context, m *meta.RESTMapping, obj manifest.Object, fieldValidation string) error {
	path := []string{"/apis", m.GroupVersionKind.Group, m.GroupVersionKind.Version}
	if m.GroupVersionKind.Group == "" {
		path = []string{"/api", m.GroupVersionKind.Version}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = defaultNamespace
		}
		path = append(path, "namespaces", ns)
	}
	path = append(path, m.Resource.Resource)
	return a.rest.Post().AbsPath(path...).Param("dryRun", "All").Param("fieldValidation", fieldValidation).
		SetHeader("Content-Type", "application/json").Body(obj.Raw).Do(ctx).Error()
}

// strictErrors splits the 400 of strict decoding into its errors:
// `... cannot be handled as a HTTPRoute: strict decoding error: unknown field "a", unknown field "b"`.
func strictErrors(err error) ([]string, bool) {
	if !apierrors.IsBadRequest(err) {
		return nil, false
	}
	_, list, ok := strings.Cut(err.Error(), "strict decoding error: ")
	if !ok {
		return nil, false
	}
	return strings.Split(list, ", "), true
}

// expectations reads the comment that opens each corpus document ("# ok:", "# rejected:",
// "# not served:"), by file and document number as manifest.Load counts them.
func expectations(t *testing.T) map[manifest.Source]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[manifest.Source]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for n := 0; ; {
			doc, err := docs.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			want, ok := expectation(doc)
			if !ok {
				continue
			}
			n++
			out[manifest.Source{File: f, Doc: n}] = want
		}
	}
	return out
}

// expectation is the verdict a document's first comment names; ok is false for a document
// without an object (only comments).
func expectation(doc []byte) (string, bool) {
	want, object := "", false
	for line := range bytes.Lines(doc) {
		l := strings.TrimSpace(string(line))
		switch {
		case l == "" || l == "---":
		case strings.HasPrefix(l, "#"):
			for _, w := range []string{"ok", "rejected", "not served"} {
				if want == "" && strings.HasPrefix(l, "# "+w+":") || want == "" && strings.HasPrefix(l, "# "+w+" (") {
					want = w
				}
			}
		default:
			object = true
		}
	}
	if object && want == "" {
		want = "(no comment)"
	}
	return want, object
}
