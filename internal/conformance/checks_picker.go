package conformance

import (
	"context"
	"fmt"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
)

// completion is the body the picker checks send, an OpenAI-style request as a model server gets.
const completion = `{"model":"conformance-fake-model","prompt":"Write as if you were a critic: San Francisco"}`

// pickerRoute applies a route on gw to pool and waits until it and the pool are accepted.
func (s *Suite) pickerRoute(ctx context.Context, route, gw, host, path, pool string) error {
	var hosts []string
	if host != "" {
		hosts = []string{host}
	}
	if err := s.use(ctx, httpRoute(route, gw, hosts, rule{path, []backend{{pool: pool}}})); err != nil {
		return err
	}
	return s.routeAndPoolsOK(ctx, route, gw, pool)
}

// steered waits until a request steered to selection gets a 200 from a pod in it; while the
// gateway answers 404 or 503 (route or endpoints not programmed yet) it retries for
// EPPRoutingRetry, as upstream does.
func (s *Suite) steered(ctx context.Context, req request, want expect) error {
	t := s.cfg.Timeouts
	var wrong error
	saw, err := poll(ctx, t.GatewayObjectPollInterval, t.EPPRoutingRetry, func(ctx context.Context) (bool, string, error) {
		r, err := s.send(ctx, req)
		if err != nil {
			return false, "", err
		}
		if r.status == http.StatusNotFound || r.status == http.StatusServiceUnavailable {
			return false, r.String(), nil
		}
		if m := want.mismatch(r); m != "" {
			// Any other wrong answer is final: retrying is only for a gateway not ready yet.
			wrong = &Failure{What: req.String(), Want: wantString(want), Saw: r.String() + ": " + m}
		}
		return true, "", nil
	})
	if wrong != nil {
		return wrong
	}
	return s.mismatch(err, req.String(), wantString(want), saw, t.EPPRoutingRetry)
}

// load sends n requests, concurrency at a time, and fails on the first answers that miss want.
func (s *Suite) load(ctx context.Context, n, concurrency int, req request, want expect) error {
	rs, err := s.many(ctx, n, concurrency, func(int) request { return req })
	if err != nil {
		return err
	}
	var bad []string
	for i, r := range rs {
		if m := want.mismatch(r); m != "" {
			bad = append(bad, fmt.Sprintf("request %d: %s: %s", i+1, r, m))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Failure{What: fmt.Sprintf("%d requests %s", n, req), Want: "every one " + wantString(want),
		Saw: fmt.Sprintf("%d of %d missed, first: %s", len(bad), n, strings.Join(bad[:min(3, len(bad))], "; "))}
}

func names(pods []pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.name)
	}
	return out
}

func ips(pods []pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.ip)
	}
	return out
}

func followPicker(ctx context.Context, s *Suite) error {
	const route, host, path = "httproute-for-primary-gw", "primary.example.com", "/primary-gateway-test"
	if err := s.pickerRoute(ctx, route, PrimaryGateway, host, path, PrimaryPool); err != nil {
		return err
	}
	pods, err := s.readyPods(ctx, "primary-inference-model-server")
	if err != nil {
		return err
	}
	req := func(sel []pod) request {
		return request{gateway: PrimaryGateway, host: host, path: path, body: completion,
			headers: map[string]string{SelectionHeader: strings.Join(ips(sel), ",")}}
	}
	for _, p := range pods {
		if err := s.steered(ctx, req([]pod{p}), expect{pods: []string{p.name}}); err != nil {
			return lookAt(err, "httproute", route)
		}
	}
	for n := 1; n <= min(3, len(pods)); n++ {
		sel := pods[:n]
		if err := s.load(ctx, 100, 10, req(sel), expect{pods: names(sel)}); err != nil {
			return fmt.Errorf("with %d allowed pods: %w", n, err)
		}
	}
	return nil
}

