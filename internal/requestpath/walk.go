package requestpath

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/api"
	diag "github.com/igw-dev/igw/internal/diagnose"
)

// Input is what a walk reads: a live snapshot, and the I/O its later steps need.
type Input struct {
	Snapshot *diag.Snapshot
	// Namespace and Name pick one pool (Name in any namespace when Namespace is ""); an empty
	// Name walks every pool in the snapshot.
	Namespace, Name string
	// Scope names what was read, for messages: "namespace llm", "all namespaces".
	Scope string
	// Pods reaches the pods' ports; nil leaves those steps not run.
	Pods PodGetter
	// Probe sends real requests through the Gateway; nil sends none.
	Probe *Prober
}

var (
	gkCRD          = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	gkGatewayClass = schema.GroupKind{Group: gatewayGroup, Kind: "GatewayClass"}
	gkGateway      = schema.GroupKind{Group: gatewayGroup, Kind: "Gateway"}
	gkHTTPRoute    = schema.GroupKind{Group: gatewayGroup, Kind: "HTTPRoute"}
	gkPod          = schema.GroupKind{Kind: "Pod"}
	gkService      = schema.GroupKind{Kind: "Service"}
	gkSlice        = schema.GroupKind{Group: "discovery.k8s.io", Kind: "EndpointSlice"}
	gkDeployment   = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	gkConfigMap    = schema.GroupKind{Kind: "ConfigMap"}
)

const gatewayGroup = "gateway.networking.k8s.io"

// Walk checks the path of every pool the input picks and returns the checklist.
func Walk(ctx context.Context, in Input) *Report {
	fs := findings(diag.Analyze(in.Snapshot, diag.Analyzers()...))
	var paths []diag.PoolPath
	for _, p := range in.Snapshot.PoolPaths() {
		if in.Name == "" || ((in.Namespace == "" || p.Pool.GetNamespace() == in.Namespace) && p.Pool.GetName() == in.Name) {
			paths = append(paths, p)
		}
	}
	r := &Report{Sections: []Section{{Title: "Cluster", Steps: crdSteps(in.Snapshot, fs, paths)}}}
	if len(paths) == 0 {
		r.Sections[0].Steps = append(r.Sections[0].Steps, noPool(in))
	}
	for _, p := range paths {
		w := &poolWalk{in: in, s: in.Snapshot, fs: fs, p: p, ns: p.Pool.GetNamespace(), name: p.Pool.GetName()}
		r.Sections = append(r.Sections, w.walk(ctx))
	}
	r.count()
	return r
}

func noPool(in Input) Step {
	if in.Name == "" {
		return failed("InferencePools to verify", "none in "+in.Scope, "create an InferencePool, or look in another namespace (-n NAMESPACE, -A)")
	}
	var names []string
	for _, p := range in.Snapshot.PoolPaths() {
		names = append(names, p.Pool.GetNamespace()+"/"+p.Pool.GetName())
	}
	fix := "create it, or name a pool of " + in.Scope
	if len(names) > 0 {
		fix = "name one of the pools of " + in.Scope + ": " + someOf(names)
	}
	return failed("InferencePool "+in.Name+" exists", "not found in "+in.Scope, fix)
}

// poolWalk is the walk of one pool's path.
type poolWalk struct {
	in       Input
	s        *diag.Snapshot
	fs       findings
	p        diag.PoolPath
	ns, name string
	steps    []Step
}

func (w *poolWalk) add(st ...Step) { w.steps = append(w.steps, st...) }

func (w *poolWalk) walk(ctx context.Context) Section {
	w.routesStep()
	for _, gw := range w.p.Gateways {
		w.add(w.classStep(gw), w.gatewayStep(gw))
	}
	w.missingGatewaySteps()
	for _, rt := range w.p.Routes {
		w.add(w.routeSteps(rt)...)
	}
	w.add(w.poolStatusSteps()...)
	w.add(w.pickerDeploymentStep(), w.pickerServiceStep())
	w.add(w.podsStep())
	w.add(w.portSteps(ctx)...)
	w.add(w.bodyRouterSteps()...)
	if w.in.Probe != nil {
		w.add(w.probeSteps(ctx)...)
	}
	kind := "InferencePool"
	return Section{Title: kind + " " + w.ns + "/" + w.name, Pool: &diag.Object{Kind: kind, Namespace: w.ns, Name: w.name}, Steps: w.steps}
}

