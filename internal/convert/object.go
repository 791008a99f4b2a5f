package convert

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/igw-dev/igw/internal/manifest"
)

// object is one Kubernetes object of the input: a document, or an item of a List document.
type object struct {
	file             *file
	src              manifest.Source
	item             string
	node             *yaml.Node // the object's mapping
	apiVersion, kind string
	group, version   string
	namespace, name  string
	newAPIVersion    string
	changes          []Change
	problems         int
	converted        bool // the apiVersion changed
}

func newObject(fl *file, n *yaml.Node, src manifest.Source, item string) *object {
	ob := &object{file: fl, src: src, item: item, node: n,
		apiVersion: scalarValue(n, "apiVersion"), kind: scalarValue(n, "kind")}
	ob.group, ob.version, _ = strings.Cut(ob.apiVersion, "/")
	if ob.version == "" { // "v1" alone is the core group
		ob.group, ob.version = "", ob.group
	}
	if md := child(n, "metadata"); md != nil {
		ob.namespace, ob.name = scalarValue(md, "namespace"), scalarValue(md, "name")
	}
	ob.newAPIVersion = ob.apiVersion
	return ob
}

// ref is how messages name the object: "InferencePool default/x", or without a namespace
// "InferencePool x" (kubectl apply puts it in the namespace of the context).
func (ob *object) ref() string {
	if ob.namespace == "" {
		return ob.kind + " " + ob.name
	}
	return ob.kind + " " + ob.namespace + "/" + ob.name
}

// convertObject converts what it knows and leaves every other object alone.
func (r *run) convertObject(ob *object) {
	switch {
	case ob.kind == "InferencePool" && ob.group == GroupX:
		r.alphaPool(ob)
	case ob.kind == "InferencePool" && ob.group == GroupV1:
		r.poolSpec(ob, false)
	case ob.kind == "InferenceObjective" && (ob.group == GroupX || ob.group == GroupLLMD):
		r.objective(ob)
	case ob.kind == "InferenceModel" && ob.group == GroupX:
		r.inferenceModel(ob)
	case ob.group == "gateway.networking.k8s.io" && (ob.kind == "HTTPRoute" || ob.kind == "GRPCRoute"):
		r.routeRefs(ob)
	case ob.group == "gateway.networking.k8s.io" && ob.kind == "ReferenceGrant":
		r.grantRefs(ob)
	}
}

func (r *run) problem(ob *object, path, why string) {
	ob.problems++
	r.problems = append(r.problems, Problem{Source: ob.src, Item: ob.item, Object: ob.ref(), Path: path, Why: why})
}

// failed records an edit that could not be made as a problem of the field.
func (r *run) failed(ob *object, path string, err error) bool {
	if err != nil {
		r.problem(ob, path, err.Error())
	}
	return err != nil
}

func (r *run) note(ob *object, format string, args ...any) {
	r.notes = append(r.notes, ob.ref()+": "+fmt.Sprintf(format, args...))
}

func (ob *object) change(c Change) { ob.changes = append(ob.changes, c) }

// setAPIVersion moves the object to another API. The old object's server-set metadata then
// describes nothing: kubectl apply would create the new object with the old resourceVersion and
// be refused, so it goes.
func (r *run) setAPIVersion(ob *object, apiVersion, note string) {
	k, v, _ := entry(ob.node, "apiVersion")
	if k == nil || r.failed(ob, "apiVersion", ob.file.ed.setScalar(v, apiVersion)) {
		return
	}
	ob.newAPIVersion, ob.converted = apiVersion, true
	ob.change(Change{Op: Regrouped, Path: "apiVersion", From: ob.apiVersion, To: apiVersion, Note: note})
	md := child(ob.node, "metadata")
	if md == nil || md.Kind != yaml.MappingNode {
		return
	}
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "managedFields"} {
		if _, _, i := entry(md, f); i >= 0 && !r.failed(ob, "metadata."+f, ob.file.ed.deleteEntry(md, i)) {
			ob.change(Change{Op: Removed, Path: "metadata." + f, Note: "the API server sets these for each object"})
		}
	}
}

// indexPools remembers every InferencePool of the input: once converted, all of them are v1.
func (r *run) indexPools() {
	for _, ob := range r.objects {
		if ob.kind == "InferencePool" && (ob.group == GroupX || ob.group == GroupV1) {
			r.pools = append(r.pools, ob)
		}
	}
}

// hasPool reports whether the input has the pool namespace/name. A missing namespace matches
// any: guides leave it out and apply everything into one namespace.
func (r *run) hasPool(namespace, name string) bool {
	for _, p := range r.pools {
		if p.name == name && (p.namespace == namespace || p.namespace == "" || namespace == "") {
			return true
		}
	}
	return false
}

// hasPoolIn reports whether the input has a pool in namespace.
func (r *run) hasPoolIn(namespace string) bool {
	for _, p := range r.pools {
		if p.namespace == namespace || p.namespace == "" || namespace == "" {
			return true
		}
	}
	return false
}

// checkDuplicates refuses a conversion that would write one object twice: an alpha pool next
// to the v1 pool of the same name, an objective in both groups moved into one.
func (r *run) checkDuplicates() {
	seen := map[string]*object{}
	for _, ob := range r.objects {
		if ob.name == "" || ob.kind == "" {
			continue
		}
		group, _, _ := strings.Cut(ob.newAPIVersion, "/")
		key := strings.Join([]string{group, ob.kind, ob.namespace, ob.name}, "\x00")
		first, dup := seen[key]
		if !dup {
			seen[key] = ob
			continue
		}
		if ob.converted || first.converted {
			r.problem(ob, "metadata.name", fmt.Sprintf("would be written twice in %s, here and as %s; keep one", group, where(first)))
		}
	}
}

func where(ob *object) string {
	if ob.item != "" {
		return ob.src.String() + ", " + ob.item
	}
	return ob.src.String()
}

// entry finds key in mapping m: its key and value nodes and the key's index in m.Content, or
// nils and -1.
func entry(m *yaml.Node, key string) (k, v *yaml.Node, i int) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil, -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1], i
		}
	}
	return nil, nil, -1
}

// child is the value of key in m, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	_, v, _ := entry(m, key)
	return v
}

// scalarValue is the string value of key in m, or "" when it is absent or not a scalar.
func scalarValue(m *yaml.Node, key string) string {
	if v := child(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// keys are the keys of mapping m.
func keys(m *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}
