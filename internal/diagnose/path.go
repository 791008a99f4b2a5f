package diagnose

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/igw-dev/igw/api/v1"
)

// PoolPath is what a request to one InferencePool passes through, resolved by the rules the
// analyzers use (which routes use the pool, which Gateways they attach to, which Service and
// pods its picker and selector name), for a command that walks the path step by step.
type PoolPath struct {
	Pool *unstructured.Unstructured
	// Alpha says the pool is the alpha inference.networking.x-k8s.io one; Spec and Status are
	// then converted to v1.
	Alpha  bool
	Spec   v1.InferencePoolSpec
	Status v1.InferencePoolStatus
	Routes []RoutePath
	// Gateways are the Gateways the routes attach to that the snapshot holds.
	Gateways []GatewayPath
	// PickerService is the Service endpointPickerRef names, nil when it names none or it is
	// missing; PickerSlices its EndpointSlices; PickerDeployments the Deployments it selects.
	PickerService     *corev1.Service
	PickerSlices      []*discoveryv1.EndpointSlice
	PickerDeployments []*appsv1.Deployment
	// Pods are the model server pods the selector selects (live: pods only; the picker's own
	// left out), each with the model and engine its command line and image name.
	Pods        []PodPath
	BodyRouters []BodyRouter
}

// RoutePath is an HTTPRoute that sends traffic to the pool.
type RoutePath struct {
	Route     *unstructured.Unstructured
	Hostnames []string
	// Gateways are the Gateways its parentRefs name, "namespace/name".
	Gateways []string
	// Parents are the statuses its Gateways wrote.
	Parents []RouteParent
	// Rules are the rules with a backendRef to the pool, with their matches.
	Rules []RouteRule
}

// RouteParent is one Gateway's status of a route.
type RouteParent struct {
	Gateway        string
	ControllerName string
	Conditions     []metav1.Condition
}

// RouteRule is one rule's matches; a rule without matches matches every request.
type RouteRule struct {
	Index   int
	Matches []RouteMatch
}

// RouteMatch is one match of a rule: its path, and its header matches by lower-case name.
type RouteMatch struct {
	PathType, PathValue string
	Headers             map[string]string
	// ModelHeader is the body router header the match matches on, "" when none.
	ModelHeader string
}

// GatewayPath is a Gateway, its class and its provider.
type GatewayPath struct {
	Gateway    *unstructured.Unstructured
	Class      string
	ClassFound bool
	// Controller is the class's controllerName; Provider "istio", "agentgateway", "nginx",
	// "gke" or "" when unknown.
	Controller       string
	Provider         string
	ClassConditions  []metav1.Condition
	Conditions       []metav1.Condition
	Addresses        []string
	Listeners        []Listener
	HasBodyRouterHop bool
}

// Listener is one listener of a Gateway.
type Listener struct {
	Name, Protocol, Hostname string
	Port                     int32
}

// PodPath is one model server pod.
type PodPath struct {
	Pod           *corev1.Pod
	Model, Engine string
	// Args is the command line of its model server container (the one declaring a target port).
	Args []string
}

// BodyRouter is a body based router's Deployment and the headers it sets.
type BodyRouter struct {
	Deployment *unstructured.Unstructured
	Headers    []string
	// Replicas wanted and Available, from its status (HasStatus false when it has none).
	Replicas, Available int32
	HasStatus           bool
}

// PoolPaths returns the path of every InferencePool in the snapshot, in snapshot order.
func (s *Snapshot) PoolPaths() []PoolPath {
	ix := s.index()
	var out []PoolPath
	for _, p := range ix.pools {
		out = append(out, s.poolPath(p))
	}
	return out
}

func (s *Snapshot) poolPath(p *pool) PoolPath {
	ix := s.index()
	pp := PoolPath{Pool: p.u, Alpha: p.alpha, Spec: p.Spec, Status: p.Status}
	for _, rt := range ix.routes {
		if ix.routeUses(rt, p) {
			pp.Routes = append(pp.Routes, ix.routePath(rt, p))
		}
	}
	for _, g := range ix.gatewaysOf(p) {
		pp.Gateways = append(pp.Gateways, ix.gatewayPath(g))
	}
	if svc, ok := ix.pickerService(p); ok {
		pp.PickerService = svc.Service
		pp.PickerSlices = ix.slices[key{"", svc.Namespace, svc.Name}]
	}
	for _, d := range ix.pickerDeployments(p) {
		if dep, err := decode[appsv1.Deployment](d.u); err == nil {
			pp.PickerDeployments = append(pp.PickerDeployments, dep)
		}
	}
	for _, w := range s.poolPods(p) {
		if w.pod != nil {
			c := mainContainer(w, p.Spec.TargetPorts)
			pp.Pods = append(pp.Pods, PodPath{Pod: w.pod, Model: modelOf(c), Engine: engineOf(c), Args: command(c)})
		}
	}
	for _, br := range ix.bodyRouters() {
		pp.BodyRouters = append(pp.BodyRouters, BodyRouter{Deployment: br.w.u, Headers: br.headers, Replicas: br.w.replicas,
			Available: br.w.available, HasStatus: br.w.hasStatus})
	}
	return pp
}

