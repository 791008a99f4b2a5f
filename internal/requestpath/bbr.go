package requestpath

import (
	"fmt"
	"sort"
	"strings"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// Body based routing, when a route to the pool matches a header only a body router sets: the
// router in front of the Gateway, running, setting that header, with valid adapter ConfigMaps.

// modelHeaders are the body router headers the routes to the pool match.
func (w *poolWalk) modelHeaders() []string {
	seen := map[string]bool{}
	for _, rt := range w.p.Routes {
		for _, r := range rt.Rules {
			for _, m := range r.Matches {
				if m.ModelHeader != "" {
					seen[m.ModelHeader] = true
				}
			}
		}
	}
	var out []string
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func (w *poolWalk) bodyRouterSteps() []Step {
	headers := w.modelHeaders()
	if len(headers) == 0 {
		return nil
	}
	var steps []Step
	for _, gw := range w.p.Gateways {
		steps = append(steps, w.inFrontStep(gw))
	}
	return append(steps, w.routerRunningStep(), w.headersStep(headers), w.adaptersStep())
}

func (w *poolWalk) inFrontStep(gw diag.GatewayPath) Step {
	key := gw.Gateway.GetNamespace() + "/" + gw.Gateway.GetName()
	name := "body router in front of Gateway " + key
	var fs []diag.Finding
	for _, rt := range w.p.Routes {
		fs = append(fs, gatewayFindings(w.fs.about("HTTPRoute", rt.Route.GetNamespace(), rt.Route.GetName(), diag.BBRNotInFront, diag.BBRNoHook), key)...)
	}
	st := fromFindings(name, "its glue for "+or(gw.Provider, "the provider")+" calls the body router before route matching", fs)
	if st.Status == Passed && !gw.HasBodyRouterHop {
		return notRun(name, "the objects that would put a body router in front of it could not be read in namespace "+gw.Gateway.GetNamespace())
	}
	return st
}

func (w *poolWalk) routerRunningStep() Step {
	const name = "body router running"
	if why := w.s.Unlisted[gkDeployment]; why != "" {
		return notRun(name, "could not list deployments: "+why)
	}
	if len(w.p.BodyRouters) == 0 {
		return failed(name, "no body router Deployment (bbr, upstream BBR, the payload processor) in the cluster", "install bbr with the glue for the Gateway's provider: igwctl install bbr --provider istio|gke|agentgateway")
	}
	var up, down []string
	for _, br := range w.p.BodyRouters {
		d := br.Deployment
		text := fmt.Sprintf("Deployment %s/%s: %d of %d available", d.GetNamespace(), d.GetName(), br.Available, br.Replicas)
		if br.HasStatus && br.Available == 0 {
			down = append(down, text)
		} else {
			up = append(up, text)
		}
	}
	if len(up) == 0 {
		return failed(name, strings.Join(down, "; "), "see why its pods do not start: kubectl describe deployment, kubectl logs")
	}
	st := passed(name, strings.Join(up, "; "))
	st.Notes = down
	return st
}

func (w *poolWalk) headersStep(headers []string) Step {
	name := "body router sets " + strings.Join(headers, ", ")
	var fs []diag.Finding
	for _, rt := range w.p.Routes {
		fs = append(fs, w.fs.about("HTTPRoute", rt.Route.GetNamespace(), rt.Route.GetName(), diag.BBRHeaderNotSet, diag.BBRDuplicateMatch, diag.BaseModelUnknown)...)
	}
	if len(w.p.BodyRouters) == 0 {
		return notRun(name, "no body router to read the headers of")
	}
	return fromFindings(name, "routes match headers the deployed body router sets", fs)
}

func (w *poolWalk) adaptersStep() Step {
	const name = "adapter ConfigMaps valid"
	if why := unlisted(w.s, gkConfigMap, w.ns); why != "" {
		return notRun(name, why)
	}
	fs := w.fs.ofCodes(diag.AdapterConfigMapInvalid, diag.AdapterTwoBaseModels)
	n := 0
	for _, u := range w.s.OfKind(gkConfigMap) {
		if u.GetNamespace() == w.ns {
			n++
		}
	}
	return fromFindings(name, fmt.Sprintf("%d in namespace %s", n, w.ns), fs)
}
