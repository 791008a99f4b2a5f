package install

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/kube"
)

// crdFinding is a reason to leave a CRD alone unless --force says otherwise. fix is empty where
// --force is the only way past it: the refusal says that once for all.
func crdFinding(code diagnose.Code, crd, message, fix string) diagnose.Finding {
	return diagnose.Finding{Code: code, Severity: diagnose.Error, Object: diagnose.Object{Kind: "CustomResourceDefinition", Name: crd},
		Message: message, Fix: fix}
}

// problemLine is a CRD finding as refusals and --force warnings list it: "NAME: message (fix)".
func problemLine(f diagnose.Finding) string {
	line := f.Object.Name + ": " + f.Message
	if f.Fix != "" {
		line += " (" + f.Fix + ")"
	}
	return line
}

// Helm marks the objects it manages with this label and these annotations.
const (
	helmManagedByLabel     = "app.kubernetes.io/managed-by"
	helmReleaseName        = "meta.helm.sh/release-name"
	helmReleaseNamespace   = "meta.helm.sh/release-namespace"
	channelExperimental    = "experimental"
	channelStandard        = "standard"
	helmManagedByLabelHelm = "Helm"
)

// CheckApply returns why applying want over the installed CRD (nil when absent) would be unsafe:
// a downgrade, a switch from the experimental to the standard Gateway API channel, or taking over
// a CRD another tool installed.
func CheckApply(want CRD, installed *apiextensionsv1.CustomResourceDefinition) []diagnose.Finding {
	if installed == nil {
		return nil
	}
	var problems []diagnose.Finding
	add := func(code diagnose.Code, fix, format string, args ...any) {
		problems = append(problems, crdFinding(code, want.Name, fmt.Sprintf(format, args...), fix))
	}
	if have := installed.Annotations[want.VersionAnnotation]; have != "" {
		cmp, err := CompareVersions(have, want.BundleVersion)
		switch {
		case err != nil:
			add(diagnose.CRDVersionUnknown, "", "cannot tell whether applying %s would downgrade it: installed %s %q: %v",
				want.BundleVersion, want.VersionAnnotation, have, err)
		case cmp > 0:
			add(diagnose.CRDDowngrade, "", "installed version %s is newer than %s, which this would apply: a downgrade (%s)",
				have, want.BundleVersion, want.VersionAnnotation)
		}
	}
	if want.IsGatewayAPI() && installed.Annotations[GatewayAPIChannelAnnotation] == channelExperimental && want.Channel == channelStandard {
		add(diagnose.GatewayAPIChannelSwitch, "use --gateway-api experimental to keep them",
			"installed from the experimental Gateway API channel; applying the standard channel removes "+
				"experimental fields that existing objects may use")
	}
	problems = append(problems, checkOwnership(want.Name, installed, false)...)
	return problems
}

// CheckDelete returns why deleting the installed CRD would be unsafe because igwctl did not
// install it. Objects that still exist are counted separately (they need the cluster).
func CheckDelete(installed *apiextensionsv1.CustomResourceDefinition) []diagnose.Finding {
	return checkOwnership(installed.Name, installed, true)
}

// checkOwnership refuses CRDs that belong to Helm or to another field manager. A CRD igwctl has
// applied before (it has an igwctl Apply entry) is igwctl's, even when other managers share
// fields with it: after a --force take-over they keep co-owning the fields whose values agree,
// and refusing again on every later run would make --force permanent. Real disagreements still
// surface as server-side apply conflicts.
func checkOwnership(name string, installed *apiextensionsv1.CustomResourceDefinition, deleting bool) []diagnose.Finding {
	var problems []diagnose.Finding
	if release, ok := HelmRelease(installed); ok {
		// Refused even after igwctl applied it: Helm keeps claiming it until its marks go.
		msg, fix := "managed by Helm release "+release+": the next helm upgrade would fight igwctl over it",
			"remove its Helm labels and annotations, or the release, to hand it to igwctl"
		if deleting {
			msg, fix = "managed by Helm release "+release, "remove it with Helm, or it breaks the release"
		}
		problems = append(problems, crdFinding(diagnose.CRDManagedByHelm, name, msg, fix))
	}
	if others := SpecManagers(installed.ManagedFields); len(others) > 0 && !AppliedByIgwctl(installed.ManagedFields) {
		problems = append(problems, crdFinding(diagnose.CRDManagedByOther, name, fmt.Sprintf(
			"installed by another tool: its spec is managed by %s, not %s", quoteAll(others), kube.FieldManager), ""))
	}
	return problems
}

// HelmRelease names the Helm release ("namespace/name") that owns an object, when Helm marked it.
func HelmRelease(obj metav1.Object) (string, bool) {
	ann, labels := obj.GetAnnotations(), obj.GetLabels()
	name, ns := ann[helmReleaseName], ann[helmReleaseNamespace]
	if name == "" && labels[helmManagedByLabel] != helmManagedByLabelHelm {
		return "", false
	}
	switch {
	case name == "":
		return "(unknown: labelled managed-by Helm without release annotations)", true
	case ns == "":
		return name, true
	}
	return ns + "/" + name, true
}

// SpecManagers lists, sorted, the field managers other than igwctl that own part of the spec.
// Status writers (the API server itself) do not count: they never own spec fields.
func SpecManagers(entries []metav1.ManagedFieldsEntry) []string {
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Manager == kube.FieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			continue
		}
		if e.FieldsV1 == nil || !ownsSpec(e.FieldsV1.GetRawBytes()) {
			continue
		}
		name := e.Manager
		if name == "" {
			name = "(unnamed)"
		}
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// AppliedByIgwctl tells whether igwctl has a server-side apply entry among the managed fields.
func AppliedByIgwctl(entries []metav1.ManagedFieldsEntry) bool {
	for _, e := range entries {
		if e.Manager == kube.FieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func ownsSpec(raw []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return false
	}
	_, ok := fields["f:spec"]
	return ok
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// refusal is the error for problems found before anything was changed.
func refusal(what string, problems []diagnose.Finding, forceHelp string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to %s; nothing was changed:", what)
	for _, p := range problems {
		b.WriteString("\n  - " + problemLine(p))
	}
	b.WriteString("\n" + forceHelp)
	return &RefusedError{Problems: problems, msg: b.String()}
}

// RefusedError is returned when a check refused, before any change was made.
type RefusedError struct {
	Problems []diagnose.Finding
	msg      string
}

func (e *RefusedError) Error() string { return e.msg }
