package requestpath

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Prober sends the probe requests from where igwctl runs to the Gateways' addresses.
type Prober struct {
	Client *http.Client
	// Address replaces every Gateway's address and port (HOST:PORT), e.g. a kubectl port-forward.
	Address string
}

// NewProber returns a prober whose requests give up after timeout. HTTPS listeners are probed
// without verifying their certificate: the probe asks whether the path works, not who signed it.
func NewProber(timeout time.Duration, address string) *Prober {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	tr.Proxy = nil
	return &Prober{Client: &http.Client{Timeout: timeout, Transport: tr}, Address: address}
}

// The response headers that say which endpoint the picker chose, and the model headers a body
// router set, when a gateway or server echoes them.
var (
	endpointHeaders = []string{"x-gateway-destination-endpoint-served", "x-gateway-destination-endpoint", "x-inference-pod"}
	modelHeaders    = []string{"x-gateway-inference-model", "x-gateway-model-name", "x-gateway-base-model-name"}
)

// run sends one completion and judges the answer.
func (p *Prober) run(ctx context.Context, w *poolWalk, scheme, addr string, t target) Step {
	url := scheme + "://" + addr + t.path
	name := fmt.Sprintf("probe POST %s model %s", url, t.model)
	if t.host != "" {
		name += " host " + t.host
	}
	if hs := sortedHeaders(t.headers); len(hs) > 0 {
		name += " with " + strings.Join(hs, ", ")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(completionBody(t)))
	if err != nil {
		return failed(name, err.Error(), "")
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	if t.host != "" {
		req.Host = t.host
	}
	start := time.Now()
	resp, err := p.Client.Do(req)
	took := fmt.Sprintf("%.1fms", float64(time.Since(start).Microseconds())/1000)
	if err != nil {
		return failed(name, fmt.Sprintf("no answer after %s: %v", took, err),
			"check that this machine can reach the Gateway's address (a LoadBalancer address may be private): kubectl port-forward to the Gateway's Service and verify --probe --address localhost:PORT")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	detail := fmt.Sprintf("%s in %s", resp.Status, took)
	for _, h := range endpointHeaders {
		if v := resp.Header.Get(h); v != "" {
			detail += "; answered by " + w.podAt(v)
			break
		}
	}
	for _, h := range modelHeaders {
		if v := resp.Header.Get(h); v != "" {
			detail += "; the route saw " + h + ": " + v
		}
	}
	if resp.StatusCode/100 == 2 {
		return passed(name, detail)
	}
	meaning, fix := failureMeaning(resp.StatusCode, string(body), t)
	return failed(name, detail+": "+meaning, fix)
}

func completionBody(t target) []byte {
	body := map[string]any{"model": t.model, "max_tokens": 1}
	if strings.HasSuffix(t.path, "/chat/completions") {
		body["messages"] = []any{map[string]any{"role": "user", "content": "Say hello."}}
	} else {
		body["prompt"] = "Say hello."
	}
	b, _ := json.Marshal(body)
	return b
}

// failureMeaning says what a gateway's error status means on this path, and the fix.
func failureMeaning(code int, body string, t target) (meaning, fix string) {
	lower := strings.ToLower(body)
	switch {
	case code == http.StatusNotFound && strings.Contains(lower, "does not exist"):
		return "the model server does not serve model " + t.model + ": " + firstLine(body),
			"send a model the server serves (its --served-model-name), or map the adapter in bbr's adapter ConfigMaps"
	case code == http.StatusNotFound && t.modelHeader != "":
		return "no route matched: the route matches " + t.modelHeader + ", which only a body router sets from the body",
			"check the body router steps above: bbr must run in front of the Gateway and set " + t.modelHeader
	case code == http.StatusNotFound:
		return "no route matched the request's host, path and headers", "check the route's hostnames and matches against the request above, and that the route is accepted"
	case code == http.StatusInternalServerError && strings.Contains(lower, "fault filter abort"):
		return "the gateway has no backend for the route (fault filter abort): a backendRef it could not resolve, or every weight 0",
			"see the route's ResolvedRefs step above"
	case code == http.StatusInternalServerError:
		return "the endpoint picker is down or failed (the gateway's ext_proc call failed and failureMode FailClose fails the request)",
			"see the endpoint picker steps above, and its logs (kubectl logs deployment/PICKER)"
	case code == http.StatusServiceUnavailable && strings.Contains(lower, "upstream connect error"):
		return "the gateway could not connect to the picked pod: nothing listens on the target port", "see the pods' port steps above"
	case code == http.StatusServiceUnavailable:
		return "no healthy upstream: no Ready pod to send the request to", "see the pod steps above (kubectl describe pod)"
	case code == http.StatusTooManyRequests:
		return "shed: the pool is saturated and the picker dropped the request (sheddable priority)",
			"add model server replicas, or give the request's InferenceObjective a higher priority"
	case code == http.StatusBadGateway:
		return "bad gateway: the pod reset or refused the connection", "see the pods' port steps above, and the model server's logs"
	case code == http.StatusBadRequest:
		return "the request was refused: " + firstLine(body), "the picker requires model and prompt (or messages) in the body"
	}
	return firstLine(body), ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