func followPickerDP(ctx context.Context, s *Suite) error {
	const route, host, path = "httproute-for-primary-gw-dp", "primary.example.com", "/primary-gateway-dp-test"
	if err := s.pickerRoute(ctx, route, PrimaryGateway, host, path, DataParallelism); err != nil {
		return err
	}
	pods, err := s.readyPods(ctx, "dp-inference-model-server")
	if err != nil {
		return err
	}
	if len(pods) < 2 {
		return fmt.Errorf("want at least 2 Ready data-parallel pods, have %d", len(pods))
	}
	hp := func(p pod, port int) string { return net.JoinHostPort(p.ip, fmt.Sprint(port)) }
	cases := []struct {
		tokens  []string
		allowed map[string][]string // pod → ports
	}{
		{[]string{hp(pods[0], 3002)}, map[string][]string{pods[0].name: {"3002"}}},
		{[]string{pods[0].ip}, map[string][]string{pods[0].name: {"3000", "3002", "3004"}}},
		{[]string{hp(pods[0], 3000), hp(pods[1], 3004)}, map[string][]string{pods[0].name: {"3000"}, pods[1].name: {"3004"}}},
	}
	for _, c := range cases {
		req := request{gateway: PrimaryGateway, host: host, path: path, body: completion,
			headers: map[string]string{SelectionHeader: strings.Join(c.tokens, ",")}}
		var allowedPods []string
		for p := range c.allowed {
			allowedPods = append(allowedPods, p)
		}
		slices.Sort(allowedPods)
		if err := s.steered(ctx, req, expect{pods: allowedPods}); err != nil {
			return lookAt(err, "httproute", route)
		}
		rs, err := s.many(ctx, 100, 10, func(int) request { return req })
		if err != nil {
			return err
		}
		for i, r := range rs {
			if r.status != http.StatusOK || !slices.Contains(c.allowed[r.pod], r.httpPort) {
				return &Failure{What: fmt.Sprintf("100 requests %s", req), Want: "every one status 200 from " + allowedString(c.allowed),
					Saw: fmt.Sprintf("request %d: %s", i+1, r)}
			}
		}
	}
	return nil
}

func weightedPools(ctx context.Context, s *Suite) error {
	const route, path = "httproute-weighted-two-pools", "/weighted-two-pools-test"
	if err := s.use(ctx, httpRoute(route, PrimaryGateway, nil, rule{path, []backend{{pool: PrimaryPool, weight: 70}, {pool: SecondaryPool, weight: 30}}})); err != nil {
		return err
	}
	if err := s.routeAndPoolsOK(ctx, route, PrimaryGateway, PrimaryPool, SecondaryPool); err != nil {
		return err
	}
	primary, err := s.readyPods(ctx, "primary-inference-model-server")
	if err != nil {
		return err
	}
	secondary, err := s.readyPods(ctx, "secondary-inference-model-server")
	if err != nil {
		return err
	}
	// Every pod is allowed; each pool's picker keeps to its own pods.
	all := slices.Concat(primary, secondary)
	req := request{gateway: PrimaryGateway, path: path, body: completion, headers: map[string]string{SelectionHeader: strings.Join(ips(all), ",")}}
	if err := s.steered(ctx, req, expect{pods: names(all)}); err != nil {
		return lookAt(err, "httproute", route)
	}
	const n, want = 200, 0.7
	rs, err := s.many(ctx, n, 5, func(int) request { return req })
	if err != nil {
		return err
	}
	fromPrimary := 0
	for i, r := range rs {
		if m := (expect{pods: names(all)}).mismatch(r); m != "" {
			return &Failure{What: fmt.Sprintf("%d requests %s", n, req), Want: "every one status 200 from a pod of either pool", Saw: fmt.Sprintf("request %d: %s: %s", i+1, r, m)}
		}
		if strings.HasPrefix(r.pod, PrimaryPodPrefix) {
			fromPrimary++
		}
	}
	share := float64(fromPrimary) / n
	tolerance := math.Max(0.10, 4.5*math.Sqrt(want*(1-want)/n))
	if math.Abs(share-want) > tolerance {
		return &Failure{What: fmt.Sprintf("%d requests %s", n, req), Want: fmt.Sprintf("%.0f%% to %s, within %.1f points (route weights 70/30)", want*100, PrimaryPool, tolerance*100),
			Saw: fmt.Sprintf("%d to %s (%.1f%%), %d to %s", fromPrimary, PrimaryPool, share*100, n-fromPrimary, SecondaryPool)}
	}
	return nil
}

func destinationServed(ctx context.Context, s *Suite) error {
	const route, path = "httproute-for-destination-endpoint-served", "/destination-endpoint-served-test"
	if err := s.pickerRoute(ctx, route, PrimaryGateway, "", path, PrimaryPool); err != nil {
		return err
	}
	pods, err := s.readyPods(ctx, "primary-inference-model-server")
	if err != nil {
		return err
	}
	for _, p := range pods {
		req := request{gateway: PrimaryGateway, path: path, body: completion, headers: map[string]string{SelectionHeader: p.ip}}
		if err := s.steered(ctx, req, expect{pods: []string{p.name}, served: net.JoinHostPort(p.ip, "3000")}); err != nil {
			return lookAt(err, "httproute", route)
		}
	}
	return nil
}

