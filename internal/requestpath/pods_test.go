package requestpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// loopback reaches each pod at a real HTTP server on loopback, by pod name: the step logic and
// the metrics parsing without the API server's pod proxy (which refuses loopback pod IPs; the
// command's tests go through it).
type loopback map[string]string

func (l loopback) GetPod(ctx context.Context, pod *corev1.Pod, port int32, path string) (*PodResponse, error) {
	base, ok := l[pod.Name]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: dial tcp %s:%d: connect: connection refused", ErrNotListening, pod.Status.PodIP, port)
	case base == "forbidden":
		return nil, fmt.Errorf("%w: pods \"%s\" is forbidden: cannot get resource \"pods/proxy\"", ErrForbidden, pod.Name)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return &PodResponse{Status: resp.StatusCode, Body: body}, err
}

func serve(t *testing.T, metrics string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, metrics)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const vllm = "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting 1\n# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running 2\n" +
	"# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc 0.5\n"

// withPods is the istio setup read live, with Ready pods of the pool named names.
func withPods(t *testing.T, names ...string) *diag.Snapshot {
	t.Helper()
	s := snapshot(t, corpusDir+"/ok/istio")
	for i, n := range names {
		s.Objects = append(s.Objects, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": n, "namespace": "default", "labels": map[string]any{"app": "vllm-llama3-8b-instruct"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "vllm", "image": "vllm/vllm-openai:v0.10.0",
				"args": []any{"--model", "m"}, "ports": []any{map[string]any{"containerPort": int64(8000)}}}}},
			"status": map[string]any{"phase": "Running", "podIP": fmt.Sprintf("10.0.0.%d", i+1),
				"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}})
	}
	return s
}

func stepsNamed(r *Report, prefix string) []Step {
	var out []Step
	for _, sec := range r.Sections {
		for _, st := range sec.Steps {
			if strings.HasPrefix(st.Name, prefix) {
				out = append(out, st)
			}
		}
	}
	return out
}

func TestPortSteps(t *testing.T) {
	good, goMetrics := serve(t, vllm), serve(t, "# TYPE go_goroutines gauge\ngo_goroutines 3\n")
	for _, tc := range []struct {
		name           string
		pods           loopback
		listen, scrape Status
		detail         string
	}{
		{"all speak vLLM", loopback{"a": good, "b": good}, Passed, Passed, "a: vllm, waiting 1, running 2, KV cache 50% (and 1 more pod)"},
		{"one speaks no model server metrics", loopback{"a": good, "b": goMetrics}, Passed, Failed,
			"pod b: /metrics lacks vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc, which the picker reads (engine vllm)"},
		{"one does not listen", loopback{"a": good}, Failed, Passed, "1 of 2 Ready pods do not answer: pod b (10.0.0.2): not listening: dial tcp 10.0.0.2:8000: connect: connection refused"},
		{"RBAC forbids the proxy", loopback{"a": "forbidden", "b": good}, NotRun, NotRun, `RBAC forbids get pods/proxy: pods "a" is forbidden`},
		{"no metrics path", loopback{"a": good + "/nothing", "b": good + "/nothing"}, Passed, Failed, "pod a: GET /metrics answered 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Walk(context.Background(), Input{Snapshot: withPods(t, "a", "b"), Scope: "all namespaces", Pods: tc.pods})
			listen, scrape := stepsNamed(r, "pods listen")[0], stepsNamed(r, "pods serve")[0]
			if listen.Status != tc.listen || scrape.Status != tc.scrape {
				t.Fatalf("listen %s (%s), metrics %s (%s)", listen.Status, listen.Detail, scrape.Status, scrape.Detail)
			}
			if !strings.Contains(listen.Detail+" | "+scrape.Detail, tc.detail) {
				t.Errorf("details %q | %q lack %q", listen.Detail, scrape.Detail, tc.detail)
			}
		})
	}
}

// The picker's flags say where and what it scrapes: another metrics port and path, and another
// KV-cache metric (vLLM's old name) that the server has.
func TestPickerMetricsFlags(t *testing.T) {
	old := serve(t, strings.Replace(vllm, "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", 2))
	s := withPods(t, "a")
	r := Walk(context.Background(), Input{Snapshot: s, Scope: "all namespaces", Pods: loopback{"a": old}})
	st := stepsNamed(r, "pods serve")[0]
	if st.Status != Failed || !strings.Contains(st.Fix, "--kv-cache-usage-percentage-metric=vllm:gpu_cache_usage_perc") {
		t.Errorf("%+v", st)
	}
	for _, u := range s.Objects {
		if u.GetKind() == "Deployment" && u.GetName() == "vllm-llama3-8b-instruct-epp" {
			containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			c := containers[0].(map[string]any)
			c["args"] = append(c["args"].([]any), "--kv-cache-usage-percentage-metric=vllm:gpu_cache_usage_perc", "--model-server-metrics-port=9100")
			_ = unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
		}
	}
	s2 := snapshot(t, corpusDir+"/ok/istio")
	s2.Objects = s.Objects
	r = Walk(context.Background(), Input{Snapshot: s2, Scope: "all namespaces", Pods: portAware{old, 9100}})
	if st := stepsNamed(r, "pods serve")[0]; st.Status != Passed || !strings.Contains(st.Name, "on port 9100") {
		t.Errorf("%+v", st)
	}
}

// portAware answers only on one port.
type portAware struct {
	base string
	port int32
}

func (p portAware) GetPod(ctx context.Context, pod *corev1.Pod, port int32, path string) (*PodResponse, error) {
	if port != p.port {
		return &PodResponse{Status: 404}, nil
	}
	return loopback{pod.Name: p.base}.GetPod(ctx, pod, port, path)
}

// The API server's own answers through the pod proxy are told from the pod's.
func TestProxyError(t *testing.T) {
	status := func(code int, reason, msg string) []byte {
		return []byte(fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code))
	}
	for _, tc := range []struct {
		code int
		body []byte
		want error
		text string
	}{
		{403, status(403, "Forbidden", `pods "p" is forbidden: User "u" cannot get resource "pods/proxy"`), ErrForbidden, `User "u"`},
		{503, status(503, "ServiceUnavailable", "error trying to reach service: dial tcp 10.0.0.1:8000: connect: connection refused"), ErrNotListening, "dial tcp 10.0.0.1:8000"},
		{404, status(404, "NotFound", `pods "p" not found`), nil, "the API server answered 404 NotFound"},
		{404, []byte("404 page not found"), nil, ""},
		{503, []byte(`{"error":"loading"}`), nil, ""},
		{200, status(200, "", "ok"), nil, ""},
	} {
		err := proxyError(tc.code, tc.body)
		switch {
		case tc.text == "" && err != nil:
			t.Errorf("%d %s: %v, want the pod's own answer", tc.code, tc.body, err)
		case tc.text != "" && (err == nil || !strings.Contains(err.Error(), tc.text)):
			t.Errorf("%d %s: %v, want %q", tc.code, tc.body, err, tc.text)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%d: %v is not %v", tc.code, err, tc.want)
		}
	}
}
