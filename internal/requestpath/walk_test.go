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