func appProtocol(ctx context.Context, s *Suite) error {
	cases := []struct {
		route, path, pool, app string
		port                   int
	}{
		{"httproute-for-inferencepool-appprotocol-h2c", "/appprotocol-h2c", AppProtoH2C, "appprotocol-inference-model-server", 3001},
		{"httproute-for-inferencepool-appprotocol-http", "/appprotocol-http", AppProtoHTTP, "appprotocol-inference-model-server", 3000},
		{"httproute-for-inferencepool-appprotocol-default", "/appprotocol-default", PrimaryPool, "primary-inference-model-server", 3000},
	}
	for _, c := range cases {
		if err := s.pickerRoute(ctx, c.route, PrimaryGateway, "", c.path, c.pool); err != nil {
			return err
		}
	}
	for _, c := range cases {
		pods, err := s.readyPods(ctx, c.app)
		if err != nil {
			return err
		}
		for _, p := range pods {
			ep := net.JoinHostPort(p.ip, fmt.Sprint(c.port))
			req := request{gateway: PrimaryGateway, path: c.path, body: completion, headers: map[string]string{SelectionHeader: ep}}
			if err := s.steered(ctx, req, expect{pods: []string{p.name}, served: ep}); err != nil {
				return lookAt(err, "inferencepool", c.pool)
			}
		}
	}
	return nil
}

func failOpen(ctx context.Context, s *Suite) error {
	const route, path = "httproute-for-failopen-pool-gw", "/failopen-pool-test"
	if err := s.pickerRoute(ctx, route, SecondaryGateway, SecondaryHostname, path, SecondaryPool); err != nil {
		return err
	}
	pods, err := s.readyPods(ctx, "secondary-inference-model-server")
	if err != nil {
		return err
	}
	req := request{gateway: SecondaryGateway, host: SecondaryHostname, path: path, body: completion, headers: map[string]string{SelectionHeader: pods[0].ip}}
	if err := s.steered(ctx, req, expect{pods: []string{pods[0].name}}); err != nil {
		return lookAt(err, "httproute", route)
	}
	restore, err := s.pickerUnavailable(ctx, "secondary")
	defer restore()
	if err != nil {
		return err
	}
	return lookAt(s.eventually(ctx, req, expect{podPrefix: SecondaryPodPrefix, namespace: AppNamespace}), "inferencepool", SecondaryPool)
}

// pickerUnavailable points the picker Service of the base pool with prefix at no pods and waits
// until its EndpointSlices hold no ready endpoint. restore puts the Service back.
func (s *Suite) pickerUnavailable(ctx context.Context, prefix string) (restore func(), err error) {
	var original *unstructured.Unstructured
	for _, o := range Base(s.cfg.GatewayClass, s.cfg.Images) {
		if o.GetKind() == "Service" && o.GetName() == pickerService(prefix) {
			original = o
		}
	}
	broken := original.DeepCopy()
	broken.Object["spec"].(map[string]any)["selector"] = map[string]any{"app": prefix + "-epp-unavailable"}
	var ignored []*unstructured.Unstructured
	restore = func() { _ = s.apply(context.WithoutCancel(ctx), &ignored, original) }
	if err := s.apply(ctx, &ignored, broken); err != nil {
		return restore, err
	}
	timeout := s.cfg.Timeouts.ServiceUpdateTimeout
	saw, err := poll(ctx, s.cfg.Timeouts.GatewayObjectPollInterval, timeout, func(ctx context.Context) (bool, string, error) {
		slices, err := s.list(ctx, gvrEndpointSlice, AppNamespace, "kubernetes.io/service-name="+pickerService(prefix))
		if err != nil {
			return false, "", err
		}
		var ready []string
		for _, sl := range slices {
			eps, _ := sl.Object["endpoints"].([]any)
			for _, e := range eps {
				m, _ := e.(map[string]any)
				c, _ := m["conditions"].(map[string]any)
				if r, ok := c["ready"].(bool); !ok || r {
					ready = append(ready, fmt.Sprint(m["addresses"]))
				}
			}
		}
		return len(ready) == 0, "ready endpoints " + strings.Join(ready, ", "), nil
	})
	return restore, lookAt(s.mismatch(err, "Service "+nsName(AppNamespace, pickerService(prefix)), "no ready endpoints once its selector matches no pod", saw, timeout), "endpointslices", "-l kubernetes.io/service-name="+pickerService(prefix))
}

// allowedString lists pods with their allowed ports: "pod-0 port 3000 or 3002; pod-1 port 3004".
func allowedString(allowed map[string][]string) string {
	var parts []string
	for p, ports := range allowed {
		parts = append(parts, p+" port "+strings.Join(ports, " or "))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
