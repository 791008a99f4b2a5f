package inventory_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var bed *testbed.Env

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../config/crd", "../../config/gateway-api/standard", "../../testdata/crds/standins.yaml"))
}

const corpus = "../../testdata/diagnose"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// apply puts objects on the test bed with the statuses their controllers would write, and
// removes them when the test ends.
func apply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	standin.ApplyT(t, bed.Config, standin.Options{}, objs)
}

func load(t *testing.T, paths ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := standin.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func gather(t *testing.T, cfg *rest.Config, o inventory.Options) *inventory.Result {
	t.Helper()
	// The rate igwctl's clients allow (internal/kube), not client-go's 5 a second.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := inventory.Gather(ctx(t), inventory.Clients{Dynamic: dyn, Discovery: dc}, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// kindsListed are the collections a gather of namespace ns lists: cluster-scoped kinds, the kinds
// listed in every namespace, and the namespaced kinds in ns (ConfigMaps once per adapter label).
func kindsListed(ns string) []string {
	in := func(r string) string { return "/namespaces/" + ns + "/" + r }
	return []string{
		"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
		"/api/v1/namespaces?fieldSelector=metadata.name%3D" + ns, "/apis/gateway.networking.k8s.io/v1/gateways",
		"/apis/gateway.networking.k8s.io/v1/referencegrants", "/apis/apps/v1/deployments",
		"/apis/gateway.networking.k8s.io/v1" + in("httproutes"), "/apis/gateway.networking.k8s.io/v1" + in("grpcroutes"),
		"/apis/inference.networking.k8s.io/v1" + in("inferencepools"), "/apis/inference.networking.x-k8s.io/v1alpha2" + in("inferencepools"),
		"/apis/inference.networking.x-k8s.io/v1alpha2" + in("inferenceobjectives"), "/apis/llm-d.ai/v1alpha2" + in("inferenceobjectives"),
		"/api/v1" + in("services"), "/apis/discovery.k8s.io/v1" + in("endpointslices"), "/api/v1" + in("pods"),
		"/apis/apps/v1" + in("statefulsets"),
		"/api/v1" + in("configmaps") + "?labelSelector=inference.networking.k8s.io%2Fbbr-managed%3Dtrue",
		"/api/v1" + in("configmaps") + "?labelSelector=inference.llm-d.ai%2Fipp-managed%3Dtrue",
		"/apis/networking.istio.io/v1alpha3" + in("envoyfilters"), "/apis/networking.istio.io/v1" + in("destinationrules"),
		"/apis/networking.gke.io/v1" + in("gcproutingextensions"), "/apis/agentgateway.dev/v1alpha1" + in("agentgatewaypolicies"),
	}
}

// One LIST per kind, paged by continue tokens, and no GET of a single object: the cost of a gather
// does not grow with the objects but with the kinds.
func TestOneListPerKind(t *testing.T) {
	apply(t, load(t, corpus+"/ok/istio-bbr"))
	var n standin.Counter
	res := gather(t, n.Config(bed.Config), inventory.Options{Scope: inventory.Scope{Namespace: "default"}, PageSize: 2})
	lists, others := n.Collections()
	if len(others) > 0 {
		t.Errorf("requests other than LISTs and discovery: %v", others)
	}
	var got []string
	for path := range lists {
		got = append(got, path)
	}
	want := kindsListed("default")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("collections listed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nine pods (3+2 model servers, 1+2 pickers, bbr) in pages of two.
	if pages := lists["/api/v1/namespaces/default/pods"]; pages != 5 {
		t.Errorf("pods listed in %d pages, want 5", pages)
	}
	total := 0
	for _, pages := range lists {
		total += pages
	}
	if res.Pages() != total {
		t.Errorf("Result counts %d pages, the client sent %d LIST requests", res.Pages(), total)
	}
	// A kind the cluster does not serve is listed and empty: no request, no Unlisted entry.
	if _, ok := res.Snapshot.Unlisted[schema.GroupKind{Group: "leaderworkerset.x-k8s.io", Kind: "LeaderWorkerSet"}]; ok || len(res.Snapshot.Unlisted) > 0 {
		t.Errorf("Unlisted: %v", res.Snapshot.Unlisted)
	}
}

// What a gather of one namespace holds: its namespaced objects, the Gateways and the providers'
// controllers of every namespace, and only the inference and Gateway API CRDs, without their
// schemas.
func TestSnapshot(t *testing.T) {
	apply(t, append(load(t, corpus+"/ok/istio-bbr"), rbacFixture("elsewhere")...))
	s := gather(t, bed.Config, inventory.Options{Scope: inventory.Scope{Namespace: "default"}}).Snapshot
	if !s.Live || !slices.Equal(s.Namespaces, []string{"default"}) || !slices.Contains(s.Served["gateway.networking.k8s.io/v1"], "httproutes") {
		t.Errorf("Live %v, Namespaces %v, Served %d group versions", s.Live, s.Namespaces, len(s.Served))
	}
	has := func(kind, ns, name string) bool {
		return slices.ContainsFunc(s.Objects, func(u *unstructured.Unstructured) bool {
			return u.GetKind() == kind && u.GetNamespace() == ns && u.GetName() == name
		})
	}
	for _, want := range [][3]string{{"Deployment", "istio-system", "istiod"}, {"InferencePool", "default", "vllm-llama3-8b-instruct"},
		{"Pod", "default", "vllm-llama3-8b-instruct-0"}, {"EndpointSlice", "default", "vllm-llama3-8b-instruct-epp-standin"},
		{"CustomResourceDefinition", "", "inferencepools.inference.networking.k8s.io"}, {"Namespace", "", "default"}} {
		if !has(want[0], want[1], want[2]) {
			t.Errorf("no %s %s/%s", want[0], want[1], want[2])
		}
	}
	for _, u := range s.Objects {
		if u.GetKind() == "CustomResourceDefinition" && !strings.Contains(u.GetName(), "networking") && !strings.HasSuffix(u.GetName(), "llm-d.ai") {
			t.Errorf("CRD %s of another project kept", u.GetName())
		}
		if u.GetNamespace() != "" && u.GetNamespace() != "default" && !slices.Contains([]string{"Gateway", "ReferenceGrant"}, u.GetKind()) &&
			!(u.GetKind() == "Deployment" && diagnose.ClusterWide(u)) {
			t.Errorf("%s %s/%s from outside the scope", u.GetKind(), u.GetNamespace(), u.GetName())
		}
		if versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions"); u.GetKind() == "CustomResourceDefinition" &&
			versions[0].(map[string]any)["schema"] != nil {
			t.Errorf("CRD %s kept its schema", u.GetName())
		}
		if len(u.GetManagedFields()) > 0 {
			t.Errorf("%s %s kept managedFields", u.GetKind(), u.GetName())
		}
	}
	// The correct setup, read live with the statuses its controllers write, has nothing to report.
	if fs := diagnose.Analyze(s, diagnose.Analyzers()...); len(fs) > 0 {
		var b strings.Builder
		fs.WriteText(&b)
		t.Errorf("findings on a correct setup read live:\n%s", b.String())
	}
}

// A user who may not list some kinds gets them in Unlisted with the API server's reason, and no
// finding claims their objects are missing; one who may list Deployments only in its namespace
// still sees those, and a note says the providers' controllers elsewhere were not read.
func TestForbidden(t *testing.T) {
	ns := "rbac"
	apply(t, rbacFixture(ns))
	user, err := bed.Environment.AddUser(envtest.User{Name: "reader"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, standin.Reader("reader", ns, "pods"))
	res := gather(t, user.Config(), inventory.Options{Scope: inventory.Scope{Namespace: ns}})
	s := res.Snapshot
	pods := s.Unlisted[schema.GroupKind{Kind: "Pod"}]
	if !strings.Contains(pods, "forbidden") || !strings.Contains(pods, `"reader"`) {
		t.Errorf("pods: %q", pods)
	}
	if deps, ok := s.Unlisted[schema.GroupKind{Group: "apps", Kind: "Deployment"}]; ok || len(res.Notes) != 1 ||
		!strings.HasPrefix(res.Notes[0], "Deployment (apps): listed only in namespace rbac, since ") {
		t.Errorf("deployments: Unlisted %q, notes %q", deps, res.Notes)
	}
	if !slices.ContainsFunc(s.Objects, func(u *unstructured.Unstructured) bool { return u.GetKind() == "Deployment" && u.GetName() == "vllm" }) {
		t.Error("the Deployment in the user's namespace is missing")
	}
	for _, f := range diagnose.Analyze(s, diagnose.Analyzers()...) {
		if f.Code == diagnose.PoolSelectsNoPods || f.Code == diagnose.PoolPodsNotReady {
			t.Errorf("a finding from pods that were not listed: %s", f)
		}
	}
	if lines := inventory.UnlistedText(s); len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "Pod: ") {
		t.Errorf("UnlistedText: %q", lines)
	}
}

func rbacFixture(ns string) []*unstructured.Unstructured {
	pool := obj("inference.networking.k8s.io/v1", "InferencePool", ns, "p", map[string]any{"spec": map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": "vllm"}}, "targetPorts": []any{map[string]any{"number": int64(8000)}},
		"endpointPickerRef": map[string]any{"name": "p-epp", "port": map[string]any{"number": int64(9002)}}}})
	dep := obj("apps/v1", "Deployment", ns, "vllm", map[string]any{"spec": map[string]any{"replicas": int64(1),
		"selector": map[string]any{"matchLabels": map[string]any{"app": "vllm"}},
		"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "vllm"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "vllm", "image": "vllm/vllm-openai:v0.10.0"}}}}}})
	return []*unstructured.Unstructured{pool, dep}
}

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	for k, v := range fields {
		u.Object[k] = v
	}
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// The scope all namespaces lists every namespaced kind once across all of them.
func TestAllNamespaces(t *testing.T) {
	apply(t, append(rbacFixture("team-a"), rbacFixture("team-b")...))
	var n standin.Counter
	s := gather(t, n.Config(bed.Config), inventory.Options{Scope: inventory.Scope{All: true}}).Snapshot
	lists, _ := n.Collections()
	if lists["/apis/inference.networking.k8s.io/v1/inferencepools"] != 1 || lists["/api/v1/pods"] != 1 || s.Namespaces != nil {
		t.Errorf("lists %v, Namespaces %v", lists, s.Namespaces)
	}
	var pools []string
	for _, u := range s.Objects {
		if u.GetKind() == "InferencePool" {
			pools = append(pools, u.GetNamespace()+"/"+u.GetName())
		}
	}
	if !slices.Contains(pools, "team-a/p") || !slices.Contains(pools, "team-b/p") {
		t.Errorf("pools %v", pools)
	}
}
