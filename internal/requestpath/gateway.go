package requestpath

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// The front of the path: the routes to the pool, their Gateways and classes, the statuses the
// gateways wrote for the routes and the pool.

// routesStep: some HTTPRoute sends traffic to the pool.
func (w *poolWalk) routesStep() {
	const name = "HTTPRoutes send traffic to the pool"
	if why := unlisted(w.s, gkHTTPRoute, w.ns); why != "" {
		w.add(notRun(name, why))
		return
	}
	if len(w.p.Routes) == 0 {
		fs := append(w.fs.about("InferencePool", w.ns, w.name, diag.PoolUnused),
			w.fs.mentioning(w.ns+"/"+w.name, diag.RoutePoolGroupMismatch, diag.RoutePoolAsService)...)
		st := fromFindings(name, "", fs)
		if st.Status == Passed {
			// A warning (IGW1109) or nothing: either way no route sends traffic here.
			st = failed(name, "no HTTPRoute has a backendRef to the pool", "add a backendRef {group: inference.networking.k8s.io, kind: InferencePool, name: "+w.name+"} to an HTTPRoute")
			st.Code = diag.PoolUnused
		}
		w.add(st)
		return
	}
	var names []string
	for _, rt := range w.p.Routes {
		names = append(names, "HTTPRoute "+rt.Route.GetNamespace()+"/"+rt.Route.GetName())
	}
	w.add(passed(name, strings.Join(names, ", ")))
}

// missingGatewaySteps: the Gateways the routes name exist.
func (w *poolWalk) missingGatewaySteps() {
	for _, rt := range w.p.Routes {
		for _, f := range w.fs.about("HTTPRoute", rt.Route.GetNamespace(), rt.Route.GetName(), diag.RouteGatewayMissing) {
			st := fromFindings("the route's Gateway exists", "", []diag.Finding{f})
			w.add(st)
		}
	}
}

func (w *poolWalk) classStep(gw diag.GatewayPath) Step {
	name := "GatewayClass " + gw.Class + " accepted"
	if why := unlisted(w.s, gkGatewayClass, ""); why != "" {
		return notRun(name, why)
	}
	g := gw.Gateway
	fs := w.fs.about("Gateway", g.GetNamespace(), g.GetName(), diag.GatewayClassMissing)
	fs = append(fs, w.fs.about("GatewayClass", "", gw.Class, diag.GatewayClassNotAccepted)...)
	fs = append(fs, w.switchFindings(gw.Provider)...)
	st := fromFindings(name, "controller "+gw.Controller, fs)
	if st.Status == Passed && gw.ClassFound && condition(gw.ClassConditions, "Accepted") == nil {
		return failed(name, "its status has no Accepted condition: no controller has taken the class", "start the controller named in spec.controllerName ("+gw.Controller+"), or install its provider: igwctl install provider NAME")
	}
	return st
}

// switchFindings are the findings that the Gateway's provider runs without inference support.
func (w *poolWalk) switchFindings(provider string) []diag.Finding {
	code := map[string]diag.Code{"istio": diag.IstioInferenceOff, "agentgateway": diag.AgentgatewayInferenceOff, "nginx": diag.NGINXInferenceOff}[provider]
	if code == "" {
		return nil
	}
	return w.fs.ofCodes(code)
}

func (w *poolWalk) gatewayStep(gw diag.GatewayPath) Step {
	g := gw.Gateway
	name := "Gateway " + g.GetNamespace() + "/" + g.GetName() + " accepted and programmed, with an address"
	fs := w.fs.about("Gateway", g.GetNamespace(), g.GetName(), diag.GatewayNotReady, diag.GatewayNoAddress)
	st := fromFindings(name, addressText(gw), fs)
	if st.Status != Passed {
		return st
	}
	for _, t := range []string{"Accepted", "Programmed"} {
		if c := condition(gw.Conditions, t); c == nil || c.Status != metav1.ConditionTrue {
			return failed(name, "no "+t+"=True in its status: the controller of class "+gw.Class+" has not programmed it",
				"check that the provider's controller runs and owns class "+gw.Class+" (kubectl get gatewayclass "+gw.Class+")")
		}
	}
	if len(gw.Addresses) == 0 {
		st = failed(name, "Programmed, but status.addresses is empty: clients have nowhere to send requests",
			"check the Gateway's Service for a pending external IP; on a cluster without load balancers use kubectl port-forward and verify --probe --address")
		st.Code = diag.GatewayNoAddress
	}
	return st
}

func addressText(gw diag.GatewayPath) string {
	var ls []string
	for _, l := range gw.Listeners {
		ls = append(ls, fmt.Sprintf("%s %s:%d", l.Name, l.Protocol, l.Port))
	}
	return "address " + strings.Join(gw.Addresses, ", ") + "; listeners " + strings.Join(ls, ", ")
}

