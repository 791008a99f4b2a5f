package diagnose

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/igw-dev/igw/api/v1"
)

// The endpoint picker (EPP) a pool's endpointPickerRef names: its Service, its Deployment and the
// arguments that tie it to the pool.

func pickerChecks() []Check {
	return []Check{
		{ID: "pool.picker-service-missing", Code: PoolPickerServiceMissing, Severity: Error, Kinds: []string{kindPool, kindService},
			Title: "endpointPickerRef names a Service that does not exist",
			Doc: "Without its picker the pool is ResolvedRefs=False/InvalidExtensionRef and its requests fail with 5xx. " +
				"Offline it is reported only when the files hold some Service; live, always.",
			Fix: "deploy the endpoint picker (its Helm chart creates the Service NAME-epp), or correct endpointPickerRef.name",
			Run: runPickerServiceMissing},
		{ID: "pool.picker-port", Code: PoolPickerPortMissing, Severity: Error, Kinds: []string{kindPool, kindService},
			Title: "the picker Service has no port endpointPickerRef.port names",
			Doc: "endpointPickerRef.port is a port of the Service (not a targetPort); a port the Service lacks leaves the " +
				"gateway nowhere to call the picker, so requests fail. Offline and live.",
			Fix: "set endpointPickerRef.port.number to the Service's ext_proc port (the picker's gRPC port, 9002 by default)",
			Run: runPickerPort},
		{ID: "pool.picker-externalname", Code: PoolPickerExternalName, Severity: Error, Kinds: []string{kindPool, kindService},
			Title: "endpointPickerRef names an ExternalName Service",
			Doc: "The API forbids implementations to follow an ExternalName Service to a picker, so the pool does not " +
				"resolve. Offline and live.",
			Fix: "point endpointPickerRef at a ClusterIP Service that selects the picker's pods",
			Run: runPickerExternalName},
		{ID: "pool.picker-no-endpoints", Code: PoolPickerNoEndpoints, Severity: Error, Kinds: []string{kindPool, kindService, "EndpointSlice"},
			Title: "the picker Service has no ready endpoint",
			Doc: "With no ready picker pod behind the Service, the pool's failureMode decides: FailClose (the CRD " +
				"default) fails every request, FailOpen sends each to some pod without picking. Live, from the " +
				"Service's EndpointSlices; offline, when the Service's selector matches no pod or template in the " +
				"files (and the files hold some in its namespace).",
			Fix: "make the Service's selector match the picker pods' labels, and check why they are not ready (kubectl describe pod)",
			Run: runPickerNoEndpoints},
		{ID: "pool.failopen-one-replica", Code: PoolFailOpenOneReplica, Severity: Warning, Kinds: []string{kindPool, "Deployment"},
			Title: "failureMode FailOpen with one picker replica",
			Doc: "FailOpen means: while the picker is unreachable the gateway sends requests to some pod of the pool " +
				"without picking (no load, LoRA or prefix-cache awareness); FailClose, the CRD default, fails them " +
				"instead. With a single picker replica every restart or rollout of it silently turns the pool into " +
				"plain load balancing, and some gateways cannot fail open with a streamed body at all. Offline and live.",
			Fix: "run two or more picker replicas (the chart adds leader election), or choose failureMode FailClose to fail visibly",
			Run: runFailOpenOneReplica},
		{ID: "pool.picker-flags", Code: PoolPickerFlagsMismatch, Severity: Error, Kinds: []string{kindPool, kindService, "Deployment"},
			Title: "the picker's --pool-name, --pool-namespace or --pool-group name another pool",
			Doc: "The endpoint picker watches the one pool its flags name. If they name another (or the alpha group " +
				"for a v1 pool) it logs \"Pool is not initialized, skipping refreshing metrics\" and picks nothing, so " +
				"requests fail. Read from the Deployment behind the pool's picker Service; offline and live.",
			Fix: "make the picker's pool name, namespace and group arguments name this pool",
			Run: runPickerFlags},
		{ID: "pool.picker-unavailable", Code: PoolPickerUnavailable, Severity: Error, Kinds: []string{kindPool, "Deployment"},
			Title: "the picker's Deployment has no available replica",
			Doc: "While no picker runs, the pool's failureMode decides: FailClose (the CRD default) fails every " +
				"request; FailOpen sends it to some pod without picking. Reported for a Deployment scaled to 0, and " +
				"from status (live, or saved status) for one with no available replica.",
			Fix: "scale the picker up, and see why its pods do not start (kubectl describe deployment, kubectl logs; RBAC errors listing pools or objectives are common)",
			Run: runPickerUnavailable},
		{ID: "pool.picker-tls-istio", Code: PoolPickerTLSNoDestinationRule, Severity: Error, Kinds: []string{kindPool, kindGateway, "Deployment", "DestinationRule"},
			Title: "on Istio, the picker serves TLS and no DestinationRule makes the gateway speak TLS to it",
			Doc: "The endpoint picker serves TLS by default (--secure-serving, a self-signed certificate). Istio's " +
				"gateway speaks plain text to it unless a DestinationRule for the picker's host sets tls.mode SIMPLE " +
				"(the chart's provider.name=istio creates one), so the ext_proc call fails and requests get 500. " +
				"Reported when the pool is routed through an Istio Gateway and the picker's Deployment is in the " +
				"snapshot.",
			Fix: "create a DestinationRule for the picker Service's host with trafficPolicy.tls.mode SIMPLE (and insecureSkipVerify for its self-signed certificate), or install the picker chart with provider.name=istio",
			Run: runPickerTLS},
	}
}

