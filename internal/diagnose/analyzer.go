package diagnose

import (
	"slices"

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
// It is a plain value: whoever gathers fills the exported fields, and the analyzers only read
// them. Fill it completely before the first Analyze: the analyzers index it on first use.
type Snapshot struct {
	Objects []*unstructured.Unstructured
	// Sources says where an object was written ("file, document N"); findings about it carry
	// that. Objects read from a cluster have none.
	Sources map[*unstructured.Unstructured]string
	// Served maps each group/version the cluster serves ("gateway.networking.k8s.io/v1") to its
	// resources ("gateways", ...). Nil when unknown (offline): analyzers must not read a missing
	// entry as "not served" then.
	Served map[string][]string
	// Live says the objects were listed from a cluster: every kind an analyzer reads was listed
	// (namespaced kinds in the namespaces asked for, Gateways, GatewayClasses, ReferenceGrants,
	// CRDs and the providers' controllers in all), so an object missing from the snapshot is
	// missing from the cluster. Offline, a missing object may just be in a file not given, and
	// analyzers say so or stay silent (each analyzer's Doc says which).
	Live bool
	// Unlisted are the kinds a live gatherer could not list (RBAC forbids, the request failed),
	// with why. Analyzers treat them as offline treats files without such objects: an absence
	// proves nothing. A kind the cluster does not serve is listed, and empty.
	Unlisted map[schema.GroupKind]string
	// Namespaces are the namespaces a live gatherer listed the namespaced kinds in (-n); nil
	// means all (-A). Gateways, ReferenceGrants and the providers' controllers are listed in all
	// namespaces either way. Live, an object missing from a namespace outside these may exist.
	Namespaces []string

	// idx is the typed view of Objects the analyzers share, built on first use.
	idx *index
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

// Covers reports whether the snapshot can say that an object of one of the kinds gks does not
// exist: live when the kind was listed; offline only when the files hold at least one object of
// those kinds, since files without any (say, no InferencePool at all) describe them elsewhere.
func (s *Snapshot) Covers(gks ...schema.GroupKind) bool {
	ix := s.index()
	for _, gk := range gks {
		if s.listed(gk) || ix.kinds[gk] > 0 {
			return true
		}
	}
	return false
}

// listed reports whether every object of kind gk is in the snapshot: live, and listed.
func (s *Snapshot) listed(gk schema.GroupKind) bool {
	_, failed := s.Unlisted[gk]
	return s.Live && !failed
}

// listedIn reports whether every object of kind gk in namespace ns ("" for a cluster-scoped
// kind) is in the snapshot.
func (s *Snapshot) listedIn(gk schema.GroupKind, ns string) bool {
	return s.listed(gk) && (ns == "" || s.inScope(ns) || listedEverywhere[gk])
}

// listedEverywhere are the namespaced kinds a live gatherer lists in all namespaces whatever the
// scope, since objects in any namespace refer to them.
var listedEverywhere = map[schema.GroupKind]bool{gkGateway: true, gkRefGrant: true}

// inScope reports whether a live gatherer listed namespace ns.
func (s *Snapshot) inScope(ns string) bool {
	return s.Namespaces == nil || slices.Contains(s.Namespaces, ns)
}

// CoversIn is Covers for objects in namespace ns: live, an absence there proves something only
// when the namespace was listed.
func (s *Snapshot) CoversIn(ns string, gks ...schema.GroupKind) bool {
	if s.Live && !s.inScope(ns) && !slices.ContainsFunc(gks, func(gk schema.GroupKind) bool { return listedEverywhere[gk] }) {
		return false
	}
	return s.Covers(gks...)
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
