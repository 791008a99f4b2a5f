package install

import (
	"encoding/json"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// dryRunAction tells what a server-side dry-run apply would do. A dry run returns the object as
// it would be stored but keeps the old resource version, so the content is compared instead:
// everything an apply can change (spec, labels, annotations, and who manages which fields).
func dryRunAction(before, after *apiextensionsv1.CustomResourceDefinition) Action {
	if before == nil {
		return ActionCreated
	}
	if equality.Semantic.DeepEqual(before.Spec, after.Spec) &&
		equality.Semantic.DeepEqual(before.Labels, after.Labels) &&
		equality.Semantic.DeepEqual(before.Annotations, after.Annotations) &&
		reflect.DeepEqual(untimed(before.ManagedFields), untimed(after.ManagedFields)) {
		return ActionUnchanged
	}
	return ActionConfigured
}

// untimed drops the timestamps, which say when a manager last wrote, not what it owns.
func untimed(entries []metav1.ManagedFieldsEntry) []metav1.ManagedFieldsEntry {
	out := make([]metav1.ManagedFieldsEntry, len(entries))
	for i, e := range entries {
		e.Time = nil
		out[i] = e
	}
	return out
}

// clientAction guesses, without asking the server, what applying want would do: unchanged when
// igwctl already applied this CRD and every field of the manifest has the installed value. It
// cannot see fields a previous igwctl apply set that the manifest no longer has (the server would
// remove them), so --dry-run=server is the exact answer.
func clientAction(want CRD, installed *apiextensionsv1.CustomResourceDefinition) Action {
	if installed == nil {
		return ActionCreated
	}
	if !AppliedByIgwctl(installed.ManagedFields) {
		return ActionConfigured // the apply at least adds igwctl's managed-fields entry
	}
	var have map[string]any
	data, err := json.Marshal(installed)
	if err != nil || json.Unmarshal(data, &have) != nil {
		return ActionConfigured
	}
	var wantObj map[string]any
	data, err = json.Marshal(want.Object.Object)
	if err != nil || json.Unmarshal(data, &wantObj) != nil {
		return ActionConfigured
	}
	haveMeta, _ := have["metadata"].(map[string]any)
	wantMeta, _ := wantObj["metadata"].(map[string]any)
	if subset(wantObj["spec"], have["spec"]) &&
		subset(wantMeta["labels"], haveMeta["labels"]) &&
		subset(wantMeta["annotations"], haveMeta["annotations"]) {
		return ActionUnchanged
	}
	return ActionConfigured
}

// subset reports whether every field of want is in have with the same value. Lists must match
// element by element (server defaults may add fields inside the elements, not elements).
func subset(want, have any) bool {
	switch w := want.(type) {
	case nil:
		return true
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return len(w) == 0 && have == nil
		}
		for k, v := range w {
			hv, ok := h[k]
			if !ok && v != nil {
				return false
			}
			if !subset(v, hv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return len(w) == 0 && have == nil
		}
		for i := range w {
			if !subset(w[i], h[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, have)
}
