package convert

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLegacySpellings(t *testing.T) {
	const epp = "`spec.endpointPickerRef` (port as `port: {number: N}`; group, kind, name and failureMode as before)"
	for _, tc := range []struct {
		name, manifest string
		want           []Legacy
	}{{
		name: "v1 pool written the alpha way",
		manifest: `
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: p}
spec:
  selector: {app: x}
  targetPortNumber: 8000
  extensionRef: {name: epp}`,
		want: []Legacy{
			{Path: "spec.extensionRef", Use: epp, Rejected: true, Convertible: true},
			{Path: "spec.extensionRef", Use: "`spec.endpointPickerRef.port.number: 9002` (extensionRef had no portNumber, which meant 9002 for a Service; v1 requires the port)", Rejected: true, Convertible: true},
			{Path: "spec.selector", Use: "`spec.selector.matchLabels` (the same labels, under matchLabels)", Rejected: true, Convertible: true},
			{Path: "spec.targetPortNumber", Use: "`spec.targetPorts[0].number` (v1 takes a list of ports: `targetPorts: [{number: N}]`)", Rejected: true, Convertible: true},
		},
	}, {
		name: "alpha pool: valid in its API, which is gone",
		manifest: `
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata: {name: p, uid: abc}
spec:
  selector: {}
  targetPortNumber: 8000
  extensionRef: {name: epp, portNumber: 9010, kind: Service}`,
		want: []Legacy{
			{Path: "apiVersion", Use: "`apiVersion: inference.networking.k8s.io/v1` (the alpha InferencePool was removed in GIE v1.5.0)", Convertible: true},
			{Path: "spec.extensionRef", Use: epp, Convertible: true},
			{Path: "spec.extensionRef.portNumber", Use: "`spec.endpointPickerRef.port.number` (`port: {number: N}`)", Convertible: true},
			{Path: "spec.selector", Use: "is empty: an alpha selector without labels selects every Pod of the namespace, and v1 needs matchLabels with at least one label; write the model server Pods' labels"},
			{Path: "spec.targetPortNumber", Use: "`spec.targetPorts[0].number` (v1 takes a list of ports: `targetPorts: [{number: N}]`)", Convertible: true},
		},
	}, {
		name: "route to the alpha group",
		manifest: `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - backendRefs:
    - {group: inference.networking.k8s.io, kind: InferencePool, name: a}
    - {group: inference.networking.x-k8s.io, kind: InferencePool, name: b}`,
		want: []Legacy{{Path: "spec.rules[0].backendRefs[1].group", Use: "`group: inference.networking.k8s.io`", Convertible: true}},
	}, {
		name: "objective in the legacy group",
		manifest: `
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceObjective
metadata: {name: o}
spec: {poolRef: {name: p}}`,
		want: []Legacy{{Path: "apiVersion", Use: "`apiVersion: llm-d.ai/v1alpha2` (llm-d-router's picker reads llm-d.ai and ignores inference.networking.x-k8s.io when both are installed)", Convertible: true}},
	}, {
		name: "InferenceModel",
		manifest: `
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata: {name: m}
spec: {modelName: m, poolRef: {name: p}}`,
		want: []Legacy{{Path: "spec.modelName", Use: "InferenceObjective has no model name: a request picks an objective by naming it in the x-gateway-inference-objective header; match the model on the HTTPRoute (x-gateway-inference-model, set by bbr) or rewrite it with an InferenceModelRewrite"}},
	}, {
		name:     "current objective",
		manifest: "{apiVersion: llm-d.ai/v1alpha2, kind: InferenceObjective, metadata: {name: o}, spec: {poolRef: {name: p}}}",
	}, {
		name:     "current pool",
		manifest: "{apiVersion: inference.networking.k8s.io/v1, kind: InferencePool, metadata: {name: p}, spec: {selector: {matchLabels: {app: x}}, targetPorts: [{number: 8000}], endpointPickerRef: {name: e, port: {number: 9002}}}}",
	}, {
		name:     "another kind",
		manifest: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {app: x}, extensionRef: {}}}",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LegacySpellings(obj(t, tc.manifest)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got:\n%+v\nwant:\n%+v", got, tc.want)
			}
		})
	}
}

// LegacySpellings reads the object: it never changes it.
func TestLegacySpellingsLeaveTheObjectAlone(t *testing.T) {
	u := obj(t, "{apiVersion: inference.networking.x-k8s.io/v1alpha2, kind: InferencePool, metadata: {name: p, uid: x}, spec: {selector: {app: x}, targetPortNumber: 8000}}")
	before := u.DeepCopy()
	if LegacySpellings(u) == nil || !reflect.DeepEqual(u, before) {
		t.Fatalf("changed to %v", u.Object)
	}
}
