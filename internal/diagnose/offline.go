package diagnose

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/igw-dev/igw/internal/manifest"
)

// clusterScoped are the kinds without a namespace that manifests commonly hold; offline nothing
// else says which kinds are cluster-scoped.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "GatewayClass": true, "StorageClass": true, "PriorityClass": true,
	"IngressClass": true, "RuntimeClass": true, "APIService": true, "ValidatingWebhookConfiguration": true,
	"MutatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

// FromManifests is the offline snapshot of objects read from files. Namespaced objects without a
// namespace go into namespace ns ("default" when empty), as kubectl apply -n would put them. An
// object given twice (same kind, namespace and name) counts once, as the later file has it, the
// way applying the files in order would leave it. The objects are copied; objs is not changed.
func FromManifests(objs []manifest.Object, ns string) *Snapshot {
	if ns == "" {
		ns = "default"
	}
	type id struct{ gk, ns, name string }
	s := &Snapshot{Sources: map[*unstructured.Unstructured]string{}}
	at := map[id]int{}
	for _, o := range objs {
		u := o.Unstructured.DeepCopy()
		if u.GetNamespace() == "" && !clusterScoped[u.GetKind()] {
			u.SetNamespace(ns)
		}
		k := id{u.GroupVersionKind().GroupKind().String(), u.GetNamespace(), u.GetName()}
		if i, dup := at[k]; dup {
			delete(s.Sources, s.Objects[i])
			s.Objects[i] = u
		} else {
			at[k] = len(s.Objects)
			s.Objects = append(s.Objects, u)
		}
		s.Sources[u] = o.Source.String()
	}
	return s
}

// Overlay adds objects read from files to a live snapshot as kubectl apply -f would change the
// cluster: a live object of the same kind, namespace and name is replaced whole (its live status
// goes with it, since no controller has judged the new spec yet; a status written in the file
// stays), the others are added. Namespaced objects without a namespace go into ns. What was
// listed (Live, Served, Unlisted, Namespaces) stays as the live snapshot has it.
func Overlay(live *Snapshot, files []manifest.Object, ns string) *Snapshot {
	fromFiles := FromManifests(files, ns)
	type id struct{ gk, ns, name string }
	idOf := func(u *unstructured.Unstructured) id {
		return id{u.GroupVersionKind().GroupKind().String(), u.GetNamespace(), u.GetName()}
	}
	replaced := map[id]bool{}
	for _, u := range fromFiles.Objects {
		replaced[idOf(u)] = true
	}
	out := &Snapshot{Sources: fromFiles.Sources, Served: live.Served, Live: live.Live, Unlisted: live.Unlisted, Namespaces: live.Namespaces}
	for _, u := range live.Objects {
		if !replaced[idOf(u)] {
			out.Objects = append(out.Objects, u)
		}
	}
	out.Objects = append(out.Objects, fromFiles.Objects...)
	return out
}
