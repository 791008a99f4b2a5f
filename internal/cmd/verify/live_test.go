package verify

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/igw-dev/igw/internal/requestpath"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

// gateway stands in for a Gateway's data plane on loopback: it records each request and answers
// what the test sets.
type gateway struct {
	mu      sync.Mutex
	code    int
	body    string
	headers map[string]string
	got     []*http.Request
	bodies  []string
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got, g.bodies = append(g.got, r), append(g.bodies, string(b))
	for k, v := range g.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(g.code)
	io.WriteString(w, g.body)
}

func (g *gateway) answer(code int, body string, headers map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.code, g.body, g.headers, g.got, g.bodies = code, body, headers, nil, nil
}

// A working path: every step passes, the pods answer through the API server's pod proxy with
// vLLM's metrics, and the probe through the Gateway gets 200 from a pod.
func TestHealthy(t *testing.T) {
	ip := bed.PodIP
	port := standin.Serve(t, ip, standin.ModelServer(standin.VLLMMetrics))
	gw := &gateway{}
	gwPort := standin.Serve(t, "127.0.0.1", gw)
	gw.answer(200, `{"choices":[{"text":"Hello"}]}`, map[string]string{"x-gateway-destination-endpoint-served": fmt.Sprintf("%s:%d", ip, port)})
	fixture{ns: "healthy", targetPorts: []int{port}, gatewayPort: gwPort, pickerReplicas: 2}.apply(t, ip)

	stdout, stderr, code, err := run(t, bed.Config, "pool", "-n", "healthy", "--probe")
	if code != 0 || stderr != "Verified 1 InferencePool in namespace healthy: 13 passed, 0 failed, 0 not run.\n" {
		t.Errorf("exit %d (%v), stderr %q", code, err, stderr)
	}
	golden(t, "healthy", stdout, ip, "POD_IP", fmt.Sprint(port), "PORT", fmt.Sprint(gwPort), "GATEWAY_PORT")
	if len(gw.got) != 1 || gw.got[0].Host != "llm.example.com" || gw.got[0].URL.Path != "/v1/completions" ||
		!strings.Contains(gw.bodies[0], `"model":"meta-llama/Llama-3.1-8B-Instruct"`) {
		t.Errorf("the gateway got %v %v", gw.got, gw.bodies)
	}
	stdout, _, _, _ = run(t, bed.Config, "healthy/pool", "-o", "json")
	r := decode(t, stdout)
	if r.Summary != (requestpath.Summary{Passed: 12}) || r.Sections[1].Pool.Name != "pool" {
		t.Errorf("JSON summary %+v", r.Summary)
	}
	if st := step(t, r, "pods serve the model server's metrics"); !strings.Contains(st.Detail, "vllm, waiting 0, running 0, KV cache 12%, LoRA lora-a") {
		t.Errorf("metrics step %+v", st)
	}
}

// A broken path fails where it breaks, with the analyzers' codes: the picker scaled to 0, a
// target port nobody listens on, one whose server speaks no model server metrics.
func TestBroken(t *testing.T) {
	ip := bed.PodIP
	good := standin.Serve(t, ip, standin.ModelServer(standin.VLLMMetrics))
	notModel := standin.Serve(t, ip, standin.ModelServer("# TYPE go_goroutines gauge\ngo_goroutines 7\n"))
	closed := closedPort(t, ip)
	fixture{ns: "broken", targetPorts: []int{good, notModel, closed}, gatewayPort: 80, pickerReplicas: 0}.apply(t, ip)

	stdout, _, code, _ := run(t, bed.Config, "-n", "broken")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	golden(t, "broken", stdout, ip, "POD_IP", fmt.Sprint(good), "PORT", fmt.Sprint(notModel), "GO_PORT", fmt.Sprint(closed), "CLOSED_PORT")
	stdout, _, _, _ = run(t, bed.Config, "-n", "broken", "-o", "json")
	r := decode(t, stdout)
	for prefix, want := range map[string]requestpath.Status{
		"endpoint picker Deployment available":                                    requestpath.Failed,
		"endpoint picker Service pool-epp":                                        requestpath.Failed,
		fmt.Sprintf("pods listen on port %d ", good):                              requestpath.Passed,
		fmt.Sprintf("pods listen on port %d ", closed):                            requestpath.Failed,
		fmt.Sprintf("pods serve the model server's metrics on port %d", notModel): requestpath.Failed,
		fmt.Sprintf("pods serve the model server's metrics on port %d", closed):   requestpath.NotRun,
	} {
		if st := step(t, r, prefix); st.Status != want {
			t.Errorf("%s: %s (%s), want %s", prefix, st.Status, st.Detail, want)
		}
	}
	if st := step(t, r, "endpoint picker Deployment available"); st.Code != "IGW1115" {
		t.Errorf("picker step code %q", st.Code)
	}
}

// closedPort is a port of ip nothing listens on (one just let go).
func closedPort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Steps a user may not run are "not run" with the API server's reason, never "passed": pods
// without list rights, pods/proxy without get rights.
func TestNotRun(t *testing.T) {
	ip := bed.PodIP
	port := standin.Serve(t, ip, standin.ModelServer(standin.VLLMMetrics))
	fixture{ns: "rbac", targetPorts: []int{port}, gatewayPort: 80, pickerReplicas: 1}.apply(t, ip)
	for _, tc := range []struct {
		user, cannot string
		notRun       []string
		why          string
	}{
		{"no-pods", "pods", []string{"model server pods selected and Ready", "pods listen on port", "pods serve the model server's metrics"}, `cannot list resource "pods"`},
		{"no-proxy", "pods/proxy", []string{"pods listen on port", "pods serve the model server's metrics"}, "RBAC forbids get pods/proxy"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			user, err := bed.Environment.AddUser(envtest.User{Name: tc.user}, nil)
			if err != nil {
				t.Fatal(err)
			}
			standin.ApplyT(t, bed.Config, standin.Options{}, standin.Reader(tc.user, "", tc.cannot))
			stdout, _, code, _ := run(t, user.Config(), "-n", "rbac", "-o", "json")
			r := decode(t, stdout)
			for _, prefix := range tc.notRun {
				if st := step(t, r, prefix); st.Status != requestpath.NotRun || !strings.Contains(st.Detail, tc.why) {
					t.Errorf("%s: %s %q", prefix, st.Status, st.Detail)
				}
			}
			if code != 0 || r.Summary.Failed != 0 {
				t.Errorf("exit %d, %+v", code, r.Summary)
			}
		})
	}
}

