package diagnose

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Analyzer finds problems in a snapshot. Analyze reads nothing but the snapshot, so one analyzer
// checks manifests offline and a live cluster alike, and is tested with plain objects.
type Analyzer interface {
	// Name identifies the analyzer, e.g. "inferencepool.targetports".
	Name() string
	Analyze(s *Snapshot) []Finding
}

// Snapshot is what an analysis may look at, gathered once: from files, or read from a cluster.
type Snapshot struct {
	Objects []*unstructured.Unstructured
	// Served maps each group/version the cluster serves ("gateway.networking.k8s.io/v1") to its
	// resources ("gateways", ...). Nil when unknown (offline): analyzers must not read a missing
	// entry as "not served" then.
	Served map[string][]string
}

// OfKind returns the snapshot's objects of a group and kind, in snapshot order.
func (s *Snapshot) OfKind(gk schema.GroupKind) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range s.Objects {
		if o.GroupVersionKind().GroupKind() == gk {
			out = append(out, o)
		}
	}
	return out
}

// Analyze runs every analyzer over s and returns their findings, sorted.
func Analyze(s *Snapshot, analyzers ...Analyzer) Findings {
	var all Findings
	for _, a := range analyzers {
		all = append(all, a.Analyze(s)...)
	}
	all.Sort()
	return all
}