func condition(cs []metav1.Condition, t string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// routeCodes are the analyzers' findings about a route that break its way to the pool.
var routeCodes = []diag.Code{diag.RouteNotAccepted, diag.RouteStaleBackendNotFound, diag.RoutePoolKindUnsupported, diag.RoutePoolNoReferenceGrant,
	diag.RouteWeightsAllZero, diag.RouteNotAllowedByListener, diag.RoutePoolPort}

// routeSteps: each Gateway the route names accepted it and resolved its references.
func (w *poolWalk) routeSteps(rt diag.RoutePath) []Step {
	r := rt.Route
	fs := w.fs.about("HTTPRoute", r.GetNamespace(), r.GetName(), routeCodes...)
	var steps []Step
	for _, gw := range rt.Gateways {
		name := fmt.Sprintf("HTTPRoute %s/%s accepted by Gateway %s, references resolved", r.GetNamespace(), r.GetName(), gw)
		st := fromFindings(name, "", gatewayFindings(fs, gw))
		if st.Status == Passed {
			st = parentStatus(name, rt, gw, st.Notes)
		}
		steps = append(steps, st)
	}
	return steps
}

// gatewayFindings keeps the findings about one Gateway (those that name another are dropped).
func gatewayFindings(fs []diag.Finding, gw string) []diag.Finding {
	var out []diag.Finding
	for _, f := range fs {
		if !strings.Contains(f.Message, "Gateway ") || strings.Contains(f.Message, "Gateway "+gw) {
			out = append(out, f)
		}
	}
	return out
}

// parentStatus judges the status the Gateway wrote for the route.
func parentStatus(name string, rt diag.RoutePath, gw string, notes []string) Step {
	for _, ps := range rt.Parents {
		if ps.Gateway != gw {
			continue
		}
		for _, t := range []string{"Accepted", "ResolvedRefs"} {
			c := condition(ps.Conditions, t)
			switch {
			case c == nil:
				return failed(name, "Gateway "+gw+" wrote no "+t+" condition", "check the logs of "+or(ps.ControllerName, "the gateway's controller"))
			case c.Status != metav1.ConditionTrue:
				return failed(name, fmt.Sprintf("%s=%s: %s: %s", t, c.Status, c.Reason, c.Message),
					"fix what the reason names (kubectl describe httproute "+rt.Route.GetName()+")")
			}
		}
		st := passed(name, "Accepted, ResolvedRefs (controller "+ps.ControllerName+")")
		st.Notes = notes
		return st
	}
	return failed(name, "Gateway "+gw+" has written no status for the route: its controller has not seen it",
		"check that the Gateway's controller runs; touching the route makes it look again: kubectl annotate httproute "+rt.Route.GetName()+" igw.dev/touch=$(date +%s) --overwrite")
}

// poolStatusSteps: each Gateway that accepted a route to the pool took the pool on.
func (w *poolWalk) poolStatusSteps() []Step {
	fs := w.fs.about("InferencePool", w.ns, w.name, diag.PoolNoParents, diag.PoolNotAccepted, diag.PoolRefsNotResolved, diag.PoolNoPickerRef)
	var steps []Step
	for _, gw := range w.p.Gateways {
		key := gw.Gateway.GetNamespace() + "/" + gw.Gateway.GetName()
		name := "InferencePool accepted by Gateway " + key + " (status.parents)"
		if !w.routeAccepted(key) {
			// Gateways write a pool's status only once they accept a route to it.
			steps = append(steps, notRun(name, "no route to the pool is accepted by Gateway "+key+" yet"))
			continue
		}
		st := fromFindings(name, "", gatewayFindings(fs, key))
		if st.Status == Passed {
			st = w.poolParent(name, key, st.Notes)
		}
		steps = append(steps, st)
	}
	return steps
}

func (w *poolWalk) poolParent(name, gw string, notes []string) Step {
	for _, ps := range w.p.Status.Parents {
		ns := or(string(ps.ParentRef.Namespace), w.ns)
		if ns+"/"+string(ps.ParentRef.Name) != gw {
			continue
		}
		for _, t := range []string{"Accepted", "ResolvedRefs"} {
			if c := condition(ps.Conditions, t); c == nil || c.Status != metav1.ConditionTrue {
				return failed(name, "no "+t+"=True from Gateway "+gw, "see the pool's status (kubectl get inferencepool "+w.name+" -o yaml) and the gateway's controller logs")
			}
		}
		st := passed(name, "Accepted, ResolvedRefs")
		st.Notes = notes
		return st
	}
	return failed(name, "status.parents has no entry for Gateway "+gw+": the gateway has not taken the pool on",
		"check that the gateway's controller has inference support on and reads this pool's API version")
}

// routeAccepted reports whether Gateway gw accepted some route to the pool.
func (w *poolWalk) routeAccepted(gw string) bool {
	for _, rt := range w.p.Routes {
		for _, ps := range rt.Parents {
			if c := condition(ps.Conditions, "Accepted"); ps.Gateway == gw && c != nil && c.Status == metav1.ConditionTrue {
				return true
			}
		}
	}
	return false
}
