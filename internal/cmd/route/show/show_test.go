package show

import (
	"context"
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmd/route/set"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var (
	bed    *testbed.Env
	update = flag.Bool("update", false, "rewrite the golden files in testdata")
)

const dir = "../../../../testdata/route/"

var routeGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../../config/crd", "../../../../config/gateway-api/standard", "../../../../testdata/crds/standins.yaml"))
}

// A route set by igwctl, its status written as istiod would (one backend not found), and a route
// by hand for the same model: show lists both, with weights and status, and says which wins.
func TestShow(t *testing.T) {
	ns := "route-show"
	objs, err := standin.Load(dir+"set/gateway.yaml", dir+"set/pools.yaml", dir+"set/bbr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		if u.GetKind() != "GatewayClass" {
			u.SetNamespace(ns)
		}
	}
	standin.ApplyT(t, bed.Config, standin.Options{}, objs)
	if _, _, err := cmdtest.Run(t, set.NewCmd, bed.Config, ns, "llama", "--gateway", "inference-gateway", "--pool", "llama-v1=90", "--pool", "llama-v2=10"); err != nil {
		t.Fatal(err)
	}
	writeStatus(t, ns, set.RouteName("llama"))
	// Creation times are whole seconds: a second later, igwctl's route is the older one.
	time.Sleep(1100 * time.Millisecond)
	hand, err := standin.Load(dir + "show/by-hand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hand[0].SetNamespace(ns)
	standin.ApplyT(t, bed.Config, standin.Options{}, hand)

	stdout, stderr, err := cmdtest.Run(t, NewCmd, bed.Config, ns)
	if err != nil || stderr != "" {
		t.Fatalf("%v, stderr %q", err, stderr)
	}
	golden(t, "show/show", regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`).ReplaceAllString(stdout, "TIME"))

	stdout, _, err = cmdtest.Run(t, NewCmd, bed.Config, ns, "-o", "json")
	var r Result
	if err != nil || json.Unmarshal([]byte(stdout), &r) != nil || len(r.Routes) != 2 {
		t.Fatalf("%v: %s", err, stdout)
	}
	mine := r.Routes[0]
	if mine.Name == "llama-by-hand" {
		mine = r.Routes[1]
	}
	if mine.Name != set.RouteName("llama") || mine.Model != "llama" || mine.ManagedBy != "igwctl" || len(mine.Pools) != 2 ||
		mine.Pools[0].Percent != 90 || mine.Pools[1].Probability != "1/10" || len(mine.Parents) != 1 ||
		mine.Parents[0].Accepted != "True" || mine.Parents[0].ResolvedRefs != "False" || mine.Parents[0].ResolvedRefsReason != "BackendNotFound" {
		t.Errorf("igwctl's route: %+v", mine)
	}
	if len(r.Conflicts) != 1 || r.Conflicts[0].Winner.Name != set.RouteName("llama") || len(r.Conflicts[0].Losers) != 1 ||
		r.Conflicts[0].Losers[0].Name != "llama-by-hand" || !strings.Contains(r.Conflicts[0].Losers[0].Why, "is older") {
		t.Errorf("conflicts: %+v", r.Conflicts)
	}

	stdout, _, err = cmdtest.Run(t, NewCmd, bed.Config, "default", "-A", "-o", "yaml")
	cmdtest.Contains(t, "-A", stdout, "namespace: route-show", "model: llama")
	if err != nil {
		t.Error(err)
	}
	stdout, _, _ = cmdtest.Run(t, NewCmd, bed.Config, "nothing-here")
	if stdout != "no model routes in namespace nothing-here\n" {
		t.Errorf("empty namespace: %q", stdout)
	}
}

// writeStatus writes what a gateway controller would: accepted, one backend not found.
func writeStatus(t *testing.T, ns, name string) {
	t.Helper()
	client := dynamic.NewForConfigOrDie(bed.Config).Resource(routeGVR).Namespace(ns)
	u, err := client.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now().UTC().Format("2006-01-02T15:04:05Z")
	cond := func(typ, status, reason string) map[string]any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": reason, "lastTransitionTime": now, "observedGeneration": u.GetGeneration()}
	}
	_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{
		"parentRef":      map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway"},
		"controllerName": "istio.io/gateway-controller",
		"conditions":     []any{cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "False", "BackendNotFound")},
	}}, "status", "parents")
	if _, err := client.UpdateStatus(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, dir+name+".golden", got, *update)
}

// Offline, from the precedence fixture: each model with rival routes gets one conflict, won by
// Gateway API's precedence.
func TestBuildConflicts(t *testing.T) {
	objs, err := manifest.Load(manifest.Options{Paths: []string{dir + "simulate/gateway.yaml", dir + "simulate/precedence.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(diag.FromManifests(objs, "default"))
	if err != nil {
		t.Fatal(err)
	}
	winners := map[string]string{}
	for _, c := range r.Conflicts {
		winners[c.Model] = c.Winner.String()
	}
	want := map[string]string{"qwen": "default/qwen-old rule 0", "mistral": "team-a/mistral rule 0", "phi": "default/phi-wildcard-host rule 0"}
	if len(winners) != len(want) {
		t.Errorf("conflicts %+v", r.Conflicts)
	}
	for m, w := range want {
		if winners[m] != w {
			t.Errorf("%s: %q wins, want %q", m, winners[m], w)
		}
	}
	if len(r.Routes) != 9 {
		t.Errorf("%d model rules, want 9", len(r.Routes))
	}
}
