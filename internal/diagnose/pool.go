package diagnose

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/igw-dev/igw/api/v1"
)

func poolChecks() []Check {
	return []Check{
		{ID: "pool.selects-no-pods", Code: PoolSelectsNoPods, Severity: Error, Kinds: []string{kindPool, "Pod", "Deployment", "StatefulSet", "LeaderWorkerSet"},
			Title: "InferencePool selector matches no pod",
			Doc: "With no pod to pick, every request to the pool ends in 503 \"no healthy upstream\". Live, the pods in " +
				"the pool's namespace decide. Offline, pod templates (Deployments, StatefulSets, LeaderWorkerSets, ...) " +
				"count as pods, and the check runs only when the files hold some pod or template in the pool's namespace " +
				"besides the endpoint picker's own: files without any describe the model servers elsewhere.",
			Fix: "make spec.selector.matchLabels equal labels of the model server's pod template (all of them must match)",
			Run: runSelectsNoPods},
		{ID: "pool.target-ports", Code: PoolTargetPortNotExposed, Severity: Warning, Kinds: []string{kindPool, "Pod", "Deployment"},
			Title: "selected pods do not declare a target port",
			Doc: "The gateway sends each request to podIP:targetPort. When the selected pods declare container ports " +
				"but not that one, the model server most likely listens elsewhere and requests fail with 502/503 " +
				"\"upstream connect error\". Pods that declare no ports at all are not judged (declaring is optional). " +
				"Offline and live.",
			Fix: "set spec.targetPorts to the port the model server listens on (vLLM: 8000), or add it to the container's ports",
			Run: runTargetPorts},
		{ID: "pool.mixed-servers", Code: PoolMixedModelServers, Severity: Warning, Kinds: []string{kindPool, "Pod", "Deployment"},
			Title: "one pool selects different engines or models",
			Doc: "The endpoint picker treats a pool's pods as interchangeable replicas of one model server: it reads " +
				"one metrics dialect and sends any request to any pod. Pods of different engines (vLLM, SGLang, " +
				"Triton) or serving different models make it pick wrongly or send a request to a pod without the " +
				"model. Read from each model server's image and the model server's --model or --served-model-name " +
				"argument; offline and live.",
			Fix: "give each engine and model its own pool (and its own picker), with a selector only its pods match",
			Run: runMixedServers},
		{ID: "pool.no-picker-ref", Code: PoolNoPickerRef, Severity: Warning, Kinds: []string{kindPool},
			Title: "InferencePool without endpointPickerRef",
			Doc: "Since v1.6.0 the CRD accepts a pool without endpointPickerRef, but most gateways then refuse it " +
				"(Accepted=False/EndpointPickerRefMissing) and its routes fail. Offline and live.",
			Fix: "set spec.endpointPickerRef to the picker's Service: {name: NAME-epp, port: {number: 9002}}",
			Run: runNoPickerRef},
		{ID: "pool.unused", Code: PoolUnused, Severity: Warning, Kinds: []string{kindPool, kindHTTPRoute},
			Title: "no HTTPRoute uses the InferencePool",
			Doc: "A pool receives traffic only through an HTTPRoute backendRef, and gateways write its status only " +
				"then. Reported when no backendRef names the pool at all (one that names it with the wrong group or " +
				"kind has its own finding). Offline only when the files hold some HTTPRoute; live, always.",
			Fix: "add a backendRef {group: inference.networking.k8s.io, kind: InferencePool, name: POOL} to an HTTPRoute, or delete the pool",
			Run: runPoolUnused},
		{ID: "pool.selects-picker", Code: PoolSelectsPicker, Severity: Error, Kinds: []string{kindPool, kindService, "Deployment"},
			Title: "InferencePool selector also selects the endpoint picker",
			Doc: "The pool's selector matches the endpoint picker's own pods, so the picker may pick itself and send a " +
				"completion request to its gRPC port. Offline and live.",
			Fix: "use a label only the model server pods carry in spec.selector.matchLabels",
			Run: runSelectsPicker},
		{ID: "pool.pods-not-ready", Code: PoolPodsNotReady, Severity: Error, Kinds: []string{kindPool, "Pod"},
			Title: "none of the pool's pods is Ready",
			Doc: "Pods that are not Ready (starting, crashing, failing probes, still loading the model) receive no " +
				"traffic: requests end in 503 \"no healthy upstream\". Read from pod status: live, or offline from " +
				"saved pods.",
			Fix: "see why the pods are not ready: kubectl describe pod and kubectl logs (model download and load can take many minutes; raise the startup probe's failureThreshold)",
			Run: runPodsNotReady},
	}
}