func runPickerServiceMissing(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		if _, ok := ix.pickerService(p); pickerIsService(p) && !ok && s.CoversIn(p.Namespace, gkService) {
			r.Add(p.u, fmt.Sprintf("endpointPickerRef names Service %s/%s, which %s", p.Namespace, p.Spec.EndpointPickerRef.Name, s.absent()), "")
		}
	}
}

func runPickerPort(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		svc, ok := ix.pickerService(p)
		ref := p.Spec.EndpointPickerRef
		if !ok || ref.Port == nil || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		var ports []string
		for _, sp := range svc.Spec.Ports {
			if sp.Port == int32(ref.Port.Number) {
				ports = nil
				break
			}
			ports = append(ports, fmt.Sprint(sp.Port))
		}
		if ports != nil {
			r.Add(p.u, fmt.Sprintf("endpointPickerRef.port %d is not a port of Service %s (it has %s)", ref.Port.Number, svc.Name, strings.Join(ports, ", ")),
				fmt.Sprintf("set endpointPickerRef.port.number to the Service's ext_proc port (the picker's gRPC port, 9002 by default), one of %s", strings.Join(ports, ", ")))
		}
	}
}

func runPickerExternalName(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		if svc, ok := ix.pickerService(p); ok && svc.Spec.Type == corev1.ServiceTypeExternalName {
			r.Add(p.u, fmt.Sprintf("endpointPickerRef names Service %s, an ExternalName Service (%s), which gateways must not follow", svc.Name, svc.Spec.ExternalName), "")
		}
	}
}

func runPickerNoEndpoints(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		svc, ok := ix.pickerService(p)
		if !ok || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		eps := ix.slices[key{"", svc.Namespace, svc.Name}]
		switch {
		case len(eps) > 0 || s.listedIn(gkEndpointSlice, svc.Namespace):
			if readyEndpoints(eps) == 0 {
				r.Add(p.u, fmt.Sprintf("picker Service %s has no ready endpoint; %s", svc.Name, failureEffect(p)), "")
			}
		case len(svc.Spec.Selector) > 0 && s.podsKnown(svc.Namespace, nil) && len(ix.selected(svc.Namespace, svc.Spec.Selector)) == 0:
			r.Add(p.u, fmt.Sprintf("picker Service %s selects no pod or pod template in the given files; %s", svc.Name, failureEffect(p)), "")
		}
	}
}

func readyEndpoints(eps []*discoveryv1.EndpointSlice) int {
	n := 0
	for _, es := range eps {
		for _, e := range es.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				n++
			}
		}
	}
	return n
}

// failureEffect says what the pool's failureMode does while the picker is unreachable. Guides
// often get this backwards.
func failureEffect(p *pool) string {
	if p.Spec.EndpointPickerRef != nil && p.Spec.EndpointPickerRef.FailureMode == v1.EndpointPickerFailOpen {
		return "with failureMode FailOpen the gateway sends requests to some pod without picking"
	}
	return "with failureMode FailClose (the default) every request to the pool fails"
}

// pickerDeployments are the Deployments behind the pool's picker Service.
func (ix *index) pickerDeployments(p *pool) []*workload {
	// A copy: pickerWorkloads memoises its slice, and DeleteFunc would overwrite it.
	return slices.DeleteFunc(slices.Clone(ix.pickerWorkloads(p)), func(w *workload) bool { return w.u.GetKind() != kindDeployment })
}

func runFailOpenOneReplica(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		deps := ix.pickerDeployments(p)
		if len(deps) == 0 || p.Spec.EndpointPickerRef.FailureMode != v1.EndpointPickerFailOpen {
			continue
		}
		var replicas int32
		for _, d := range deps {
			replicas += d.replicas
		}
		if replicas == 1 {
			r.Add(p.u, fmt.Sprintf("failureMode FailOpen with one picker replica (Deployment %s): whenever it restarts, requests go to some pod without picking", deps[0].u.GetName()), "")
		}
	}
}

