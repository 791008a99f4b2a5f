package validate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// builtinGroups are served by every kube-apiserver without a CRD but are not in client-go's
// scheme (which holds the rest: core, apps, networking.k8s.io, rbac, ...).
var builtinGroups = []string{"apiextensions.k8s.io", "apiregistration.k8s.io"}

// unresolved explains an object whose kind no selected CRD serves: a built-in kind (skipped:
// its schema is the apiserver's, not a CRD's), a kind or version of a group igwctl knows that
// does not exist or only in the other channel, or a group igwctl knows nothing about.
func (v *Validator) unresolved(obj manifest.Object) []Problem {
	gv, err := schema.ParseGroupVersion(obj.GetAPIVersion())
	if err != nil {
		return []Problem{{Code: diagnose.Undecodable, Severity: diagnose.Error, Stage: StageKind, Field: "apiVersion",
			Message: fmt.Sprintf("apiVersion %q: %v", obj.GetAPIVersion(), err), Fix: "write apiVersion as group/version, e.g. inference.networking.k8s.io/v1"}}
	}
	gvk := gv.WithKind(obj.GetKind())
	if isBuiltin(gv.Group) {
		return nil
	}
	if exp := v.experimentalCRDs(); exp != nil && exp.lookup(gvk) != nil {
		return []Problem{{Code: diagnose.ExperimentalOnly, Severity: diagnose.Error, Stage: StageKind,
			Message: fmt.Sprintf("%s %s is only in Gateway API's experimental channel; the standard channel has %s", gvk.Kind, gv, v.servedAs(gvk)),
			Fix:     "install the experimental channel (igwctl install crds --gateway-api experimental) and check with --gateway-api experimental, or use a standard resource"}}
	}
	if _, known := v.crds.kinds[gv.Group]; !known {
		return []Problem{{Code: diagnose.KindNotChecked, Severity: diagnose.Info, Stage: StageKind,
			Message: fmt.Sprintf("igwctl has no schema for %s %s; not checked", gvk.Kind, gv)}}
	}
	msg := fmt.Sprintf("no matches for kind %q in version %q", gvk.Kind, gv)
	if versions := v.crds.servedVersions(gvk.GroupKind()); len(versions) > 0 {
		return []Problem{{Code: diagnose.VersionNotServed, Severity: diagnose.Error, Stage: StageKind, Field: "apiVersion",
			Message: msg, Fix: fmt.Sprintf("%s is served as %s", gvk.Kind, versionsOf(gv.Group, versions))}}
	}
	return []Problem{{Code: diagnose.KindNotInGroup, Severity: diagnose.Error, Stage: StageKind, Field: "kind",
		Message: msg, Fix: v.kindFix(gvk)}}
}

func isBuiltin(group string) bool {
	return scheme.Scheme.IsGroupRegistered(group) || slices.Contains(builtinGroups, group)
}

// servedAs says where the selected CRDs serve a kind: "HTTPRoute gateway.networking.k8s.io/v1",
// or "no XBackend".
func (v *Validator) servedAs(gvk schema.GroupVersionKind) string {
	versions := v.crds.servedVersions(gvk.GroupKind())
	if len(versions) == 0 {
		return "no " + gvk.Kind
	}
	return gvk.Kind + " " + versionsOf(gvk.Group, versions)
}

// kindFix names the kind meant: the same name spelled with other capitals in the group, or the
// groups that do have this kind ("InferenceObjective" written with the InferencePool group).
func (v *Validator) kindFix(gvk schema.GroupVersionKind) string {
	if k := v.crds.kindFolded(gvk.Group, gvk.Kind); k != "" {
		return fmt.Sprintf("kinds are case-sensitive: write kind: %s", k)
	}
	var elsewhere []string
	for gv := range v.crds.versions {
		if gv.Kind == gvk.Kind && gv.Group != gvk.Group {
			elsewhere = append(elsewhere, gv.GroupVersion().String())
		}
	}
	if len(elsewhere) > 0 {
		sort.Strings(elsewhere)
		return fmt.Sprintf("%s is served as %s", gvk.Kind, strings.Join(elsewhere, " or "))
	}
	return fmt.Sprintf("%s has the kinds %s", gvk.Group, strings.Join(v.crds.kinds[gvk.Group], ", "))
}

// versionsOf spells versions of a group as apiVersions: "g/v1 or g/v1beta1".
func versionsOf(group string, versions []string) string {
	out := make([]string, len(versions))
	for i, ver := range versions {
		out[i] = schema.GroupVersion{Group: group, Version: ver}.String()
	}
	return strings.Join(out, " or ")
}