// poolPods returns the model server pods a pool selects: live, its pods only (a template makes
// none); offline, pods and pod templates. The endpoint picker's own are left out (IGW1117 reports
// a pool that selects them).
func (s *Snapshot) poolPods(p *pool) []*workload {
	ix := s.index()
	picker := ix.pickerWorkloads(p)
	return slices.DeleteFunc(ix.selected(p.Namespace, selectorMap(p)), func(w *workload) bool {
		return (s.Live && w.pod == nil) || slices.Contains(picker, w)
	})
}

func labelsText(m map[v1.LabelKey]v1.LabelValue) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, string(k)+"="+string(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func runSelectsNoPods(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		if len(p.Spec.Selector.MatchLabels) == 0 || !s.podsKnown(p.Namespace, ix.pickerWorkloads(p)) {
			continue
		}
		if len(s.poolPods(p)) > 0 {
			continue
		}
		what := "no pod"
		if !s.Live {
			what = "no pod or pod template in the given files"
		}
		r.Add(p.u, fmt.Sprintf("selector %s matches %s in namespace %s, so requests get 503 no healthy upstream", labelsText(p.Spec.Selector.MatchLabels), what, p.Namespace), "")
	}
}

// mainContainer is the container serving the pool: the first that declares a target port, else
// the first.
func mainContainer(w *workload, targets []v1.Port) corev1.Container {
	for _, c := range w.spec.Containers {
		for _, cp := range c.Ports {
			if slices.ContainsFunc(targets, func(t v1.Port) bool { return int32(t.Number) == cp.ContainerPort }) {
				return c
			}
		}
	}
	if len(w.spec.Containers) == 0 {
		return corev1.Container{}
	}
	return w.spec.Containers[0]
}

func declaresPorts(w *workload) bool {
	for _, c := range w.spec.Containers {
		if len(c.Ports) > 0 {
			return true
		}
	}
	return false
}

func declaresPort(w *workload, port int32) bool {
	for _, c := range w.spec.Containers {
		for _, cp := range c.Ports {
			if cp.ContainerPort == port {
				return true
			}
		}
	}
	return false
}

func runTargetPorts(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		pods := s.poolPods(p)
		for _, t := range p.Spec.TargetPorts {
			var lacking []string
			for _, w := range pods {
				if declaresPorts(w) && !declaresPort(w, int32(t.Number)) {
					lacking = append(lacking, w.u.GetKind()+" "+w.u.GetName())
				}
			}
			if len(lacking) > 0 {
				r.Add(p.u, fmt.Sprintf("targetPort %d is not among the container ports of %s", t.Number, listSome(lacking)), "")
			}
		}
	}
}

// listSome names up to three items and counts the rest.
func listSome(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}

func runMixedServers(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		engines, models := map[string]bool{}, map[string]bool{}
		for _, w := range s.poolPods(p) {
			c := mainContainer(w, p.Spec.TargetPorts)
			engines[engineOf(c)] = true
			if m := modelOf(c); m != "" {
				models[m] = true
			}
		}
		switch {
		case len(engines) > 1:
			r.Add(p.u, fmt.Sprintf("selects pods of different model server engines: %s", joinKeys(engines)), "")
		case len(models) > 1:
			r.Add(p.u, fmt.Sprintf("selects pods serving different models: %s", joinKeys(models)), "")
		}
	}
}

