package kube

import "testing"

func TestAPIProxyURLs(t *testing.T) {
	p := &APIProxy{Host: "https://api.example.com/prefix"}
	if got, want := p.PodURL("llm", "vllm-0", 8000, "/metrics"), "https://api.example.com/prefix/api/v1/namespaces/llm/pods/vllm-0:8000/proxy/metrics"; got != want {
		t.Errorf("pod: %s, want %s", got, want)
	}
	if got, want := p.ServiceURL("llm", "epp", 9090, "metrics"), "https://api.example.com/prefix/api/v1/namespaces/llm/services/epp:9090/proxy/metrics"; got != want {
		t.Errorf("service: %s, want %s", got, want)
	}
}

func TestParseProxyStatus(t *testing.T) {
	status := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"error trying to reach service: dial tcp 10.0.0.1:8000: connect: connection refused","reason":"ServiceUnavailable","code":503}`
	st, ok := ParseProxyStatus(503, []byte(status))
	cause, unreachable := st.Unreachable()
	if !ok || st.Code != 503 || st.Reason != "ServiceUnavailable" || !unreachable || cause != "dial tcp 10.0.0.1:8000: connect: connection refused" {
		t.Errorf("%+v %v, unreachable %v %q", st, ok, unreachable, cause)
	}
	for _, tc := range []struct {
		code int
		body string
	}{{503, `{"error":"loading"}`}, {404, "404 page not found"}, {200, status}} {
		if _, ok := ParseProxyStatus(tc.code, []byte(tc.body)); ok {
			t.Errorf("%d %s: read as the API server's own answer", tc.code, tc.body)
		}
	}
}
