package convert

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/igw-dev/igw/api/v1"
	xv1alpha2 "github.com/igw-dev/igw/api/x/v1alpha2"
)

func ptr[T any](v T) *T { return &v }

func TestPoolFromAlphaFull(t *testing.T) {
	accepted := metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted",
		LastTransitionTime: metav1.Unix(1700000000, 0)}
	in := &xv1alpha2.InferencePool{
		TypeMeta: metav1.TypeMeta{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferencePool"},
		ObjectMeta: metav1.ObjectMeta{Name: "llama", Namespace: "serving", Labels: map[string]string{"team": "a"},
			ResourceVersion: "42", UID: "u-1", Generation: 3},
		Spec: xv1alpha2.InferencePoolSpec{
			Selector:         map[xv1alpha2.LabelKey]xv1alpha2.LabelValue{"app": "vllm-llama", "tier": "gpu"},
			TargetPortNumber: 8000,
			ExtensionRef: &xv1alpha2.Extension{
				Group:       ptr(xv1alpha2.Group("")),
				Kind:        ptr(xv1alpha2.Kind("Service")),
				Name:        "llama-epp",
				PortNumber:  ptr(xv1alpha2.PortNumber(9002)),
				FailureMode: ptr(xv1alpha2.FailOpen),
			},
		},
		Status: xv1alpha2.InferencePoolStatus{Parents: []xv1alpha2.PoolStatus{
			{GatewayRef: xv1alpha2.ParentGatewayReference{Kind: ptr(xv1alpha2.Kind("Status")), Name: "default"}},
			{
				GatewayRef: xv1alpha2.ParentGatewayReference{Group: ptr(xv1alpha2.Group("gateway.networking.k8s.io")),
					Kind: ptr(xv1alpha2.Kind("Gateway")), Name: "inference-gateway", Namespace: ptr(xv1alpha2.Namespace("infra"))},
				Conditions: []metav1.Condition{accepted},
			},
		}},
	}
	before := in.DeepCopy()

	got, notes := PoolFromAlpha(in)
	if len(notes) != 0 {
		t.Errorf("notes = %q, want none", notes)
	}
	want := &v1.InferencePool{
		TypeMeta:   metav1.TypeMeta{APIVersion: "inference.networking.k8s.io/v1", Kind: "InferencePool"},
		ObjectMeta: metav1.ObjectMeta{Name: "llama", Namespace: "serving", Labels: map[string]string{"team": "a"}},
		Spec: v1.InferencePoolSpec{
			Selector:    v1.LabelSelector{MatchLabels: map[v1.LabelKey]v1.LabelValue{"app": "vllm-llama", "tier": "gpu"}},
			TargetPorts: []v1.Port{{Number: 8000}},
			EndpointPickerRef: &v1.EndpointPickerRef{
				Group:       ptr(v1.Group("")),
				Kind:        "Service",
				Name:        "llama-epp",
				Port:        &v1.Port{Number: 9002},
				FailureMode: v1.EndpointPickerFailOpen,
			},
		},
		Status: v1.InferencePoolStatus{Parents: []v1.ParentStatus{{
			ParentRef: v1.ParentReference{Group: ptr(v1.Group("gateway.networking.k8s.io")), Kind: "Gateway",
				Name: "inference-gateway", Namespace: "infra"},
			Conditions: []metav1.Condition{accepted},
		}}},
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", "  ")
		wj, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("PoolFromAlpha:\ngot  %s\nwant %s", gj, wj)
	}
	if !reflect.DeepEqual(in, before) {
		t.Error("PoolFromAlpha modified its input")
	}
	// The output shares no memory with the input.
	got.Labels["team"] = "b"
	got.Status.Parents[0].Conditions[0].Reason = "Changed"
	if !reflect.DeepEqual(in, before) {
		t.Error("the output aliases the input")
	}
}

