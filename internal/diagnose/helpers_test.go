package diagnose

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/manifest"
)

// Flags are read as Go's flag packages take them, which is how bbr, the picker and NGINX Gateway
// Fabric parse their command lines.
func TestFlagValues(t *testing.T) {
	args := []string{"serve", "--a=1", "--a", "2", "-a=3", "-a", "4", "--ab=x", "--b", "--a", "--c=d"}
	v, found := flagValues(args, "a")
	if !found || !slices.Equal(v, []string{"1", "2", "3", "4"}) {
		t.Errorf("a: %q %v", v, found)
	}
	if v, found := flagValues(args, "b"); !found || len(v) != 0 {
		t.Errorf("bare b: %q %v", v, found)
	}
	if _, found := flagValues(args, "z"); found {
		t.Error("z found")
	}
	if !boolFlag([]string{"--x"}, "x", false) || boolFlag([]string{"--x=false"}, "x", true) || !boolFlag(nil, "x", true) {
		t.Error("boolFlag")
	}
	if got, _ := flagValue(args, "c"); got != "d" {
		t.Errorf("flagValue c = %q", got)
	}
}

func TestRouterHeaders(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		upstream bool
		want     []string
	}{
		{nil, false, []string{hdrInferenceModel, hdrModelName, hdrBaseModel}},
		{[]string{"--model-header=X-A,x-b", "--model-header", "x-c"}, false, []string{"x-a", "x-b", "x-c", hdrBaseModel}},
		{[]string{"--base-model-header="}, false, []string{hdrInferenceModel, hdrModelName}},
		{[]string{"--base-model-header=X-Base"}, false, []string{hdrInferenceModel, hdrModelName, "x-base"}},
		{[]string{"--streaming"}, true, []string{hdrModelName, hdrBaseModel}},
		{[]string{`--plugin=body-field-to-header:m:{"fieldName":"model","headerName":"X-Model"}`}, true, []string{"x-model"}},
		{[]string{`--plugin`, `body-field-to-header:u:{"fieldName":"user","headerName":"X-User"}`, "--plugin", "base-model-to-header:b"}, false, []string{hdrBaseModel}},
	} {
		if got := routerHeaders(tc.args, tc.upstream); !slices.Equal(got, tc.want) {
			t.Errorf("%q upstream=%v: %q, want %q", tc.args, tc.upstream, got, tc.want)
		}
	}
}

func TestExpectedBundle(t *testing.T) {
	for _, tc := range []struct {
		p    provider
		tag  string
		want string
	}{
		{istio, "1.27.3", ""}, {istio, "1.29.2", "v1.0.0"}, {istio, "1.30.1-distroless", "v1.5.0"},
		{agentgateway, "v1.0.0", "v1.4.0"}, {nginx, "2.4.0", "v1.1.0"}, {nginx, "2.6.0", "v1.5.0"},
		{istio, "latest", ""}, {gke, "1.0.0", ""},
	} {
		if got := expectedBundle(tc.p, tc.tag); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.p, tc.tag, got, tc.want)
		}
	}
}

func TestEngineAndModel(t *testing.T) {
	for _, tc := range []struct {
		c             corev1.Container
		engine, model string
	}{
		{corev1.Container{Image: "vllm/vllm-openai:v0.10.0", Args: []string{"--model", "m1", "--served-model-name", "s1"}}, "vLLM", "s1"},
		{corev1.Container{Image: "vllm/vllm-openai:latest", Command: []string{"vllm", "serve", "m2", "--port", "8000"}}, "vLLM", "m2"},
		{corev1.Container{Image: "lmsysorg/sglang:v0.4", Args: []string{"--model-path=m3"}}, "SGLang", "m3"},
		{corev1.Container{Image: "nvcr.io/nvidia/tritonserver:25.01-trtllm-python-py3"}, "Triton", ""},
		{corev1.Container{Image: "nvcr.io/nvidia/tensorrt-llm/release:0.20.0"}, "TensorRT-LLM", ""},
		{corev1.Container{Image: "ghcr.io/llm-d/llm-d-inference-sim:v0.5.0"}, "llm-d-inference-sim", ""},
		{corev1.Container{Image: "example.com/my/server@sha256:abc"}, "example.com/my/server", ""},
	} {
		if e, m := engineOf(tc.c), modelOf(tc.c); e != tc.engine || m != tc.model {
			t.Errorf("%s %q: %q %q, want %q %q", tc.c.Image, command(tc.c), e, m, tc.engine, tc.model)
		}
	}
	if imageRepo("host:5000/a/b:v1@sha256:x") != "host:5000/a/b" || imageTag("host:5000/a/b:v1@sha256:x") != "v1" || imageTag("host:5000/a/b") != "" {
		t.Error("image parsing")
	}
}

func u(apiVersion, kind, ns, name string, rest map[string]any) *unstructured.Unstructured {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	for k, v := range rest {
		m[k] = v
	}
	return &unstructured.Unstructured{Object: m}
}

