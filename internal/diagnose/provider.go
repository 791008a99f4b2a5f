package diagnose

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// provider names a gateway provider as internal/providers does (which diagnose cannot import:
// providers reaches diagnose through helm). A test checks the two agree.
type provider string

const (
	istio        provider = "istio"
	agentgateway provider = "agentgateway"
	nginx        provider = "nginx"
	gke          provider = "gke"
	// gkeClassPrefix starts every GKE Gateway controller class.
	gkeClassPrefix = "gke-l7-"
)

// guideClasses are the GatewayClass names the providers' inference guides use.
var guideClasses = map[string]provider{"istio": istio, "agentgateway": agentgateway, "nginx": nginx}

// The controller names each provider writes in its GatewayClasses.
var controllerNames = map[string]provider{
	"istio.io/gateway-controller":                istio,
	"agentgateway.dev/agentgateway":              agentgateway,
	"kgateway.dev/agentgateway":                  agentgateway,
	"gateway.nginx.org/nginx-gateway-controller": nginx,
}

// providerOf tells which provider runs a Gateway: from its class's controllerName when the class
// is in the snapshot, else from the class name the provider's guide uses. "" when unknown.
func (ix *index) providerOf(gw *gateway) provider {
	class := gw.Spec.GatewayClassName
	if c := ix.classes[class]; c != nil {
		if p, ok := controllerNames[c.Spec.ControllerName]; ok {
			return p
		}
		if strings.HasPrefix(c.Spec.ControllerName, "networking.gke.io/") {
			return gke
		}
	}
	if strings.HasPrefix(class, gkeClassPrefix) {
		return gke
	}
	return guideClasses[class]
}

// controller is a provider's control plane Deployment and its main container.
type controller struct {
	provider provider
	w        *workload
	c        corev1.Container
}

// controllers finds the providers' control planes among the Deployments by their images:
// istiod's pilot, the agentgateway (or kgateway) controller, NGINX Gateway Fabric's controller.
// Data plane images (the agentgateway proxy, NGF's nginx) are not controllers.
func (ix *index) controllers() []controller {
	var out []controller
	for _, w := range ix.deployments {
		for _, c := range w.spec.Containers {
			if p := controllerImage(imageRepo(c.Image)); p != "" {
				out = append(out, controller{p, w, c})
			}
		}
	}
	return out
}

// ClusterWide reports whether a Deployment matters to the analysis in whatever namespace it runs:
// a provider's controller, or a body router. A live gatherer scoped to some namespaces keeps these
// from the others.
func ClusterWide(u *unstructured.Unstructured) bool {
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		image, _ := c.(map[string]any)["image"].(string)
		if router, _ := bodyRouterImage(image); router || controllerImage(imageRepo(image)) != "" {
			return true
		}
	}
	return false
}

func controllerImage(repo string) provider {
	repo = strings.ToLower(repo)
	last := repo[strings.LastIndex(repo, "/")+1:]
	switch {
	case last == "pilot" || strings.HasSuffix(repo, "istio/pilot"):
		return istio
	case strings.Contains(repo, "agentgateway") && last == "controller", strings.HasSuffix(repo, "kgateway-dev/kgateway"):
		return agentgateway
	case last == "nginx-gateway-fabric":
		return nginx
	}
	return ""
}

// usesInference reports whether the snapshot holds anything of the inference extension: a pool,
// or a route to one. Provider checks that matter only for inference stay silent otherwise.
func (ix *index) usesInference() bool {
	if len(ix.pools) > 0 {
		return true
	}
	for _, rt := range ix.routes {
		if len(ix.poolRefs(rt)) > 0 {
			return true
		}
	}
	return false
}

// gatewaysOf returns the Gateways in the snapshot that routes to the pool attach to.
func (ix *index) gatewaysOf(p *pool) []*gateway {
	var out []*gateway
	seen := map[*gateway]bool{}
	for _, rt := range ix.routes {
		if !ix.routeUses(rt, p) {
			continue
		}
		for _, k := range parentGateways(rt) {
			if gw := ix.gateways[k]; gw != nil && !seen[gw] {
				seen[gw] = true
				out = append(out, gw)
			}
		}
	}
	return out
}

// routeUses reports whether a route sends traffic to the pool.
func (ix *index) routeUses(rt *route, p *pool) bool {
	for _, ref := range ix.poolRefs(rt) {
		if ref.resolvedTo == p {
			return true
		}
	}
	return false
}