func TestPoolFromAlphaMissingPort(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     *xv1alpha2.Kind
		wantPort *v1.Port
	}{
		{"kind unset defaults to Service", nil, &v1.Port{Number: 9002}},
		{"kind Service", ptr(xv1alpha2.Kind("Service")), &v1.Port{Number: 9002}},
		{"other kind keeps no port", ptr(xv1alpha2.Kind("Backend")), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &xv1alpha2.InferencePool{Spec: xv1alpha2.InferencePoolSpec{
				Selector:         map[xv1alpha2.LabelKey]xv1alpha2.LabelValue{"app": "x"},
				TargetPortNumber: 8000,
				ExtensionRef:     &xv1alpha2.Extension{Name: "epp", Kind: tc.kind},
			}}
			got, notes := PoolFromAlpha(in)
			ref := got.Spec.EndpointPickerRef
			if !reflect.DeepEqual(ref.Port, tc.wantPort) {
				t.Errorf("port = %+v, want %+v", ref.Port, tc.wantPort)
			}
			if (tc.wantPort != nil) != (len(notes) == 1) || len(notes) > 1 {
				t.Errorf("notes = %q", notes)
			}
			if len(notes) == 1 && !strings.Contains(notes[0], "9002") {
				t.Errorf("note %q does not name the port", notes[0])
			}
			if ref.FailureMode != "" || ref.Group != nil {
				t.Errorf("unset fields were filled: %+v (the API server defaults them)", ref)
			}
		})
	}
}

func TestPoolFromAlphaEmpty(t *testing.T) {
	got, notes := PoolFromAlpha(&xv1alpha2.InferencePool{})
	if len(notes) != 0 || got.Spec.TargetPorts != nil || got.Spec.EndpointPickerRef != nil ||
		got.Spec.Selector.MatchLabels != nil || got.Status.Parents != nil {
		t.Errorf("empty alpha pool converted to %+v, notes %q", got, notes)
	}
}

const alphaYAML = `
apiVersion: inference.networking.x-k8s.io/v1alpha2
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

const v1YAML = `
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: vllm-llama3-8b-instruct
spec:
  targetPorts:
  - number: 8000
  selector:
    matchLabels:
      app: vllm-llama3-8b-instruct
  endpointPickerRef:
    name: vllm-llama3-8b-instruct-epp
    port:
      number: 9002
`

func TestDecodePoolBothVersionsAgree(t *testing.T) {
	fromAlpha, notes, err := DecodePool([]byte(alphaYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 {
		t.Errorf("alpha notes = %q, want the filled-in port", notes)
	}
	fromV1, notes, err := DecodePool([]byte(v1YAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 {
		t.Errorf("v1 notes = %q, want none", notes)
	}
	if !reflect.DeepEqual(fromAlpha, fromV1) {
		t.Errorf("alpha and v1 spellings differ:\n%+v\n%+v", fromAlpha, fromV1)
	}
	// Written back, it is the v1 wire format.
	data, err := json.Marshal(fromAlpha)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"kind":"InferencePool","apiVersion":"inference.networking.k8s.io/v1",` +
		`"metadata":{"name":"vllm-llama3-8b-instruct"},` +
		`"spec":{"selector":{"matchLabels":{"app":"vllm-llama3-8b-instruct"}},"targetPorts":[{"number":8000}],` +
		`"endpointPickerRef":{"name":"vllm-llama3-8b-instruct-epp","port":{"number":9002}}},"status":{}}`
	if string(data) != wantJSON {
		t.Errorf("JSON:\ngot  %s\nwant %s", data, wantJSON)
	}
}

func TestDecodePoolErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"v1 with the alpha field", strings.Replace(v1YAML, "endpointPickerRef:", "extensionRef:", 1), `unknown field "spec.extensionRef"`},
		{"alpha with the v1 field", strings.Replace(alphaYAML, "targetPortNumber: 8000", "targetPorts: [{number: 8000}]", 1), `unknown field "spec.targetPorts"`},
		{"other kind", strings.Replace(v1YAML, "kind: InferencePool", "kind: Service", 1), `kind is "Service"`},
		{"unknown version", strings.Replace(v1YAML, "inference.networking.k8s.io/v1", "inference.networking.k8s.io/v2", 1), `apiVersion "inference.networking.k8s.io/v2"`},
		{"not YAML", "{", "reading InferencePool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodePool([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
