package validate

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// load reads one YAML stream as validate's command would.
func load(t *testing.T, docs string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Load(manifest.Options{Paths: []string{manifest.Stdin}, Stdin: strings.NewReader(docs)})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func newValidator(t *testing.T, ch Channel) *Validator {
	t.Helper()
	v, err := New(Options{GatewayAPI: ch})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// check returns the problems of the single object in doc.
func check(t *testing.T, v *Validator, doc string) []Problem {
	t.Helper()
	return v.Check(context.Background(), load(t, doc)[0])
}

// Both channels hold the kinds issue 9 names, and every served version of every embedded CRD
// compiles (schema and CEL rules) with the apiserver's libraries: a CRD update that breaks
// that fails here, not in a user's run.
func TestEveryEmbeddedCRDCompiles(t *testing.T) {
	want := []string{
		"inference.networking.k8s.io/v1, Kind=InferencePool",
		"inference.networking.x-k8s.io/v1alpha2, Kind=InferencePool",
		"inference.networking.x-k8s.io/v1alpha2, Kind=InferenceObjective",
		"llm-d.ai/v1alpha2, Kind=InferenceObjective",
		"gateway.networking.k8s.io/v1, Kind=Gateway",
		"gateway.networking.k8s.io/v1, Kind=GatewayClass",
		"gateway.networking.k8s.io/v1, Kind=HTTPRoute",
		"gateway.networking.k8s.io/v1, Kind=GRPCRoute",
		"gateway.networking.k8s.io/v1beta1, Kind=ReferenceGrant",
		"gateway.networking.k8s.io/v1, Kind=ListenerSet",
	}
	for _, ch := range Channels() {
		v := newValidator(t, ch)
		for _, s := range want {
			if !served(v, s) {
				t.Errorf("%s: %s is not served", ch, s)
			}
		}
		for gvk, cv := range v.crds.versions {
			c, err := cv.schemas()
			if err != nil || c.structural == nil || c.schema == nil {
				t.Errorf("%s: %s: %v", ch, gvk, err)
			}
		}
	}
	if v := newValidator(t, Experimental); !served(v, "gateway.networking.x-k8s.io/v1alpha1, Kind=XBackend") {
		t.Error("experimental: no XBackend")
	}
	if v := newValidator(t, Standard); served(v, "gateway.networking.x-k8s.io/v1alpha1, Kind=XBackend") {
		t.Error("standard serves XBackend")
	}
	if _, err := New(Options{GatewayAPI: "beta"}); err == nil || !strings.Contains(err.Error(), "use standard or experimental") {
		t.Errorf("channel beta: %v", err)
	}
}

func served(v *Validator, gvk string) bool {
	for k := range v.crds.versions {
		if k.String() == gvk {
			return true
		}
	}
	return false
}

const goodPool = `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool, namespace: llm}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
`

// Checking works on a copy: the objects stay as written for the analyzers that run after.
func TestCheckLeavesTheObjectAlone(t *testing.T) {
	v := newValidator(t, Standard)
	obj := load(t, goodPool+"  extra: 1\nstatus: {parents: []}\n")[0]
	before := obj.DeepCopy()
	if p := v.Check(context.Background(), obj); len(p) != 1 || p[0].Field != "spec.extra" {
		t.Errorf("problems: %+v", p)
	}
	if !reflect.DeepEqual(before.Object, obj.Object) {
		t.Errorf("the object changed:\n%v\n%v", before.Object, obj.Object)
	}
}

// kubectl sends YAML as JSON, which has no duplicate keys left; a JSON body can have them, and
// strict decoding refuses those as the apiserver does.
func TestDuplicateField(t *testing.T) {
	v := newValidator(t, Standard)
	obj := load(t, goodPool)[0]
	obj.Raw = []byte(`{"apiVersion":"inference.networking.k8s.io/v1","kind":"InferencePool","metadata":{"name":"p"},
		"spec":{"selector":{"matchLabels":{"app":"a"}},"targetPorts":[{"number":1}],"targetPorts":[{"number":2}]}}`)
	got := v.Check(context.Background(), obj)
	if len(got) != 1 || got[0].Code != diagnose.DuplicateField || got[0].Message != `duplicate field "spec.targetPorts"` ||
		got[0].Field != "spec.targetPorts" || !strings.Contains(got[0].Fix, "keep one spec.targetPorts") {
		t.Errorf("got %+v", got)
	}
}

func TestKinds(t *testing.T) {
	std, exp := newValidator(t, Standard), newValidator(t, Experimental)
	for _, tc := range []struct {
		v                *Validator
		apiVersion, kind string
		code             diagnose.Code // "" for nothing to say
		severity         diagnose.Severity
		msg, fix         string
	}{
		{std, "v1", "Service", "", "", "", ""},
		{std, "apps/v1", "Deployment", "", "", "", ""},
		{std, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "", "", ""},
		{std, "example.com/v1", "Widget", diagnose.KindNotChecked, diagnose.Info, "igwctl has no schema for Widget example.com/v1; not checked", ""},
		{std, "gateway.networking.k8s.io/v1", "HttpRoute", diagnose.KindNotInGroup, diagnose.Error,
			`no matches for kind "HttpRoute" in version "gateway.networking.k8s.io/v1"`, "kinds are case-sensitive: write kind: HTTPRoute"},
		{std, "inference.networking.k8s.io/v1", "InferenceObjective", diagnose.KindNotInGroup, diagnose.Error, "",
			"InferenceObjective is served as inference.networking.x-k8s.io/v1alpha2 or llm-d.ai/v1alpha2"},
		{std, "inference.networking.k8s.io/v1", "InferenceModel", diagnose.KindNotInGroup, diagnose.Error, "",
			"inference.networking.k8s.io has the kinds InferencePool"},
		{std, "inference.networking.k8s.io/v1alpha2", "InferencePool", diagnose.VersionNotServed, diagnose.Error,
			`no matches for kind "InferencePool" in version "inference.networking.k8s.io/v1alpha2"`, "InferencePool is served as inference.networking.k8s.io/v1"},
		{std, "gateway.networking.x-k8s.io/v1alpha1", "XBackend", diagnose.ExperimentalOnly, diagnose.Error,
			"XBackend gateway.networking.x-k8s.io/v1alpha1 is only in Gateway API's experimental channel; the standard channel has no XBackend", "--gateway-api experimental"},
		{std, "gateway.networking.k8s.io/v1alpha2", "TCPRoute", diagnose.ExperimentalOnly, diagnose.Error,
			"the standard channel has TCPRoute gateway.networking.k8s.io/v1", ""},
		{exp, "gateway.networking.k8s.io/v1alpha2", "TCPRoute", diagnose.DeprecatedVersion, diagnose.Warning,
			"The v1alpha2 version of TCPRoute has been deprecated", "served: v1, v1alpha2"},
		{std, "a/b/c", "Thing", diagnose.Undecodable, diagnose.Error, `apiVersion "a/b/c": unexpected GroupVersion string: a/b/c`, "write apiVersion as group/version"},
	} {
		obj := load(t, "apiVersion: "+tc.apiVersion+"\nkind: "+tc.kind+"\nmetadata: {name: x}\n")[0]
		var got []Problem
		for _, p := range tc.v.Check(context.Background(), obj) {
			if p.Stage == StageKind || p.Code == diagnose.DeprecatedVersion {
				got = append(got, p)
			}
		}
		name := tc.apiVersion + " " + tc.kind
		if tc.code == "" {
			if len(got) != 0 {
				t.Errorf("%s: %+v", name, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Code != tc.code || got[0].Severity != tc.severity ||
			!strings.Contains(got[0].Message, tc.msg) || !strings.Contains(got[0].Fix, tc.fix) {
			t.Errorf("%s: got %+v\nwant %s %s %q, fix %q", name, got, tc.severity, tc.code, tc.msg, tc.fix)
		}
	}
}

func TestFixes(t *testing.T) {
	v := newValidator(t, Standard)
	for _, tc := range []struct{ doc, code, field, fix string }{
		{goodPool + "  endpointPickerref: {name: epp}\n", "IGW0401", "spec.endpointPickerref", "did you mean spec.endpointPickerRef?"},
		{goodPool + "  extensionRef: {name: epp}\n", "IGW0401", "spec.extensionRef",
			"remove it: spec of InferencePool inference.networking.k8s.io/v1 has only appProtocol, endpointPickerRef, selector, targetPorts"},
		{strings.Replace(goodPool, "{number: 8000}", "{number: 8000, name: http}", 1), "IGW0401", "spec.targetPorts[0].name",
			"remove it: spec.targetPorts[*] of InferencePool inference.networking.k8s.io/v1 has only number"},
		{strings.Replace(goodPool, "metadata: {", "metadata: {label: {a: b}, ", 1), "IGW0401", "metadata.label", "remove it: it is not a field of InferencePool.metadata"},
		{strings.Replace(goodPool, "name: pool", "name: Llama_Pool.", 1), "IGW0405", "metadata.name", `rename it, e.g. "llama-pool"`},
		{strings.Replace(goodPool, "{number: 8000}", "{number: 70000}", 1), "IGW0403", "spec.targetPorts[0].number", "a port number is 1 to 65535"},
		{strings.Replace(goodPool, "{number: 8000}", "{number: 8000}, {number: 8000}", 1), "IGW0404", "spec.targetPorts", "list each port once in spec.targetPorts"},
		{strings.Replace(goodPool, "port: {number: 9002}", "kind: Service", 1), "IGW0404", "spec.endpointPickerRef", "set endpointPickerRef.port.number"},
		{strings.Replace(goodPool, "  targetPorts: [{number: 8000}]\n", "", 1), "IGW0403", "spec.targetPorts", "set spec.targetPorts"},
		{`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - retry: {attempts: 2}
`, "IGW0401", "spec.rules[0].retry", "spec.rules[0].retry is a field of Gateway API's experimental channel"},
		{`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - backendRefs: [{name: p, wieght: 1, port: 80}]
`, "IGW0401", "spec.rules[0].backendRefs[0].wieght", "did you mean spec.rules[0].backendRefs[0].weight? (spec.rules[*].backendRefs[*] of HTTPRoute"},
	} {
		p := find(check(t, v, tc.doc), diagnose.Code(tc.code), tc.field)
		if p == nil || !strings.Contains(p.Fix, tc.fix) {
			t.Errorf("%s at %s: %+v\nwant fix %q", tc.code, tc.field, p, tc.fix)
		}
	}
}

func find(ps []Problem, code diagnose.Code, path string) *Problem {
	for i := range ps {
		if ps[i].Code == code && ps[i].Field == path {
			return &ps[i]
		}
	}
	return nil
}

// The CRDs check matchLabels values, not keys; validate checks keys as a pod label's.
func TestSelectorKeys(t *testing.T) {
	v := newValidator(t, Standard)
	for _, tc := range []struct{ doc, field string }{
		{strings.Replace(goodPool, "{app: vllm}", `{"model server": vllm, app: x, "example.com/ok": v}`, 1), "spec.selector.matchLabels"},
		{`apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata: {name: p}
spec:
  selector: {"-bad": vllm}
  targetPortNumber: 8000
  extensionRef: {name: epp}
`, "spec.selector"},
	} {
		ps := check(t, v, tc.doc)
		if len(ps) != 1 || ps[0].Code != diagnose.SelectorKeyInvalid || ps[0].Stage != StageAdvice || ps[0].Field != tc.field ||
			!strings.Contains(ps[0].Message, "no pod can have this label") {
			t.Errorf("%s: %+v", tc.field, ps)
		}
	}
}

// A schema error that makes CEL rules' input unreliable stops them, as in the apiserver, and
// says so; other schema errors do not.
func TestBlockingErrors(t *testing.T) {
	v := newValidator(t, Standard)
	ps := check(t, v, strings.Replace(goodPool, "[{number: 8000}]", "[{number: 8000}, {number: 8000}, {number: x}]", 1))
	if find(ps, diagnose.RulesNotChecked, "") == nil || find(ps, diagnose.RuleFailed, "spec.targetPorts") != nil {
		t.Errorf("wrong type: %+v", ps)
	}
	ps = check(t, v, strings.Replace(goodPool, "[{number: 8000}]", "[{number: 0}, {number: 0}]", 1))
	if find(ps, diagnose.RulesNotChecked, "") != nil || find(ps, diagnose.RuleFailed, "spec.targetPorts") == nil {
		t.Errorf("out of range: %+v", ps)
	}
	if !blocking(field.ErrorList{field.Required(field.NewPath("x"), "")}) || blocking(field.ErrorList{field.Invalid(field.NewPath("x"), 1, "")}) {
		t.Error("blocking")
	}
}

// Findings name the object, its file and document, and keep the apiserver's message.
func TestFindings(t *testing.T) {
	v := newValidator(t, Standard)
	objs := load(t, goodPool+"---\n"+strings.Replace(goodPool, "{number: 8000}]", "{number: 8000}, {number: 8000}]", 1))
	got := v.Findings(context.Background(), objs)
	want := diagnose.Findings{{Code: diagnose.RuleFailed, Severity: diagnose.Error,
		Object:  diagnose.Object{Kind: "InferencePool", Namespace: "llm", Name: "pool"},
		Source:  "-, document 2",
		Message: "spec.targetPorts: Invalid value: port number must be unique", Fix: "list each port once in spec.targetPorts"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got := v.Findings(context.Background(), objs[:1]); got == nil || len(got) != 0 {
		t.Errorf("clean: %#v; want an empty, non-nil list (JSON [])", got)
	}
}

func TestSplitPath(t *testing.T) {
	got := splitPath("spec.rules[0].matches[12].path")
	if want := []string{"spec", "rules", "[]", "matches", "[]", "path"}; !reflect.DeepEqual(got, want) {
		t.Errorf("%q", got)
	}
	if got := joinPath(got[:5]); got != "spec.rules[*].matches[*]" {
		t.Errorf("join: %q", got)
	}
	if duplicatePath(`duplicate field "a.b[0]"`) != "a.b[0]" || duplicatePath("x") != "" {
		t.Error("duplicatePath")
	}
}
