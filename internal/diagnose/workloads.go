package diagnose

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/igw-dev/igw/internal/bbr/adapters"
)

// matches reports whether a selector's labels are all on a pod's labels. An empty selector
// selects nothing here: InferencePool requires at least one label, and a Service without a
// selector has its endpoints managed by hand.
func matches(selector, podLabels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if l, ok := podLabels[k]; !ok || l != v {
			return false
		}
	}
	return true
}

// selected returns the workloads in ns whose pods the selector selects.
func (ix *index) selected(ns string, selector map[string]string) []*workload {
	var out []*workload
	for _, w := range ix.byNS[ns] {
		if matches(selector, w.labels) {
			out = append(out, w)
		}
	}
	return out
}

// hasWorkloads reports whether ns holds any pod or pod template other than those in except.
func (ix *index) hasWorkloads(ns string, except []*workload) bool {
	for _, w := range ix.byNS[ns] {
		if !slices.Contains(except, w) {
			return true
		}
	}
	return false
}

// podsKnown reports whether the snapshot can say which pods a selector in ns selects: live when
// the pods there were listed (templates make no pods then), offline when the files hold pods or
// pod templates in ns besides except (the endpoint picker's own, which say nothing about the
// model servers).
func (s *Snapshot) podsKnown(ns string, except []*workload) bool {
	if s.Live {
		return s.listedIn(gkPod, ns)
	}
	return s.index().hasWorkloads(ns, except)
}

// pickerService is the Service a pool's endpointPickerRef names, when it names a Service.
func (ix *index) pickerService(p *pool) (*service, bool) {
	ref := p.Spec.EndpointPickerRef
	if ref == nil || !pickerIsService(p) {
		return nil, false
	}
	s, ok := ix.services[key{"", p.Namespace, string(ref.Name)}]
	return s, ok
}

func pickerIsService(p *pool) bool {
	ref := p.Spec.EndpointPickerRef
	return ref != nil && (ref.Kind == "" || ref.Kind == kindService) && (ref.Group == nil || *ref.Group == "")
}

// pickerWorkloads are the pods and templates behind the endpoint picker's Service.
func (ix *index) pickerWorkloads(p *pool) []*workload {
	if ws, ok := ix.pickers[p]; ok {
		return ws
	}
	var ws []*workload
	if s, ok := ix.pickerService(p); ok {
		ws = ix.selected(s.Namespace, s.Spec.Selector)
	}
	ix.pickers[p] = ws
	return ws
}

// command is a container's command line: command then args.
func command(c corev1.Container) []string {
	return append(slices.Clone(c.Command), c.Args...)
}

// flagValues returns every value a command line gives flag name, written --name=v, --name v,
// -name=v or -name v as Go's flag packages accept them; found says whether the flag appears.
func flagValues(args []string, name string) (values []string, found bool) {
	for i := 0; i < len(args); i++ {
		a := strings.TrimPrefix(strings.TrimPrefix(args[i], "-"), "-")
		if a == args[i] {
			continue
		}
		switch {
		case strings.HasPrefix(a, name+"="):
			values, found = append(values, strings.TrimPrefix(a, name+"=")), true
		case a == name:
			found = true
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				values = append(values, args[i+1])
				i++
			}
		}
	}
	return values, found
}

// flagValue is the last value given to a flag, as flag parsing keeps it.
func flagValue(args []string, name string) (string, bool) {
	v, found := flagValues(args, name)
	if len(v) == 0 {
		return "", found
	}
	return v[len(v)-1], true
}

// boolFlag reads a boolean flag: absent gives def; bare --name is true.
func boolFlag(args []string, name string, def bool) bool {
	v, found := flagValues(args, name)
	if !found {
		return def
	}
	if len(v) == 0 {
		return true
	}
	return v[len(v)-1] == "true" || v[len(v)-1] == "1"
}

// env returns a container's literal value of an environment variable.
func env(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

// imageRepo and imageTag split an image reference: "ghcr.io/x/y:v1@sha256:..." → "ghcr.io/x/y", "v1".
func imageRepo(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i]
	}
	return image
}

func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return ""
}

// isAdapterConfigMap reports whether bbr reads the ConfigMap as an adapter mapping.
func isAdapterConfigMap(u *unstructured.Unstructured) bool {
	for _, l := range adapters.Labels {
		if u.GetLabels()[l] == "true" {
			return true
		}
	}
	return false
}

// selectorMatches evaluates a metav1.LabelSelector on a label set; a selector that does not
// parse selects nothing.
func selectorMatches(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(set))
}