func joinKeys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// engineOf names a model server engine from its image.
func engineOf(c corev1.Container) string {
	repo := strings.ToLower(imageRepo(c.Image))
	for _, e := range []struct{ substr, name string }{
		{"inference-sim", "llm-d-inference-sim"}, {"vllm", "vLLM"}, {"sglang", "SGLang"},
		{"trtllm", "TensorRT-LLM"}, {"tensorrt", "TensorRT-LLM"}, {"triton", "Triton"},
	} {
		if strings.Contains(repo, e.substr) {
			return e.name
		}
	}
	return repo
}

// modelOf reads the model a server serves from its command line: the name it serves under
// (--served-model-name), else --model / --model-path, else vLLM's `vllm serve MODEL`.
func modelOf(c corev1.Container) string {
	args := command(c)
	for _, f := range []string{"served-model-name", "model", "model-path"} {
		if v, _ := flagValues(args, f); len(v) > 0 {
			return v[0]
		}
	}
	if i := slices.Index(args, "serve"); i >= 0 && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
		return args[i+1]
	}
	return ""
}

func runNoPickerRef(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		if !p.alpha && p.Spec.EndpointPickerRef == nil {
			r.Add(p.u, "has no endpointPickerRef; most gateways refuse such a pool (Accepted=False/EndpointPickerRefMissing)", "")
		}
	}
}

func runPoolUnused(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		if !s.CoversIn(p.Namespace, gkHTTPRoute) || s.routesUnseen(p) {
			continue
		}
		if !slices.ContainsFunc(ix.routes, func(rt *route) bool { return namesPool(rt, p) }) {
			r.Add(p.u, "no HTTPRoute has a backendRef to it, so it receives no traffic", "")
		}
	}
}

// routesUnseen reports whether routes the snapshot lacks may send traffic to the pool: live with
// some namespaces not listed, and a ReferenceGrant in the pool's namespace lets HTTPRoutes of
// one of those refer to InferencePools.
func (s *Snapshot) routesUnseen(p *pool) bool {
	if !s.Live || s.Namespaces == nil {
		return false
	}
	for _, g := range s.index().grants {
		if g.Namespace != p.Namespace || !slices.ContainsFunc(g.Spec.To, func(t refGrantTo) bool { return t.Kind == kindPool }) {
			continue
		}
		for _, f := range g.Spec.From {
			if f.Kind == kindHTTPRoute && !s.inScope(f.Namespace) {
				return true
			}
		}
	}
	return false
}

// namesPool reports whether a backendRef of the route names the pool's namespace and name in any
// group or kind: a route that means the pool but spells it wrong gets its own finding.
func namesPool(rt *route, p *pool) bool {
	for _, rule := range rt.Spec.Rules {
		for _, b := range rule.BackendRefs {
			if b.Name == p.Name && deref(b.Namespace, rt.Namespace) == p.Namespace {
				return true
			}
		}
	}
	return false
}

func runSelectsPicker(s *Snapshot, r *Report) {
	ix := s.index()
	for _, p := range ix.pools {
		for _, w := range ix.pickerWorkloads(p) {
			if matches(selectorMap(p), w.labels) {
				r.Add(p.u, fmt.Sprintf("selector %s also matches the endpoint picker's %s %s", labelsText(p.Spec.Selector.MatchLabels), w.u.GetKind(), w.u.GetName()), "")
				break
			}
		}
	}
}

func selectorMap(p *pool) map[string]string {
	m := map[string]string{}
	for k, v := range p.Spec.Selector.MatchLabels {
		m[string(k)] = string(v)
	}
	return m
}

func runPodsNotReady(s *Snapshot, r *Report) {
	for _, p := range s.index().pools {
		pods, ready := 0, 0
		for _, w := range s.index().selected(p.Namespace, selectorMap(p)) {
			if w.pod == nil || !w.hasStatus {
				continue
			}
			pods++
			if c := podCondition(w.pod, corev1.PodReady); c != nil && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
		if pods > 0 && ready == 0 {
			r.Add(p.u, fmt.Sprintf("none of its %d pods is Ready, so requests get 503 no healthy upstream", pods), "")
		}
	}
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
