package convert

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	apiconvert "github.com/igw-dev/igw/api/convert"
	v1 "github.com/igw-dev/igw/api/v1"
	"github.com/igw-dev/igw/internal/manifest"
)

// The corpus is shared with the command's golden test: testdata/convert/<case>/in.* and, for a
// case that converts, out.*; args holds the case's flags.
const corpus = "../../testdata/convert"

type corpusCase struct {
	name    string
	in, out string // paths
	opts    Options
}

func corpusCases(t *testing.T) []corpusCase {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*"))
	var out []corpusCase
	for _, dir := range dirs {
		ins, _ := filepath.Glob(filepath.Join(dir, "in.*"))
		outs, _ := filepath.Glob(filepath.Join(dir, "out.*"))
		if len(ins) != 1 || len(outs) != 1 {
			continue
		}
		c := corpusCase{name: filepath.Base(dir), in: ins[0], out: outs[0]}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		f := strings.Fields(string(args))
		for i, a := range f {
			switch a {
			case "--objective-group":
				c.opts.ObjectiveGroup = ObjectiveGroup(f[i+1])
			case "--all-pool-refs":
				c.opts.AllPoolRefs = true
			}
		}
		out = append(out, c)
	}
	if len(out) < 8 {
		t.Fatalf("%d corpus cases with an output", len(out))
	}
	return out
}

func convertFile(t *testing.T, path string, o Options) (*Result, []byte) {
	t.Helper()
	in, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert([]File{{Name: filepath.Base(path), Data: in}}, o)
	if err != nil {
		t.Fatal(err)
	}
	return res, in
}

// What convert does not change comes out byte for byte: every document without a converted
// object, and the file itself when nothing in it changes.
func TestUnconvertedDocumentsKeepTheirBytes(t *testing.T) {
	for _, c := range corpusCases(t) {
		res, in := convertFile(t, c.in, c.opts)
		converted := map[int]bool{}
		for _, ob := range res.Objects {
			converted[ob.Source.Doc] = true
		}
		before, after := documents(in), documents(res.Files[0].Data)
		if len(before) != len(after) {
			t.Fatalf("%s: %d documents became %d", c.name, len(before), len(after))
		}
		for i := range before {
			if !converted[i+1] && before[i] != after[i] {
				t.Errorf("%s: document %d changed although nothing in it was converted:\n%s", c.name, i+1, after[i])
			}
		}
		if len(res.Objects) == 0 && string(res.Files[0].Data) != string(in) {
			t.Errorf("%s: nothing converted, yet the file changed", c.name)
		}
	}
}