func runPickerFlags(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		for _, d := range ix.pickerDeployments(p) {
			for _, c := range d.spec.Containers {
				if msg := pickerFlagsMismatch(p, d, c); msg != "" {
					r.Add(d.u, msg, fmt.Sprintf("set the picker's arguments to --pool-name=%s --pool-namespace=%s --pool-group=%s", p.Name, p.Namespace, poolGroup(p)))
				}
			}
		}
	}
}

func poolGroup(p *pool) string {
	if p.alpha {
		return groupAlpha
	}
	return groupPool
}

// pickerFlagsMismatch compares the pool a picker container watches with p; "" when it is p or
// the container is not a picker that names a pool.
func pickerFlagsMismatch(p *pool, d *workload, c corev1.Container) string {
	args := command(c)
	name, ok := flagValue(args, "pool-name")
	if !ok {
		return ""
	}
	ns, ok := flagValue(args, "pool-namespace")
	if !ok {
		ns = pickerNamespace(c, d)
	}
	group, ok := flagValue(args, "pool-group")
	if !ok {
		group = groupPool
	}
	if name == p.Name && ns == p.Namespace && group == poolGroup(p) {
		return ""
	}
	return fmt.Sprintf("endpoint picker of InferencePool %s/%s (%s) watches pool %s/%s in group %s instead", p.Namespace, p.Name, poolGroup(p), ns, name, group)
}

// pickerNamespace is the namespace a picker without --pool-namespace watches: its NAMESPACE
// environment variable, else "default".
func pickerNamespace(c corev1.Container, d *workload) string {
	for _, e := range c.Env {
		if e.Name != "NAMESPACE" {
			continue
		}
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace" {
			return d.u.GetNamespace()
		}
		return e.Value
	}
	return "default"
}

func runPickerUnavailable(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		for _, d := range ix.pickerDeployments(p) {
			switch {
			case d.replicas == 0:
				r.Add(d.u, fmt.Sprintf("the endpoint picker of InferencePool %s/%s is scaled to 0 replicas; %s", p.Namespace, p.Name, failureEffect(p)), "")
			case d.hasStatus && d.available == 0:
				r.Add(d.u, fmt.Sprintf("the endpoint picker of InferencePool %s/%s has no available replica; %s", p.Namespace, p.Name, failureEffect(p)), "")
			}
		}
	}
}

var gkDestinationRule = schema.GroupKind{Group: "networking.istio.io", Kind: "DestinationRule"}

func runPickerTLS(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		svc, ok := ix.pickerService(p)
		deps := ix.pickerDeployments(p)
		if !ok || len(deps) == 0 || !pickerServesTLS(deps[0]) || !slices.ContainsFunc(ix.gatewaysOf(p), func(g *gateway) bool { return ix.providerOf(g) == istio }) {
			continue
		}
		if !ix.originatesTLS(svc) {
			r.Add(p.u, fmt.Sprintf("picker Service %s serves TLS (the picker's default) and no DestinationRule for %s sets tls.mode SIMPLE, so Istio's gateway cannot call it", svc.Name, serviceHost(svc)),
				fmt.Sprintf("create a DestinationRule in namespace %s with host %s and trafficPolicy.tls {mode: SIMPLE, insecureSkipVerify: true}, or install the picker chart with provider.name=istio", svc.Namespace, serviceHost(svc)))
		}
	}
}

// pickerServesTLS reads the picker's --secure-serving (true unless set false).
func pickerServesTLS(d *workload) bool {
	for _, c := range d.spec.Containers {
		if _, ok := flagValue(command(c), "pool-name"); ok {
			return boolFlag(command(c), "secure-serving", true)
		}
	}
	return false
}

func serviceHost(svc *service) string {
	return svc.Name + "." + svc.Namespace + ".svc.cluster.local"
}

// originatesTLS reports whether a DestinationRule for the Service's host sets TLS origination.
func (ix *index) originatesTLS(svc *service) bool {
	hosts := []string{serviceHost(svc), svc.Name + "." + svc.Namespace + ".svc", svc.Name + "." + svc.Namespace}
	for _, dr := range ix.other[gkDestinationRule] {
		host, _, _ := unstructured.NestedString(dr.Object, "spec", "host")
		if !slices.Contains(hosts, host) && !(host == svc.Name && dr.GetNamespace() == svc.Namespace) {
			continue
		}
		if mode, _, _ := unstructured.NestedString(dr.Object, "spec", "trafficPolicy", "tls", "mode"); mode == "SIMPLE" || mode == "MUTUAL" {
			return true
		}
	}
	return false
}