// Offline, a later file's object replaces an earlier one's, and objects without a namespace go
// into the -n namespace; cluster-scoped ones stay without.
func TestFromManifests(t *testing.T) {
	first := u("v1", "Service", "", "a", map[string]any{"spec": map[string]any{"type": "ClusterIP"}})
	second := u("v1", "Service", "", "a", map[string]any{"spec": map[string]any{"type": "ExternalName"}})
	class := u("gateway.networking.k8s.io/v1", "GatewayClass", "", "istio", nil)
	other := u("v1", "Service", "x", "a", nil)
	s := FromManifests([]manifest.Object{
		{Unstructured: first, Source: manifest.Source{File: "a.yaml", Doc: 1}},
		{Unstructured: class, Source: manifest.Source{File: "a.yaml", Doc: 2}},
		{Unstructured: other, Source: manifest.Source{File: "a.yaml", Doc: 3}},
		{Unstructured: second, Source: manifest.Source{File: "b.yaml", Doc: 1}},
	}, "llm")
	if len(s.Objects) != 3 || s.Objects[0].GetNamespace() != "llm" || s.Objects[1].GetNamespace() != "" || s.Objects[2].GetNamespace() != "x" {
		t.Fatalf("objects: %v", s.Objects)
	}
	if typ, _, _ := unstructured.NestedString(s.Objects[0].Object, "spec", "type"); typ != "ExternalName" || s.Sources[s.Objects[0]] != "b.yaml, document 1" || len(s.Sources) != 3 {
		t.Errorf("the later object should win with its source: %s %v", typ, s.Sources)
	}
	if first.GetNamespace() != "" {
		t.Error("FromManifests changed its input")
	}
	if s := FromManifests(nil, ""); len(s.Objects) != 0 || s.Live {
		t.Error("empty")
	}
}

func poolObj(ns string) *unstructured.Unstructured {
	return u("inference.networking.k8s.io/v1", "InferencePool", ns, "p", map[string]any{"spec": map[string]any{
		"selector":          map[string]any{"matchLabels": map[string]any{"app": "vllm"}},
		"targetPorts":       []any{map[string]any{"number": int64(8000)}},
		"endpointPickerRef": map[string]any{"name": "p-epp", "port": map[string]any{"number": int64(9002)}}}})
}

func deployment(ns, name string, labels map[string]any, replicas int64) *unstructured.Unstructured {
	return u("apps/v1", "Deployment", ns, name, map[string]any{"spec": map[string]any{"replicas": replicas,
		"template": map[string]any{"metadata": map[string]any{"labels": labels},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "vllm/vllm-openai:v0.10.0"}}}}}})
}

func codesOf(s *Snapshot) []Code {
	var out []Code
	for _, f := range Analyze(s, Analyzers()...) {
		out = append(out, f.Code)
	}
	return out
}

// The same objects mean different things offline and live: offline a Deployment's template
// stands for its pods and a Service without EndpointSlices is not judged by them; live, only
// pods count and a Service without EndpointSlices has no endpoints.
func TestLiveAndOffline(t *testing.T) {
	objs := func() []*unstructured.Unstructured {
		return []*unstructured.Unstructured{poolObj("llm"), deployment("llm", "vllm", map[string]any{"app": "vllm"}, 2),
			deployment("llm", "p-epp", map[string]any{"app": "p-epp"}, 2),
			u("v1", "Service", "llm", "p-epp", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "p-epp"},
				"ports": []any{map[string]any{"port": int64(9002)}}}})}
	}
	if got := codesOf(&Snapshot{Objects: objs()}); len(got) != 0 {
		t.Errorf("offline: %v", got)
	}
	got := codesOf(&Snapshot{Objects: objs(), Live: true})
	// Live, no HTTPRoute listed means none exists: the pool is unused too.
	if !slices.Equal(got, []Code{PoolSelectsNoPods, PoolPickerNoEndpoints, PoolUnused}) {
		t.Errorf("live: %v", got)
	}
	// Offline without any workload in the pool's namespace, nothing is said about pods.
	if got := codesOf(&Snapshot{Objects: []*unstructured.Unstructured{poolObj("llm")}}); len(got) != 0 {
		t.Errorf("offline, pool alone: %v", got)
	}
}

// A Gateway's provider comes from its class's controllerName when the class is known, else from
// the class name the provider's guide uses.
func TestProviderOf(t *testing.T) {
	gw := func(class string) *unstructured.Unstructured {
		return u("gateway.networking.k8s.io/v1", "Gateway", "d", "g-"+class, map[string]any{"spec": map[string]any{"gatewayClassName": class}})
	}
	s := &Snapshot{Objects: []*unstructured.Unstructured{
		u("gateway.networking.k8s.io/v1", "GatewayClass", "", "custom", map[string]any{"spec": map[string]any{"controllerName": "istio.io/gateway-controller"}}),
		gw("custom"), gw("nginx"), gw("gke-l7-rilb"), gw("unknown"), gw("agentgateway"),
	}}
	ix := s.index()
	var got []provider
	for _, g := range ix.gatewayList {
		got = append(got, ix.providerOf(g))
	}
	if want := []provider{istio, nginx, gke, "", agentgateway}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// A kind the live gatherer could not list proves nothing by its absence.
func TestUnlisted(t *testing.T) {
	objs := []*unstructured.Unstructured{poolObj("llm")}
	s := &Snapshot{Objects: objs, Live: true}
	if !s.Covers(gkService) || !s.podsKnown("llm", nil) {
		t.Error("live, listed: should cover")
	}
	s = &Snapshot{Objects: objs, Live: true, Unlisted: map[schema.GroupKind]string{gkService: "forbidden", gkPod: "forbidden"}}
	if s.Covers(gkService) || s.podsKnown("llm", nil) || !s.Covers(gkPod, gkPool) {
		t.Error("live, unlisted: should not cover")
	}
	if got := codesOf(s); slices.Contains(got, PoolSelectsNoPods) || slices.Contains(got, PoolPickerServiceMissing) {
		t.Errorf("findings from kinds not listed: %v", got)
	}
}
