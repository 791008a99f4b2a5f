package convert

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func convertString(t *testing.T, in string, o Options) (string, error) {
	t.Helper()
	res, err := Convert([]File{{Name: "in.yaml", Data: []byte(in)}}, o)
	if err != nil {
		return "", err
	}
	return string(res.Files[0].Data), nil
}

// The ways files are written that the corpus does not show: each comes out written the same way.
func TestLayouts(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{{
		name: "CRLF line ends stay CRLF, added lines too",
		in:   "apiVersion: inference.networking.x-k8s.io/v1alpha2\r\nkind: InferencePool\r\nmetadata:\r\n  name: p\r\nspec:\r\n  targetPortNumber: 8000\r\n  selector:\r\n    app: p\r\n  extensionRef:\r\n    name: epp\r\n",
		want: "apiVersion: inference.networking.k8s.io/v1\r\nkind: InferencePool\r\nmetadata:\r\n  name: p\r\nspec:\r\n  targetPorts:\r\n    - number: 8000\r\n  selector:\r\n    matchLabels:\r\n      app: p\r\n  endpointPickerRef:\r\n    name: epp\r\n    port:\r\n      number: 9002\r\n",
	}, {
		name: "no line break at the end; four-space indentation; kubectl's sequences",
		in: `apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata:
    name: p
    finalizers:
    - keep
spec:
    targetPortNumber: 8000
    selector:
        app: p
    extensionRef:
        name: epp`,
		want: `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
    name: p
    finalizers:
    - keep
spec:
    targetPorts:
    - number: 8000
    selector:
        matchLabels:
            app: p
    endpointPickerRef:
        name: epp
        port:
            number: 9002
`,
	}, {
		name: "one line of flow style, single quotes",
		in:   "{apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: InferencePool, metadata: {name: p}, spec: {targetPortNumber: 8000, selector: {app: p}, extensionRef: {name: epp, portNumber: 9010}}}\n",
		want: "{apiVersion: 'inference.networking.k8s.io/v1', kind: InferencePool, metadata: {name: p}, spec: {targetPorts: [{number: 8000}], selector: {matchLabels: {app: p}}, endpointPickerRef: {name: epp, port: {number: 9010}}}}\n",
	}, {
		name: "compact JSON",
		in:   `{"apiVersion":"inference.networking.x-k8s.io/v1alpha2","kind":"InferencePool","metadata":{"name":"p","uid":"u"},"spec":{"selector":{"app":"p"},"targetPortNumber":8000,"extensionRef":{"name":"epp"}}}`,
		want: `{"apiVersion":"inference.networking.k8s.io/v1","kind":"InferencePool","metadata":{"name":"p"},"spec":{"selector":{"matchLabels": {"app":"p"}},"targetPorts": [{"number": 8000}],"endpointPickerRef":{"name":"epp", "port": {"number": 9002}}}}`,
	}, {
		name: "a List item whose first key is dropped; comments around dropped keys",
		in: `kind: List
apiVersion: v1
items:
- status:
    parent: []
  apiVersion: inference.networking.x-k8s.io/v1alpha2
  kind: InferencePool
  metadata:
    name: p
    # set by the API server
    uid: u
    # the labels
    labels: {a: b}
  spec:
    targetPortNumber: 8000
    selector: {app: p}
    extensionRef: {name: epp, kind: Picker, group: example.com}
`,
		want: `kind: List
apiVersion: v1
items:
-
  apiVersion: inference.networking.k8s.io/v1
  kind: InferencePool
  metadata:
    name: p
    # the labels
    labels: {a: b}
  spec:
    targetPorts:
    - number: 8000
    selector: {matchLabels: {app: p}}
    endpointPickerRef: {name: epp, kind: Picker, group: example.com}
`,
	}, {
		name: "block scalars and multi-line values in what is dropped",
		in: `apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata:
  name: p
  managedFields:
  - manager: kubectl
    fieldsV1:
      f:spec: {}
spec:
  selector:
    app: p
  targetPortNumber: 8000
  extensionRef:
    name: epp
    portNumber: 9002
status:
  parent:
  - conditions:
    - message: a long message that kubectl folded
        over two lines
      reason: |
        literal
         text
---
kind: ConfigMap
apiVersion: v1
`,
		want: `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: p
spec:
  selector:
    matchLabels:
      app: p
  targetPorts:
  - number: 8000
  endpointPickerRef:
    name: epp
    port:
      number: 9002
---
kind: ConfigMap
apiVersion: v1
`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := convertString(t, tc.in, Options{})
			if err != nil || got != tc.want {
				t.Errorf("%v\ngot:\n%s\nwant:\n%s", err, got, tc.want)
			}
			if again, err := convertString(t, got, Options{}); err != nil || again != got {
				t.Errorf("converting again: %v\n%s", err, again)
			}
		})
	}
}

// A value convert must change but cannot replace byte for byte is refused, not guessed at.
func TestUnusualValuesAreRefused(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"anchor", "apiVersion: &v inference.networking.x-k8s.io/v1alpha2\nkind: InferencePool\nmetadata: {name: p}\n",
			"in.yaml, document 1: InferencePool p: apiVersion: line 1: written with a YAML tag, anchor or block scalar"},
		{"tag", "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferencePool\nmetadata: {name: p}\nspec:\n  targetPortNumber: !!int 8000\n",
			"in.yaml, document 1: InferencePool p: spec.targetPortNumber: line 5: written with a YAML tag"},
		{"alias", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: inference.networking.x-k8s.io/v1alpha2\n  kind: InferencePool\n  metadata: {name: p}\n  spec:\n    selector: &s {app: p}\n- apiVersion: inference.networking.x-k8s.io/v1alpha2\n  kind: InferencePool\n  metadata: {name: q}\n  spec:\n    selector: *s\n",
			"in.yaml, document 1, items[0]: InferencePool p: spec.selector: line 8: written with a YAML tag, anchor or block scalar"},
		{"two lines", "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferencePool\nmetadata: {name: p}\nspec:\n  extensionRef:\n    name: epp\n    kind:\n      Service\n",
			""}, // a plain scalar on its own line is found where it is: converted
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := convertString(t, tc.in, Options{})
			var cerr *Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &cerr) || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestNotYAML(t *testing.T) {
	_, err := convertString(t, "kind: A\n---\nkind: [b\n", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "in.yaml, document 2: not valid YAML: ") {
		t.Fatal(err)
	}
}

// verify is what makes a wrong edit an error instead of a wrong file.
func TestVerifyCatchesWhatTheEditsGotWrong(t *testing.T) {
	in := "a:\n  b: 1\n"
	var d yaml.Node
	if err := yaml.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	ed := &editor{src: newSource([]byte(in)), lay: layout{step: 2}}
	m := d.Content[0].Content[1]
	m.Content[1].Value = "2" // the tree says b: 2 ...
	ed.replace(8, 9, "3")    // ... the text says b: 3
	out, err := ed.apply()
	if err != nil || string(out) != "a:\n  b: 3\n" {
		t.Fatalf("%q %v", out, err)
	}
	if err := verify(out, []*yaml.Node{&d}); err == nil {
		t.Fatal("verify accepted a text that does not say what the nodes say")
	}
	ed.replace(7, 9, "x") // overlaps the first edit
	if _, err := ed.apply(); err == nil {
		t.Fatal("overlapping edits applied")
	}
}
