package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// request is one request a check sends through a Gateway.
type request struct {
	gateway string
	host    string
	path    string
	headers map[string]string
	// body, when set, makes the request a POST of this JSON.
	body string
}

func (r request) String() string {
	method := "GET"
	if r.body != "" {
		method = "POST"
	}
	s := fmt.Sprintf("%s %s (Gateway %s)", method, r.path, r.gateway)
	if r.host != "" {
		s += " Host " + r.host
	}
	keys := make([]string, 0, len(r.headers))
	for k := range r.headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s += fmt.Sprintf(" %s: %s", k, r.headers[k])
	}
	return s
}

// response is what came back: the status, and what the echo server says about itself.
type response struct {
	status    int
	pod       string
	namespace string
	httpPort  string
	header    http.Header
}

func (r response) String() string {
	if r.pod == "" {
		return fmt.Sprintf("status %d, not from an echo pod", r.status)
	}
	s := fmt.Sprintf("status %d from pod %s/%s", r.status, r.namespace, r.pod)
	if r.httpPort != "" {
		s += " port " + r.httpPort
	}
	if v := r.header.Get(ServedEndpointHeader); v != "" {
		s += fmt.Sprintf(", %s: %s", ServedEndpointHeader, v)
	}
	return s
}

func (s *Suite) send(ctx context.Context, r request) (response, error) {
	addr, ok := s.addrs[r.gateway]
	if !ok {
		return response{}, fmt.Errorf("no address known for Gateway %s", r.gateway)
	}
	method, body := http.MethodGet, io.Reader(nil)
	if r.body != "" {
		method, body = http.MethodPost, strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+r.path, body)
	if err != nil {
		return response{}, err
	}
	if r.host != "" {
		req.Host = r.host
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	out := response{status: resp.StatusCode, header: resp.Header}
	var echo map[string]any
	if json.Unmarshal(b, &echo) == nil {
		str := func(k string) string {
			if v, ok := echo[k]; ok && v != nil {
				return fmt.Sprint(v)
			}
			return ""
		}
		out.pod, out.namespace, out.httpPort = str("pod"), str("namespace"), str("httpPort")
	}
	return out, nil
}

// expect is what a check wants of one answer.
type expect struct {
	// status is any of these; none means 200.
	status []int
	// podPrefix, namespace: the echo pod's name starts with it, and its namespace.
	podPrefix string
	namespace string
	// pods, when set, are the only pods that may answer.
	pods []string
	// served is the x-conformance-test-served-endpoint the picker must report.
	served string
}

// mismatch describes how r fails e; "" when it does not.
func (e expect) mismatch(r response) string {
	statuses := e.status
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	switch {
	case !slices.Contains(statuses, r.status):
		return fmt.Sprintf("status %d, want %v", r.status, statuses)
	case e.podPrefix != "" && !strings.HasPrefix(r.pod, e.podPrefix):
		return fmt.Sprintf("served by pod %q, want a pod named %s-*", r.pod, e.podPrefix)
	case e.namespace != "" && r.namespace != e.namespace:
		return fmt.Sprintf("served from namespace %q, want %s", r.namespace, e.namespace)
	case len(e.pods) > 0 && !slices.Contains(e.pods, r.pod):
		return fmt.Sprintf("served by pod %q, which the picker was not allowed to choose (allowed: %s)", r.pod, strings.Join(e.pods, ", "))
	case e.served != "" && r.header.Get(ServedEndpointHeader) != e.served:
		return fmt.Sprintf("%s %q, want %q (the endpoint the gateway says it served, as the picker reports it)", ServedEndpointHeader, r.header.Get(ServedEndpointHeader), e.served)
	}
	return ""
}

// eventually sends req until RequiredConsecutiveSuccesses answers in a row meet want, within
// MaxTimeToConsistency, as upstream's eventually-consistent request helper does.
func (s *Suite) eventually(ctx context.Context, req request, want expect) error {
	t := s.cfg.Timeouts
	streak := 0
	var last []string
	saw, err := poll(ctx, t.GatewayObjectPollInterval, t.MaxTimeToConsistency, func(ctx context.Context) (bool, string, error) {
		r, err := s.send(ctx, req)
		what := ""
		if err != nil {
			what = err.Error()
		} else if m := want.mismatch(r); m != "" {
			what = r.String() + ": " + m
		}
		if what != "" {
			streak = 0
			last = append(last, what)
			if len(last) > 3 {
				last = last[1:]
			}
			return false, strings.Join(last, "\n        "), nil
		}
		streak++
		return streak >= t.successes(), "", nil
	})
	return s.mismatch(err, req.String(), wantString(want), saw, t.MaxTimeToConsistency)
}

func wantString(e expect) string {
	var parts []string
	if len(e.status) == 0 {
		parts = append(parts, "status 200")
	} else {
		parts = append(parts, fmt.Sprintf("status in %v", e.status))
	}
	if e.podPrefix != "" {
		parts = append(parts, "from a pod named "+e.podPrefix+"-*")
	}
	if len(e.pods) > 0 {
		parts = append(parts, "from one of "+strings.Join(e.pods, ", "))
	}
	if e.served != "" {
		parts = append(parts, fmt.Sprintf("with %s: %s", ServedEndpointHeader, e.served))
	}
	return strings.Join(parts, ", ")
}

// many sends n requests made by mk, concurrency at a time, and returns every answer (an error
// stands for the first failed send).
func (s *Suite) many(ctx context.Context, n, concurrency int, mk func(i int) request) ([]response, error) {
	out := make([]response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = s.send(ctx, mk(i))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("request %d of %d: %w", i+1, n, err)
		}
	}
	return out, nil
}

// pod is a Ready pod of the app namespace.
type pod struct{ name, ip string }

// readyPods lists the Ready pods with label app=app, by name.
func (s *Suite) readyPods(ctx context.Context, app string) ([]pod, error) {
	items, err := s.list(ctx, gvrPod, AppNamespace, "app="+app)
	if err != nil {
		return nil, err
	}
	var pods []pod
	for _, p := range items {
		conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
		ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP")
		if findCondition(conds, "Ready").status == "True" && ip != "" && p.GetDeletionTimestamp() == nil {
			pods = append(pods, pod{p.GetName(), ip})
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].name < pods[j].name })
	if len(pods) == 0 {
		return nil, fmt.Errorf("no Ready pods with app=%s in %s (look at: kubectl get pods -n %s -l app=%s)", app, AppNamespace, AppNamespace, app)
	}
	return pods, nil
}
