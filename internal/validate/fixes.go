package validate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// ruleFixes name the fix of messages the apiserver gives without one, by a piece of the message.
// The CEL rules of the inference CRDs come first; their messages are what users meet most.
var ruleFixes = []struct{ contains, fix string }{
	{"port number must be unique", "list each port once in spec.targetPorts"},
	{"port is required when kind is 'Service'", "set endpointPickerRef.port.number to the port of the endpoint picker's Service (the Service port, not the pod's)"},
	{"should be less than or equal to 65535", "a port number is 1 to 65535"},
	{"should be greater than or equal to 1", "a port number is 1 to 65535"},
}

// addFixes fills in the fix of each problem that has none yet.
func (v *Validator) addFixes(cv *crdVersion, obj manifest.Object, problems []Problem) {
	for i := range problems {
		p := &problems[i]
		if p.Fix != "" {
			continue
		}
		switch {
		case p.Code == diagnose.UnknownField:
			p.Fix = v.unknownFieldFix(cv, p.Field)
		case p.Code == diagnose.DuplicateField:
			p.Fix = fmt.Sprintf("keep one %s: the apiserver refuses a key written twice", p.Field)
		case p.Field == "metadata.name" && p.Type == field.ErrorTypeInvalid:
			p.Fix = nameFix(obj.GetName())
		case p.Type == field.ErrorTypeRequired:
			p.Fix = "set " + p.Field
		default:
			p.Fix = ruleFix(p.Message)
		}
	}
}

func ruleFix(msg string) string {
	for _, r := range ruleFixes {
		if strings.Contains(msg, r.contains) {
			return r.fix
		}
	}
	return ""
}

// unknownFieldFix says what the parent of an unknown field does have, the field meant when the
// spelling is close, and whether Gateway API's experimental channel has it.
func (v *Validator) unknownFieldFix(cv *crdVersion, path string) string {
	segs := splitPath(path)
	parent, name := segs[:len(segs)-1], segs[len(segs)-1]
	if len(parent) == 0 || parent[0] == "metadata" {
		return "remove it: it is not a field of " + strings.Join(append([]string{cv.gvk.Kind}, parent...), ".")
	}
	if exp := v.experimentalCRDs(); exp != nil {
		if ev := exp.lookup(cv.gvk); ev != nil && hasProperty(schemaAt(ev.source, parent), name) {
			return fmt.Sprintf("%s is a field of Gateway API's experimental channel: remove it, or check with --gateway-api experimental if the cluster runs that channel", path)
		}
	}
	fields := properties(schemaAt(cv.source, parent))
	where := joinPath(parent) + " of " + cv.gvk.Kind + " " + cv.gvk.GroupVersion().String()
	if len(fields) == 0 {
		return "remove it: " + where + " has no fields"
	}
	if m := closest(name, fields); m != "" {
		return fmt.Sprintf("did you mean %s%s? (%s has %s)", path[:strings.LastIndex(path, ".")+1], m, where, strings.Join(fields, ", "))
	}
	return fmt.Sprintf("remove it: %s has only %s", where, strings.Join(fields, ", "))
}

// splitPath turns "spec.rules[0].matches[1].path" into spec rules [] matches [] path: keys and
// list items, as the pruning code builds the path.
func splitPath(p string) []string {
	var out []string
	for _, key := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(key, "[")
		out = append(out, name)
		for ; rest != ""; _, rest, _ = strings.Cut(rest, "[") {
			out = append(out, "[]")
		}
	}
	return out
}

var index = regexp.MustCompile(`\.\[\]`)

func joinPath(segs []string) string { return index.ReplaceAllString(strings.Join(segs, "."), "[*]") }

// schemaAt walks a CRD version's schema down a split path; nil where the path leaves it.
func schemaAt(v *apiextensionsv1.CustomResourceValidation, segs []string) *apiextensionsv1.JSONSchemaProps {
	if v == nil {
		return nil
	}
	s := v.OpenAPIV3Schema
	for _, seg := range segs {
		switch {
		case s == nil:
			return nil
		case seg == "[]":
			if s.Items == nil {
				return nil
			}
			s = s.Items.Schema
		default:
			p, ok := s.Properties[seg]
			if !ok {
				if s.AdditionalProperties == nil {
					return nil
				}
				s = s.AdditionalProperties.Schema
				continue
			}
			s = &p
		}
	}
	return s
}

func properties(s *apiextensionsv1.JSONSchemaProps) []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasProperty(s *apiextensionsv1.JSONSchemaProps, name string) bool {
	if s == nil {
		return false
	}
	_, ok := s.Properties[name]
	return ok
}

// closest is the candidate spelled like name but for case, or at most two edits away.
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
		if d := distance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var notInName = regexp.MustCompile(`[^a-z0-9.-]+`)

// nameFix proposes a name the apiserver accepts: lower case, other characters as dashes,
// starting and ending with a letter or digit, at most 253 characters.
func nameFix(name string) string {
	s := notInName.ReplaceAllString(strings.ToLower(name), "-")
	s = strings.Trim(s, "-.")
	if len(s) > 253 {
		s = strings.TrimRight(s[:253], "-.")
	}
	if s == "" {
		return "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	}
	return fmt.Sprintf("rename it, e.g. %q", s)
}

// selectorKeys checks the label keys of an InferencePool's selector, which the CRD leaves
// unchecked (it validates only the values): a key no pod label can have selects no pod, and the
// endpoint picker cannot build a label selector from it.
func selectorKeys(gvk schema.GroupVersionKind, obj map[string]any) []Problem {
	var path *field.Path
	switch {
	case gvk.Kind != "InferencePool":
		return nil
	case gvk.Group == "inference.networking.k8s.io":
		path = field.NewPath("spec", "selector", "matchLabels")
	case gvk.Group == "inference.networking.x-k8s.io":
		path = field.NewPath("spec", "selector")
	default:
		return nil
	}
	labels, ok := nested(obj, path).(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Problem
	for _, k := range keys {
		for _, e := range metav1validation.ValidateLabelName(k, path) {
			out = append(out, Problem{Code: diagnose.SelectorKeyInvalid, Severity: diagnose.Error, Stage: StageAdvice,
				Field: e.Field, Message: e.Error() + " (the apiserver accepts it, but no pod can have this label)",
				Fix: "use the key of a label the model server pods have, e.g. app"})
		}
	}
	return out
}

func nested(obj map[string]any, path *field.Path) any {
	var cur any = obj
	for _, seg := range strings.Split(path.String(), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}
