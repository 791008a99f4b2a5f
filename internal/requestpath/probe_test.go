package requestpath

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// The probes of a pool: one per rule and match that sends to it, the model its model header
// match names (the pods' model otherwise), with the match's path and other headers and the
// route's host.
func TestProbeTargets(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model    string
			Prompt   string
			Messages []any
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		mu.Lock()
		got = append(got, r.Host+" "+r.URL.Path+" "+body.Model+" "+r.Header.Get("x-tenant")+" "+
			map[bool]string{true: "chat", false: "prompt"}[len(body.Messages) > 0])
		mu.Unlock()
	}))
	defer srv.Close()
	s := snapshot(t, corpusDir+"/ok/istio-bbr", "testdata/routes.yaml")
	r := Walk(context.Background(), Input{Snapshot: s, Namespace: "default", Name: "vllm-qwen", Scope: "namespace default",
		Probe: &Prober{Client: srv.Client(), Address: strings.TrimPrefix(srv.URL, "http://")}})
	want := []string{
		"llm.example.com /v1/completions Qwen/Qwen2.5-1.5B-Instruct  prompt",
		"llm.example.com /v1/completions qwen-coder  prompt",
		// Without pods to read a model from (offline), the pool's name stands for it.
		"llm.example.com /v2/v1/completions vllm-qwen a prompt",
		"llm.example.com /v1/chat/completions vllm-qwen  chat",
	}
	probes := stepsNamed(r, "probe ")
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(probes) != 4 || probes[0].Status != Passed {
		var b bytes.Buffer
		r.WriteText(&b)
		t.Errorf("requests:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), b.String())
	}
}

// What each classic failure means on the path.
func TestFailureMeaning(t *testing.T) {
	for _, tc := range []struct {
		code        int
		body, model string
		want        string
	}{
		{404, "", "", "no route matched the request's host, path and headers"},
		{404, "", "x-gateway-inference-model", "which only a body router sets"},
		{404, `{"message":"The model m does not exist."}`, "", "does not serve model m"},
		{500, "fault filter abort", "", "fault filter abort"},
		{500, "", "", "endpoint picker is down or failed"},
		{503, "no healthy upstream", "", "no healthy upstream"},
		{503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", "", "nothing listens on the target port"},
		{429, "", "", "shed"},
		{502, "", "", "bad gateway"},
		{400, "model not found in request body", "", "model not found in request body"},
		{418, "I'm a teapot\nsecond line", "", "I'm a teapot"},
	} {
		got, _ := failureMeaning(tc.code, tc.body, target{model: "m", modelHeader: tc.model})
		if !strings.Contains(got, tc.want) || strings.Contains(got, "second line") {
			t.Errorf("%d %q: %q, want %q", tc.code, tc.body, got, tc.want)
		}
	}
}

// The text form: one line a step with its status, the fix and notes under a failed one, the
// code of a step that did not pass, and the counts.
func TestWriteText(t *testing.T) {
	r := &Report{Sections: []Section{{Title: "InferencePool a/b", Steps: []Step{
		passed("one", "fine"),
		{Name: "two", Status: Failed, Detail: "broken", Fix: "mend it", Code: diag.PoolPickerUnavailable, Notes: []string{"also this"}},
		notRun("three", "RBAC forbids it"),
	}}}}
	r.count()
	var b strings.Builder
	r.WriteText(&b)
	want := `InferencePool a/b
  passed   one: fine
  FAILED   two: broken [IGW1115]
           fix: mend it
           note: also this
  not run  three: RBAC forbids it
1 passed, 1 failed, 1 not run
`
	if b.String() != want || !r.Failed() {
		t.Errorf("%s", b.String())
	}
}
