package validate

import (
	"strings"
	"testing"
)

// A v1 pool as older guides print it: the alpha field names under the v1 apiVersion.
const alphaSpelledPool = `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: vllm-llama3-8b-instruct
spec:
  targetPortNumber: 8000
  selector:
    app: vllm-llama3-8b-instruct
  extensionRef:
    name: vllm-llama3-8b-instruct-epp
`

// TestAlphaSpellingsNameTheV1Field: each unknown alpha field's fix names the v1 field and the
// command that rewrites the file, and the analyzers do not repeat the schema's errors about the
// same object in other words (it "has no endpointPickerRef").
func TestAlphaSpellingsNameTheV1Field(t *testing.T) {
	out, _, err := run(t, alphaSpelledPool, "-f", "-")
	if err == nil {
		t.Fatal("an alpha-spelled v1 pool passed")
	}
	for _, want := range []string{
		"unknown field \"spec.extensionRef\"; fix: write `spec.endpointPickerRef` (port as `port: {number: N}`",
		"`spec.endpointPickerRef.port.number: 9002`",
		"unknown field \"spec.selector.app\"; fix: write `spec.selector.matchLabels`",
		"unknown field \"spec.targetPortNumber\"; fix: write `spec.targetPorts[0].number`",
		"`igwctl convert -f -` rewrites the file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "IGW1113") {
		t.Errorf("an analyzer repeated a schema error about the same object:\n%s", out)
	}
}

// TestCrossObjectFindings: what no schema sees, across the files, is reported and fails the run:
// the files hold a pool, so they describe the namespace, and the route names another one.
func TestCrossObjectFindings(t *testing.T) {
	route := `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: vllm-llama3-8b-instruct
  namespace: llm
spec:
  targetPorts: [{number: 8000}]
  selector: {matchLabels: {app: vllm-llama3-8b-instruct}}
  endpointPickerRef: {name: vllm-llama3-8b-instruct-epp, port: {number: 9002}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: llm-route
  namespace: llm
spec:
  parentRefs:
  - name: inference-gateway
  rules:
  - backendRefs:
    - group: inference.networking.k8s.io
      kind: InferencePool
      name: no-such-pool
`
	out, _, err := run(t, route, "-f", "-")
	if err == nil || !strings.Contains(out, "[IGW1001] (HTTPRoute llm/llm-route in -, document 2)") {
		t.Fatalf("a route to a pool that is in no file: err %v, output:\n%s", err, out)
	}
}
