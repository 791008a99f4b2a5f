package convert

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// Legacy is one old spelling in an object and what current releases read instead.
type Legacy struct {
	// Path is the field as written, as the API server prints paths: "spec.extensionRef",
	// "apiVersion", "spec.rules[0].backendRefs[1].group".
	Path string
	// Use is what to write instead, ready to put in a message: "`spec.endpointPickerRef` (port
	// as `port: {number: N}`; ...)", or why there is no exact equivalent.
	Use string
	// Rejected is true when the object's own API refuses it as written (an alpha field in a v1
	// InferencePool); false when the object is valid in an older API or refers to one (an alpha
	// pool, a route to the alpha group, an objective in the legacy group).
	Rejected bool
	// Convertible is true when `igwctl convert` rewrites it exactly.
	Convertible bool
}

// LegacySpellings lists the old spellings in one object, sorted by path: every
// change `igwctl convert --objective-group llm-d --all-pool-refs` would make to it (the server-set
// fields and status it drops are not spellings and are left out), and every field that has no
// exact current equivalent, such as an InferenceModel's. Nil when the object has none, or is not
// an object convert knows.
func LegacySpellings(obj *unstructured.Unstructured) []Legacy {
	if !slices.Contains([]string{"InferencePool", "InferenceObjective", "InferenceModel", "HTTPRoute", "GRPCRoute", "ReferenceGrant"}, obj.GetKind()) {
		return nil // not worth a round trip through YAML
	}
	data, err := sigsyaml.Marshal(obj.Object)
	if err != nil {
		return nil
	}
	r := &run{opts: Options{ObjectiveGroup: ObjectivesLLMD, AllPoolRefs: true}}
	if r.parse(File{Name: "object", Data: data}) != nil || len(r.objects) != 1 {
		return nil
	}
	ob := r.objects[0]
	r.convertObject(ob)
	rejected := ob.kind == "InferencePool" && ob.group == GroupV1
	var out []Legacy
	for _, c := range ob.changes {
		if c.Op != Removed {
			out = append(out, Legacy{Path: c.Path, Use: c.use(), Rejected: rejected, Convertible: true})
		}
	}
	for _, p := range r.problems {
		out = append(out, Legacy{Path: p.Path, Use: p.Why, Rejected: rejected})
	}
	slices.SortStableFunc(out, func(a, b Legacy) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// use is the change as a hint: the current spelling in backquotes, then the note.
func (c Change) use() string {
	var s string
	switch c.Op {
	case Regrouped:
		s = "`" + lastField(c.Path) + ": " + c.To + "`"
	default:
		s = "`" + c.To + "`"
	}
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}

func lastField(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}