// One LIST per kind, and besides them only the pods' metrics through the pod proxy.
func TestRequests(t *testing.T) {
	ip := bed.PodIP
	port := standin.Serve(t, ip, standin.ModelServer(standin.VLLMMetrics))
	fixture{ns: "count", targetPorts: []int{port}, gatewayPort: 80, pickerReplicas: 1}.apply(t, ip)
	var n standin.Counter
	if _, _, code, err := run(t, n.Config(bed.Config), "-n", "count"); code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	lists, others := n.Collections()
	for path, pages := range lists {
		if pages != 1 {
			t.Errorf("%s listed %d times", path, pages)
		}
	}
	if len(others) != 2 {
		t.Errorf("besides LISTs: %v", others)
	}
	for _, r := range others {
		if r.Method != "GET" || !strings.HasSuffix(r.Path, fmt.Sprintf(":%d/proxy/metrics", port)) {
			t.Errorf("unexpected request %s", r)
		}
	}
}

// An unreachable cluster: exit 3. A pool that is not there: a failed step naming the others.
func TestCannotRun(t *testing.T) {
	cfg := rest.CopyConfig(bed.Config)
	cfg.Host = "https://127.0.0.1:1"
	if _, _, code, err := run(t, cfg); code != 3 || !strings.Contains(fmt.Sprint(err), "cluster unreachable") {
		t.Errorf("unreachable: exit %d, %v", code, err)
	}
	standin.ApplyT(t, bed.Config, standin.Options{}, fixture{ns: "other", targetPorts: []int{8000}, gatewayPort: 80, pickerReplicas: 1}.objects())
	stdout, _, code, _ := run(t, bed.Config, "nope", "-n", "other")
	if code != 1 || !strings.Contains(stdout, "FAILED   InferencePool nope exists: not found in namespace other") || !strings.Contains(stdout, "fix: name one of the pools of namespace other: other/pool") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// --probe against a stand-in Gateway on loopback: each classic answer is explained, and the
// request carries what the route matches (host, path, the model a model header rule names).
func TestProbe(t *testing.T) {
	gw := &gateway{}
	gwPort := standin.Serve(t, "127.0.0.1", gw)
	fixture{ns: "probe", targetPorts: []int{8000}, gatewayPort: gwPort, pickerReplicas: 1, modelHeader: "qwen"}.apply(t, "10.0.0.1")
	for _, tc := range []struct {
		code    int
		body    string
		headers map[string]string
		status  requestpath.Status
		detail  string
	}{
		{200, `{"choices":[]}`, map[string]string{"x-gateway-destination-endpoint-served": "10.0.0.1:8000", "x-gateway-inference-model": "qwen"}, requestpath.Passed,
			"200 OK in DURATION; answered by pod vllm-0 (10.0.0.1:8000); the route saw x-gateway-inference-model: qwen"},
		{404, "", nil, requestpath.Failed, "404 Not Found in DURATION: no route matched: the route matches x-gateway-inference-model, which only a body router sets from the body"},
		{404, `{"object":"error","message":"The model qwen does not exist."}`, nil, requestpath.Failed, "the model server does not serve model qwen"},
		{500, "fault filter abort", nil, requestpath.Failed, "the gateway has no backend for the route (fault filter abort)"},
		{500, "", nil, requestpath.Failed, "the endpoint picker is down or failed"},
		{503, "no healthy upstream", nil, requestpath.Failed, "no healthy upstream: no Ready pod"},
		{503, "upstream connect error or disconnect/reset before headers", nil, requestpath.Failed, "could not connect to the picked pod"},
		{429, "system saturated, sheddable request dropped", nil, requestpath.Failed, "shed: the pool is saturated"},
	} {
		t.Run(fmt.Sprint(tc.code, " ", tc.body), func(t *testing.T) {
			gw.answer(tc.code, tc.body, tc.headers)
			stdout, _, code, _ := run(t, bed.Config, "pool", "-n", "probe", "--probe", "-o", "json")
			st := step(t, decode(t, stdout), "probe POST http://127.0.0.1:")
			if st.Status != tc.status || !strings.Contains(durations.ReplaceAllString(st.Detail, "in DURATION"), tc.detail) {
				t.Errorf("%s: %q, want %s containing %q", st.Status, st.Detail, tc.status, tc.detail)
			}
			// (The pods at 10.0.0.1, to which the namespace has no route, do not answer the pod
			// checks, so only a failed probe says something about the exit status.)
			if tc.status == requestpath.Failed && code != 1 {
				t.Errorf("exit %d", code)
			}
			if len(gw.got) != 1 || gw.got[0].Method != "POST" || gw.got[0].URL.Path != "/v1/completions" || gw.got[0].Host != "llm.example.com" ||
				gw.got[0].Header.Get("x-gateway-inference-model") != "" || !strings.Contains(gw.bodies[0], `"model":"qwen"`) {
				t.Errorf("the gateway got %v %q", gw.got, gw.bodies)
			}
		})
	}
}
