package install

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/config"
	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/kube"
)

func entry(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, FieldsType: "FieldsV1",
		FieldsV1: metav1.NewFieldsV1(fields)}
}

const (
	specFields   = `{"f:spec":{"f:group":{}}}`
	statusFields = `{"f:status":{"f:conditions":{}}}`
)

func installedCRD(annotations, labels map[string]string, managed ...metav1.ManagedFieldsEntry) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{
		Name: "inferencepools.inference.networking.k8s.io", Annotations: annotations, Labels: labels, ManagedFields: managed}}
}

var poolCRD = CRD{Name: "inferencepools.inference.networking.k8s.io", Set: config.InferenceV1,
	VersionAnnotation: api.BundleVersionAnnotation, BundleVersion: "v1.6.0"}

func messages(ps []diagnose.Finding) string {
	var s []string
	for _, p := range ps {
		s = append(s, problemLine(p))
	}
	return strings.Join(s, "\n")
}

func TestCheckApplyVersions(t *testing.T) {
	ours := entry(kube.FieldManager, metav1.ManagedFieldsOperationApply, specFields)
	for _, tc := range []struct {
		installed string
		want      string // "" for no problem
	}{
		{"", ""},
		{"v1.6.0", ""},
		{"v1.5.1", ""}, // an upgrade
		{"v1.6.1", "installed version v1.6.1 is newer than v1.6.0"},
		{"v1.10.0", "which this would apply: a downgrade"},
		{"garbage", `cannot tell whether applying v1.6.0 would downgrade it: installed ` + api.BundleVersionAnnotation + ` "garbage"`},
	} {
		ann := map[string]string{}
		if tc.installed != "" {
			ann[api.BundleVersionAnnotation] = tc.installed
		}
		got := messages(CheckApply(poolCRD, installedCRD(ann, nil, ours)))
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("installed %q: problems %q, want %q", tc.installed, got, tc.want)
		}
	}
	if ps := CheckApply(poolCRD, nil); len(ps) != 0 {
		t.Errorf("nothing installed: %v", ps)
	}
}

func TestCheckApplyOwnership(t *testing.T) {
	ours := entry(kube.FieldManager, metav1.ManagedFieldsOperationApply, specFields)
	for _, tc := range []struct {
		name    string
		managed []metav1.ManagedFieldsEntry
		labels  map[string]string
		ann     map[string]string
		want    []string
	}{
		{name: "ours", managed: []metav1.ManagedFieldsEntry{ours}},
		{name: "api server status only", managed: []metav1.ManagedFieldsEntry{ours, entry("kube-apiserver", metav1.ManagedFieldsOperationUpdate, statusFields)}},
		{name: "kubectl apply", managed: []metav1.ManagedFieldsEntry{entry("kubectl-client-side-apply", metav1.ManagedFieldsOperationUpdate, specFields)},
			want: []string{`installed by another tool: its spec is managed by "kubectl-client-side-apply", not igwctl`}},
		{name: "two others", managed: []metav1.ManagedFieldsEntry{entry("kubectl", metav1.ManagedFieldsOperationApply, specFields), entry("helm", metav1.ManagedFieldsOperationUpdate, specFields)},
			want: []string{`"helm", "kubectl"`}},
		{name: "igwctl Update is not igwctl's apply", managed: []metav1.ManagedFieldsEntry{entry(kube.FieldManager, metav1.ManagedFieldsOperationUpdate, specFields)},
			want: []string{`managed by "igwctl"`}},
		// After a forced take-over kubectl keeps co-owning fields whose values agree; the CRD is igwctl's.
		{name: "shared after force", managed: []metav1.ManagedFieldsEntry{entry("kubectl", metav1.ManagedFieldsOperationApply, specFields), ours}},
		{name: "helm labels", managed: []metav1.ManagedFieldsEntry{ours}, labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			ann:  map[string]string{"meta.helm.sh/release-name": "gie", "meta.helm.sh/release-namespace": "infra"},
			want: []string{"managed by Helm release infra/gie: the next helm upgrade would fight igwctl over it"}},
		{name: "helm label only", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			want: []string{"managed by Helm release (unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(CheckApply(poolCRD, installedCRD(tc.ann, tc.labels, tc.managed...)))
			if len(tc.want) == 0 && got != "" {
				t.Errorf("problems: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems %q\nwant %q", got, w)
				}
			}
			if del := messages(CheckDelete(installedCRD(tc.ann, tc.labels, tc.managed...))); (del == "") != (len(tc.want) == 0) {
				t.Errorf("CheckDelete disagrees: %q", del)
			}
		})
	}
}

func TestCheckApplyGatewayChannel(t *testing.T) {
	ours := entry(kube.FieldManager, metav1.ManagedFieldsOperationApply, specFields)
	want := CRD{Name: "httproutes.gateway.networking.k8s.io", Set: config.GatewayAPIStandard, Channel: "standard",
		VersionAnnotation: GatewayAPIBundleVersionAnnotation, BundleVersion: "v1.6.3"}
	installed := func(channel, version string) *apiextensionsv1.CustomResourceDefinition {
		return installedCRD(map[string]string{GatewayAPIChannelAnnotation: channel, GatewayAPIBundleVersionAnnotation: version}, nil, ours)
	}
	if got := messages(CheckApply(want, installed("experimental", "v1.6.3"))); !strings.Contains(got, "experimental Gateway API channel") {
		t.Errorf("experimental → standard: %q", got)
	}
	if got := messages(CheckApply(want, installed("standard", "v1.7.0"))); !strings.Contains(got, "newer than v1.6.3") {
		t.Errorf("gateway downgrade: %q", got)
	}
	want.Set, want.Channel = config.GatewayAPIExperimental, "experimental"
	if got := messages(CheckApply(want, installed("standard", "v1.6.3"))); got != "" {
		t.Errorf("standard → experimental: %q", got)
	}
	// The inference annotation does not count for a Gateway API CRD.
	if got := messages(CheckApply(want, installedCRD(map[string]string{api.BundleVersionAnnotation: "v9.0.0"}, nil, ours))); got != "" {
		t.Errorf("foreign annotation: %q", got)
	}
}

func TestRefusalLists(t *testing.T) {
	err := refusal("install the CRDs", []diagnose.Finding{crdFinding(diagnose.CRDDowngrade, "a", "m1", ""), crdFinding(diagnose.CRDManagedByHelm, "b", "m2", "f")}, "Use --force.")
	want := "refusing to install the CRDs; nothing was changed:\n  - a: m1\n  - b: m2 (f)\nUse --force."
	if err.Error() != want {
		t.Errorf("got %q", err)
	}
}
