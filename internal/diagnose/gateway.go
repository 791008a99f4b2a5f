package diagnose

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func gatewayChecks() []Check {
	return []Check{
		{ID: "gateway.class-missing", Code: GatewayClassMissing, Severity: Error, Kinds: []string{kindGateway, "GatewayClass"},
			Title: "Gateway of a GatewayClass that does not exist",
			Doc: "No controller programs a Gateway whose class does not exist: it stays without status and address. " +
				"Providers create their classes (istiod makes istio; the Agentgateway and NGINX Gateway Fabric charts " +
				"theirs; GKE its gke-l7-* classes), so files rarely hold them: offline this is reported only when the " +
				"files hold some GatewayClass; live, always.",
			Fix: "install the provider that owns the class (igwctl install provider NAME), or set gatewayClassName to an existing class",
			Run: runClassMissing},
		{ID: "gateway.class-not-accepted", Code: GatewayClassNotAccepted, Severity: Error, Kinds: []string{"GatewayClass"},
			Title: "GatewayClass not accepted by its controller",
			Doc: "Gateways of a class its controller rejected are not programmed. Read from status: live, or offline " +
				"from saved status.",
			Fix: "fix what the condition's message names (often parametersRef), or use another class",
			Run: runClassNotAccepted},
		{ID: "gateway.not-ready", Code: GatewayNotReady, Severity: Error, Kinds: []string{kindGateway},
			Title: "Gateway not Accepted or not Programmed",
			Doc: "A Gateway that is not Accepted, or not Programmed, carries no traffic: its data plane is missing or " +
				"misconfigured. Read from status: live, or offline from saved status.",
			Fix: "fix what the condition's message names; the provider's controller logs say more",
			Run: runGatewayNotReady},
		{ID: "gateway.no-address", Code: GatewayNoAddress, Severity: Warning, Kinds: []string{kindGateway},
			Title: "Gateway programmed but without an address",
			Doc: "Clients cannot reach a Gateway without an address; a LoadBalancer Service that never gets an IP " +
				"(no load balancer in the cluster, quota) is the usual cause. Read from status: live, or offline from " +
				"saved status.",
			Fix: "check the Gateway's Service (kubectl get svc -n NAMESPACE) for a pending external IP; on a cluster without load balancers, use a NodePort or port-forward",
			Run: runGatewayNoAddress},
	}
}

func runClassMissing(s *Snapshot, r *Report) {
	if !s.Covers(gkGatewayClass) {
		return
	}
	ix := s.index()
	for _, g := range ix.gatewayList {
		if ix.classes[g.Spec.GatewayClassName] == nil {
			r.Add(g.u, fmt.Sprintf("gatewayClassName %q names a GatewayClass that %s", g.Spec.GatewayClassName, s.absent()), "")
		}
	}
}

func runClassNotAccepted(s *Snapshot, r *Report) {
	for _, c := range s.index().classList {
		if cond, ok := isFalse(c.Status.Conditions, "Accepted"); ok {
			r.Add(c.u, fmt.Sprintf("controller %s did not accept the class: %s", c.Spec.ControllerName, reasonText(cond)), "")
		}
	}
}

func runGatewayNotReady(s *Snapshot, r *Report) {
	for _, g := range s.index().gatewayList {
		for _, t := range []string{"Accepted", "Programmed"} {
			if cond, ok := isFalse(g.Status.Conditions, t); ok {
				r.Add(g.u, fmt.Sprintf("%s=False: %s", t, reasonText(cond)), "")
				break
			}
		}
	}
}

func runGatewayNoAddress(s *Snapshot, r *Report) {
	for _, g := range s.index().gatewayList {
		if c := condition(g.Status.Conditions, "Programmed"); c != nil && c.Status == metav1.ConditionTrue && len(g.Status.Addresses) == 0 {
			r.Add(g.u, "Programmed=True but status.addresses is empty: clients have no address to send requests to", "")
		}
	}
}

func reasonText(c *metav1.Condition) string {
	if c.Message == "" {
		return c.Reason
	}
	return c.Reason + ": " + strings.TrimSuffix(c.Message, ".")
}

func runListenerNamespace(s *Snapshot, r *Report) {
	ix := s.index()
	for _, rt := range ix.routes {
		for i, p := range rt.Spec.ParentRefs {
			gw := ix.gateways[key{groupGateway, deref(p.Namespace, rt.Namespace), p.Name}]
			if deref(p.Kind, kindGateway) != kindGateway || gw == nil || gw.Namespace == rt.Namespace || hasParentStatus(rt, gw) {
				continue
			}
			if !ix.anyListenerAdmits(gw, deref(p.SectionName, ""), rt.Namespace) {
				r.Add(rt.u, fmt.Sprintf("parentRef %d: no listener of Gateway %s/%s admits routes from namespace %s (allowedRoutes.namespaces.from defaults to Same)", i+1, gw.Namespace, gw.Name, rt.Namespace),
					fmt.Sprintf("set allowedRoutes.namespaces.from: All (or a Selector matching namespace %s) on the Gateway's listener, or create the route in namespace %s", rt.Namespace, gw.Namespace))
			}
		}
	}
}

func hasParentStatus(rt *route, gw *gateway) bool {
	for _, ps := range rt.Status.Parents {
		if ps.ParentRef.Name == gw.Name && deref(ps.ParentRef.Namespace, rt.Namespace) == gw.Namespace {
			return true
		}
	}
	return false
}

// anyListenerAdmits reports whether a listener of gw (the one named section, if given) admits
// routes from ns. A Selector is evaluated when the namespace's labels are known, and otherwise
// counts as admitting: the snapshot cannot tell.
func (ix *index) anyListenerAdmits(gw *gateway, section, ns string) bool {
	for _, l := range gw.Spec.Listeners {
		if section != "" && l.Name != section {
			continue
		}
		from := "Same"
		var sel *metav1.LabelSelector
		if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil {
			from = deref(l.AllowedRoutes.Namespaces.From, "Same")
			sel = l.AllowedRoutes.Namespaces.Selector
		}
		nsLabels, known := ix.namespaces[ns]
		switch {
		case from == "All", from == "Same" && ns == gw.Namespace:
			return true
		case from == "Selector" && (!known || selectorMatches(sel, nsLabels)):
			return true
		}
	}
	return false
}
