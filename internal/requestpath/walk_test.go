package requestpath

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

const corpusDir = "../../testdata/diagnose"

// snapshot reads files as a cluster would hold them: live, every kind listed.
func snapshot(t *testing.T, paths ...string) *diag.Snapshot {
	t.Helper()
	objs, err := manifest.Load(manifest.Options{Paths: paths, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	s := diag.FromManifests(objs, "")
	s.Live, s.Sources = true, nil
	return s
}

// A pool that is not there is a failed step naming the pools that are.
func TestNoPool(t *testing.T) {
	s := snapshot(t, corpusDir+"/ok/istio")
	r := Walk(context.Background(), Input{Snapshot: s, Namespace: "default", Name: "nope", Scope: "namespace default"})
	st := r.Sections[0].Steps[len(r.Sections[0].Steps)-1]
	if st.Status != Failed || st.Name != "InferencePool nope exists" || !strings.Contains(st.Fix, "default/vllm-llama3-8b-instruct") || !r.Failed() {
		t.Errorf("%+v", st)
	}
	r = Walk(context.Background(), Input{Snapshot: &diag.Snapshot{Live: true}, Scope: "namespace empty"})
	if st := r.Sections[0].Steps[len(r.Sections[0].Steps)-1]; st.Name != "InferencePools to verify" || st.Detail != "none in namespace empty" {
		t.Errorf("%+v", st)
	}
}

// Kinds that could not be listed make their steps "not run" with the reason, never "passed".
func TestUnlistedNotRun(t *testing.T) {
	s := snapshot(t, corpusDir+"/ok/istio")
	s.Unlisted = map[schema.GroupKind]string{gkPod: "pods is forbidden", gkGateway: "gateways is forbidden", gkCRD: "forbidden"}
	r := Walk(context.Background(), Input{Snapshot: s, Scope: "all namespaces"})
	for _, prefix := range []string{"CRDs installed", "model server pods", "pods listen", "pods serve"} {
		found := false
		for _, sec := range r.Sections {
			for _, st := range sec.Steps {
				if strings.HasPrefix(st.Name, prefix) {
					found = true
					if st.Status != NotRun || !strings.Contains(st.Detail, "forbidden") {
						t.Errorf("%s: %s %q", st.Name, st.Status, st.Detail)
					}
				}
			}
		}
		if !found {
			t.Errorf("no step %q", prefix)
		}
	}
}

// cond is a condition as a gateway writes it.
func cond(typ, status, reason string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": "m", "lastTransitionTime": "2026-08-01T10:00:00Z"}
}

// setStatus gives the snapshot's objects of kind the status.
func setStatus(s *diag.Snapshot, kind string, status map[string]any) {
	for _, u := range s.Objects {
		if u.GetKind() == kind {
			u.Object["status"] = status
		}
	}
}

// The statuses gateways write decide the route, Gateway and pool steps; a pool step waits for
// an accepted route (gateways write a pool's status only then).
func TestStatusSteps(t *testing.T) {
	parent := func(conds ...any) map[string]any {
		return map[string]any{"parents": []any{map[string]any{"parentRef": map[string]any{"name": "inference-gateway"},
			"controllerName": "istio.io/gateway-controller", "conditions": conds}}}
	}
	for _, tc := range []struct {
		name          string
		route, gw     map[string]any
		routeStep     Status
		routeDetail   string
		gwStep        Status
		poolStep      Status
		poolCode      diag.Code
		poolDetailHas string
	}{
		{"resolved refs false", parent(cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "False", "UnsupportedValue")), nil,
			Failed, "ResolvedRefs=False: UnsupportedValue: m", Failed, Failed, diag.PoolNoParents, "status.parents has no entry"},
		{"not accepted", parent(cond("Accepted", "False", "NoMatchingParent"), cond("ResolvedRefs", "True", "ResolvedRefs")),
			map[string]any{"conditions": []any{cond("Accepted", "True", "Accepted"), cond("Programmed", "True", "Programmed")}, "addresses": []any{map[string]any{"value": "10.0.0.9"}}},
			Failed, "did not accept the route: NoMatchingParent", Passed, NotRun, "", "no route to the pool is accepted"},
		{"no status", nil, map[string]any{"conditions": []any{cond("Accepted", "True", "Accepted")}},
			Failed, "has written no status for the route", Failed, NotRun, "", "no route to the pool is accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := snapshot(t, corpusDir+"/ok/istio")
			setStatus(s, "HTTPRoute", tc.route)
			setStatus(s, "Gateway", tc.gw)
			r := Walk(context.Background(), Input{Snapshot: s, Scope: "all namespaces"})
			rt, gw, pool := stepsNamed(r, "HTTPRoute default/llm-route accepted")[0], stepsNamed(r, "Gateway default/")[0], stepsNamed(r, "InferencePool accepted by")[0]
			if rt.Status != tc.routeStep || !strings.Contains(rt.Detail, tc.routeDetail) {
				t.Errorf("route step %s %q", rt.Status, rt.Detail)
			}
			if gw.Status != tc.gwStep {
				t.Errorf("gateway step %s %q", gw.Status, gw.Detail)
			}
			if pool.Status != tc.poolStep || pool.Code != tc.poolCode || !strings.Contains(pool.Detail, tc.poolDetailHas) {
				t.Errorf("pool step %s %s %q", pool.Status, pool.Code, pool.Detail)
			}
		})
	}
}