// unlisted is why kind gk was not fully read in ns, "" when it was.
func unlisted(s *diag.Snapshot, gk schema.GroupKind, ns string) string {
	if s.ListedIn(gk, ns) {
		return ""
	}
	if why := s.Unlisted[gk]; why != "" {
		return "could not list " + strings.ToLower(gk.Kind) + "s: " + why
	}
	return "namespace " + ns + " was not read (use -n " + ns + " or -A)"
}

// crdSteps check the CRDs the pools need: present, Established, from one release.
func crdSteps(s *diag.Snapshot, fs findings, paths []diag.PoolPath) []Step {
	const name = "CRDs installed and Established"
	if why := unlisted(s, gkCRD, ""); why != "" {
		return []Step{notRun(name, why)}
	}
	need := []string{"gatewayclasses." + gatewayGroup, "gateways." + gatewayGroup, "httproutes." + gatewayGroup, poolCRD(false)}
	for _, p := range paths {
		if p.Alpha && !slices.Contains(need, poolCRD(true)) {
			need = append(need, poolCRD(true))
		}
	}
	crds := s.CRDs()
	var missing, notEstablished []string
	for _, n := range need {
		switch crd := crds[n]; {
		case crd == nil:
			missing = append(missing, n)
		case !established(crd):
			notEstablished = append(notEstablished, n)
		}
	}
	var steps []Step
	switch {
	case len(missing) > 0:
		steps = append(steps, failed(name, "missing: "+strings.Join(missing, ", "), "install them: igwctl install crds"))
	case len(notEstablished) > 0:
		steps = append(steps, failed(name, "not Established: "+strings.Join(notEstablished, ", "),
			"see the CRD's conditions (kubectl get crd NAME -o yaml): a name conflict or an invalid schema keeps it from being served"))
	default:
		steps = append(steps, passed(name, crdVersions(crds)))
	}
	release := passed("one inference extension release across the CRDs", bundleOf(crds))
	if mixed := fs.ofCodes(diag.CRDBundleMixed); len(mixed) > 0 {
		release = failed(release.Name, mixed[0].Message, mixed[0].Fix)
		release.Code = diag.CRDBundleMixed
	}
	for _, f := range fs.ofCodes(diag.CRDBundleOlderThanProvider, diag.GatewayAPIChannelMismatch, diag.GatewayAPIExperimentalOnGKE) {
		release.Notes = append(release.Notes, fmt.Sprintf("%s [%s]", f.Message, f.Code))
	}
	return append(steps, release)
}

func poolCRD(alpha bool) string {
	if alpha {
		return "inferencepools.inference.networking.x-k8s.io"
	}
	return "inferencepools.inference.networking.k8s.io"
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" {
			return m["status"] == string(metav1.ConditionTrue)
		}
	}
	return false
}

func crdVersions(crds map[string]*unstructured.Unstructured) string {
	gw := crds["gateways."+gatewayGroup].GetAnnotations()
	s := "InferencePool " + or(bundleOf(crds), "(no bundle version)")
	return s + ", Gateway API " + or(gw["gateway.networking.k8s.io/bundle-version"], "(no bundle version)") + " " + gw["gateway.networking.k8s.io/channel"]
}

// bundleOf is the InferencePool CRD's release.
func bundleOf(crds map[string]*unstructured.Unstructured) string {
	if crd := crds[poolCRD(false)]; crd != nil {
		return crd.GetAnnotations()[api.BundleVersionAnnotation]
	}
	return ""
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ofCodes returns the findings of any of codes.
func (fs findings) ofCodes(codes ...diag.Code) []diag.Finding {
	var out []diag.Finding
	for _, f := range fs {
		for _, c := range codes {
			if f.Code == c {
				out = append(out, f)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