// documents splits a YAML stream at its separator lines and keeps the documents that hold more
// than comments, as manifest counts them.
func documents(b []byte) []string {
	var out []string
	for _, d := range regexp.MustCompile(`(?m)^---.*\n`).Split(string(b), -1) {
		for _, line := range strings.Split(d, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// Every InferencePool that comes out decodes into the v1 Go type with no unknown field, keeps
// its v1 validation rules, has no legacy spelling left, and says what api/convert's struct
// conversion of the input says (the 9002 default included).
func TestConvertedPoolsAreV1(t *testing.T) {
	pools, compared := 0, 0
	for _, c := range corpusCases(t) {
		want := map[string]*v1.InferencePool{}
		for _, ob := range load(t, c.in) {
			if ob.GetKind() == "InferencePool" {
				// A v1 pool spelled the alpha way reads as what it would mean as an alpha pool;
				// one that mixes both spellings has no struct to compare with.
				asAlpha := strings.Replace(string(ob.Raw), `"`+v1.GroupVersion.String()+`"`, `"`+GroupX+`/v1alpha2"`, 1)
				p, _, err := apiconvert.DecodePool(ob.Raw)
				if err != nil {
					p, _, err = apiconvert.DecodePool([]byte(asAlpha))
				}
				if err == nil {
					want[ob.GetName()] = p
				}
			}
		}
		res, _ := convertFile(t, c.in, c.opts)
		out := filepath.Join(t.TempDir(), "out"+filepath.Ext(c.in))
		if err := os.WriteFile(out, res.Files[0].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ob := range load(t, out) {
			if ob.GetKind() != "InferencePool" {
				continue
			}
			pools++
			got, notes, err := apiconvert.DecodePool(ob.Raw)
			if err != nil || notes != nil || ob.GetAPIVersion() != v1.GroupVersion.String() {
				t.Errorf("%s: %s does not decode as a v1 InferencePool: %v %v", c.name, ob.GetName(), err, notes)
				continue
			}
			for _, p := range v1Problems(got) {
				t.Errorf("%s: %s: %s", c.name, ob.GetName(), p)
			}
			if l := LegacySpellings(ob.Unstructured); l != nil {
				t.Errorf("%s: %s still has legacy spellings: %+v", c.name, ob.GetName(), l)
			}
			w := want[ob.GetName()]
			if w == nil {
				continue
			}
			compared++
			if !reflect.DeepEqual(got.Spec, w.Spec) || got.Name != w.Name || got.Namespace != w.Namespace ||
				!reflect.DeepEqual(got.Labels, w.Labels) || !reflect.DeepEqual(got.Annotations, w.Annotations) {
				t.Errorf("%s: %s differs from api/convert's conversion:\n got %+v\nwant %+v", c.name, ob.GetName(), got, w)
			}
		}
	}
	t.Logf("%d pools, %d compared", pools, compared)
	if pools < 8 || compared < 6 {
		t.Fatalf("only %d pools in the corpus outputs, %d compared with api/convert", pools, compared)
	}
}

func load(t *testing.T, path string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Load(manifest.Options{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// The v1 CRD's validation that a struct cannot express: what the markers on api/v1's types and
// its two CEL rules say, for what convert writes (checked here without an API server; the
// validate package compares its own checks with a real one).
var (
	labelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$`)
	labelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	group      = regexp.MustCompile(`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	kind       = regexp.MustCompile(`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)
)

func v1Problems(p *v1.InferencePool) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ml := p.Spec.Selector.MatchLabels
	if len(ml) < 1 || len(ml) > 64 {
		bad("matchLabels has %d labels", len(ml))
	}
	for k, v := range ml {
		if !labelKey.MatchString(string(k)) || len(k) > 253 || !labelValue.MatchString(string(v)) || len(v) > 63 {
			bad("label %q=%q", k, v)
		}
	}
	seen := map[v1.PortNumber]bool{}
	if n := len(p.Spec.TargetPorts); n < 1 || n > 8 {
		bad("%d targetPorts", n)
	}
	for _, tp := range p.Spec.TargetPorts {
		if tp.Number < 1 || tp.Number > 65535 || seen[tp.Number] {
			bad("target port %d: out of range or not unique", tp.Number)
		}
		seen[tp.Number] = true
	}
	if a := p.Spec.AppProtocol; a != "" && a != v1.AppProtocolHTTP && a != v1.AppProtocolH2C {
		bad("appProtocol %q", a)
	}
	if r := p.Spec.EndpointPickerRef; r != nil {
		switch {
		case r.Name == "" || len(r.Name) > 253:
			bad("endpointPickerRef.name %q", r.Name)
		case r.Group != nil && !group.MatchString(string(*r.Group)):
			bad("endpointPickerRef.group %q", *r.Group)
		case r.Kind != "" && !kind.MatchString(string(r.Kind)):
			bad("endpointPickerRef.kind %q", r.Kind)
		case (r.Kind == "" || r.Kind == "Service") && r.Port == nil:
			bad("port is required when kind is 'Service' or unspecified (defaults to 'Service')")
		case r.Port != nil && (r.Port.Number < 1 || r.Port.Number > 65535):
			bad("endpointPickerRef.port.number %d", r.Port.Number)
		case r.FailureMode != "" && r.FailureMode != v1.EndpointPickerFailOpen && r.FailureMode != v1.EndpointPickerFailClose:
			bad("failureMode %q", r.FailureMode)
		}
	}
	return out
}
