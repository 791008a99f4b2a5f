package requestpath

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// --probe: one real OpenAI-style completion through each of the pool's Gateways, and one per
// model a route to the pool matches on a model header.

// target is one probe request.
type target struct {
	model, host, path string
	headers           map[string]string
	// modelHeader is the body router header the request's route matches, "" when none.
	modelHeader string
}

func (w *poolWalk) probeSteps(ctx context.Context) []Step {
	var steps []Step
	for _, gw := range w.p.Gateways {
		key := gw.Gateway.GetNamespace() + "/" + gw.Gateway.GetName()
		addr, scheme, why := w.in.Probe.address(gw)
		if why != "" {
			steps = append(steps, notRun("probe through Gateway "+key, why))
			continue
		}
		for _, t := range w.targets(gw) {
			steps = append(steps, w.in.Probe.run(ctx, w, scheme, addr, t))
		}
	}
	return steps
}

// address is where to send a probe to gw: --address, else its first address and the port of
// its first HTTP (else HTTPS) listener.
func (p *Prober) address(gw diag.GatewayPath) (addr, scheme, why string) {
	l, ok := probeListener(gw)
	scheme = "http"
	if ok && l.Protocol == "HTTPS" {
		scheme = "https"
	}
	switch {
	case p.Address != "":
		return p.Address, scheme, ""
	case !ok:
		return "", "", "the Gateway has no HTTP or HTTPS listener"
	case len(gw.Addresses) == 0:
		return "", "", "the Gateway has no address (verify --probe --address HOST:PORT sends to one, e.g. a kubectl port-forward)"
	}
	return net.JoinHostPort(gw.Addresses[0], strconv.Itoa(int(l.Port))), scheme, ""
}

func probeListener(gw diag.GatewayPath) (diag.Listener, bool) {
	for _, proto := range []string{"HTTP", "HTTPS"} {
		for _, l := range gw.Listeners {
			if l.Protocol == proto {
				return l, true
			}
		}
	}
	return diag.Listener{}, false
}

// targets are the requests that exercise each rule to the pool on gw: its path, its other header
// matches, and the model its model header match names (the pods' model otherwise).
func (w *poolWalk) targets(gw diag.GatewayPath) []target {
	key := gw.Gateway.GetNamespace() + "/" + gw.Gateway.GetName()
	l, _ := probeListener(gw)
	seen := map[string]bool{}
	var out []target
	for _, rt := range w.p.Routes {
		if !slices.Contains(rt.Gateways, key) {
			continue
		}
		host := concreteHost(append(append([]string(nil), rt.Hostnames...), l.Hostname))
		for _, rule := range rt.Rules {
			matches := rule.Matches
			if len(matches) == 0 {
				matches = []diag.RouteMatch{{PathType: "PathPrefix", PathValue: "/"}}
			}
			for _, m := range matches {
				t := w.target(m, host)
				id := fmt.Sprint(t.model, t.host, t.path, t.headers)
				if !seen[id] {
					seen[id] = true
					out = append(out, t)
				}
			}
		}
	}
	return out
}

func (w *poolWalk) target(m diag.RouteMatch, host string) target {
	t := target{model: w.defaultModel(), host: host, path: completionsPath(m), headers: map[string]string{}}
	for name, v := range m.Headers {
		if name == m.ModelHeader {
			t.model, t.modelHeader = v, name
		} else {
			t.headers[name] = v
		}
	}
	return t
}

// defaultModel is what the pool's pods serve, as their command lines name it.
func (w *poolWalk) defaultModel() string {
	for _, pp := range w.p.Pods {
		if pp.Model != "" {
			return pp.Model
		}
	}
	return w.name
}

// completionsPath is a path the match accepts that a completion endpoint serves.
func completionsPath(m diag.RouteMatch) string {
	switch {
	case m.PathType == "Exact":
		return m.PathValue
	case m.PathValue == "" || m.PathValue == "/":
		return "/v1/completions"
	}
	return strings.TrimSuffix(m.PathValue, "/") + "/v1/completions"
}

// concreteHost is the first host name that is not a wildcard, "" when none is.
func concreteHost(hosts []string) string {
	for _, h := range hosts {
		if h != "" && !strings.HasPrefix(h, "*") {
			return h
		}
	}
	return ""
}

// podAt names the pod at "ip:port" (or "ip"), as a picker writes its pick.
func (w *poolWalk) podAt(endpoint string) string {
	ip := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		ip = h
	}
	for _, pp := range w.p.Pods {
		if pp.Pod.Status.PodIP == ip {
			return "pod " + pp.Pod.Name + " (" + endpoint + ")"
		}
	}
	return endpoint
}

func sortedHeaders(h map[string]string) []string {
	var out []string
	for k, v := range h {
		out = append(out, k+": "+v)
	}
	sort.Strings(out)
	return out
}