func (ix *index) routePath(rt *route, p *pool) RoutePath {
	rp := RoutePath{Route: rt.u, Hostnames: rt.Spec.Hostnames}
	for _, k := range parentGateways(rt) {
		rp.Gateways = append(rp.Gateways, k.String())
	}
	for _, ps := range rt.Status.Parents {
		rp.Parents = append(rp.Parents, RouteParent{Gateway: key{"", deref(ps.ParentRef.Namespace, rt.Namespace), ps.ParentRef.Name}.String(),
			ControllerName: ps.ControllerName, Conditions: ps.Conditions})
	}
	models := ix.modelHeaderMatches(rt)
	for _, ref := range ix.poolRefs(rt) {
		if ref.resolvedTo != p || (len(rp.Rules) > 0 && rp.Rules[len(rp.Rules)-1].Index == ref.rule) {
			continue
		}
		rule := RouteRule{Index: ref.rule}
		for j, m := range rt.Spec.Rules[ref.rule].Matches {
			rule.Matches = append(rule.Matches, matchPath(m, models, ref.rule, j))
		}
		rp.Rules = append(rp.Rules, rule)
	}
	return rp
}

func matchPath(m routeMatch, models []modelHeaderMatch, rule, match int) RouteMatch {
	rm := RouteMatch{PathType: "PathPrefix", PathValue: "/", Headers: map[string]string{}}
	if m.Path != nil {
		rm.PathType, rm.PathValue = deref(m.Path.Type, "PathPrefix"), deref(m.Path.Value, "/")
	}
	for _, h := range m.Headers {
		rm.Headers[strings.ToLower(h.Name)] = h.Value
	}
	for _, mm := range models {
		if mm.rule == rule && mm.match == match {
			rm.ModelHeader = mm.name
		}
	}
	return rm
}

func (ix *index) gatewayPath(g *gateway) GatewayPath {
	gp := GatewayPath{Gateway: g.u, Class: g.Spec.GatewayClassName, Provider: string(ix.providerOf(g)), Conditions: g.Status.Conditions,
		HasBodyRouterHop: ix.hasGlue(g)}
	if c := ix.classes[g.Spec.GatewayClassName]; c != nil {
		gp.ClassFound, gp.Controller, gp.ClassConditions = true, c.Spec.ControllerName, c.Status.Conditions
	}
	for _, a := range g.Status.Addresses {
		gp.Addresses = append(gp.Addresses, a.Value)
	}
	for _, l := range g.Spec.Listeners {
		gp.Listeners = append(gp.Listeners, Listener{Name: l.Name, Protocol: l.Protocol, Port: l.Port, Hostname: deref(l.Hostname, "")})
	}
	return gp
}

// ListedIn reports whether every object of kind gk in namespace ns is in the snapshot: it was
// read from a cluster, the kind was listed, and so was the namespace.
func (s *Snapshot) ListedIn(gk schema.GroupKind, ns string) bool { return s.listedIn(gk, ns) }

// CRDs are the CustomResourceDefinitions in the snapshot, by name.
func (s *Snapshot) CRDs() map[string]*unstructured.Unstructured { return s.index().crds }

// FlagValue is the last value a command line gives flag name (--name=v, --name v, -name=v or
// -name v, as Go's flag packages take them); found says whether the flag appears at all.
func FlagValue(args []string, name string) (value string, found bool) { return flagValue(args, name) }

// PickerArgs is the command line of the endpoint picker's container in d: the one with a
// --pool-name; nil when none has.
func PickerArgs(d *appsv1.Deployment) []string {
	for _, c := range d.Spec.Template.Spec.Containers {
		if _, ok := flagValue(command(c), "pool-name"); ok {
			return command(c)
		}
	}
	return nil
}
