package kube

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// What Apply did to an object.
const (
	Created    = "created"
	Configured = "configured"
	Unchanged  = "unchanged"
)

// GetIfExists reads name, or returns nil without an error when it does not exist.
func GetIfExists(ctx context.Context, client dynamic.ResourceInterface, name string) (*unstructured.Unstructured, error) {
	u, err := client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// Apply server-side applies obj through client as igwctl (FieldManager), taking fields other
// managers own only with force, and says what it did to before, the object as read just ahead
// (nil when absent): Created, Configured when its spec, labels or annotations changed, else
// Unchanged. A server dry run has the API server check it and store nothing. Errors are the API
// server's, for the caller to word.
func Apply(ctx context.Context, client dynamic.ResourceInterface, before *unstructured.Unstructured, obj map[string]any, force bool, dryRun DryRun) (string, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return "", err
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if force {
		opts.Force = &force
	}
	if dryRun == DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	after, err := client.Patch(ctx, (&unstructured.Unstructured{Object: obj}).GetName(), types.ApplyPatchType, data, opts)
	switch {
	case err != nil:
		return "", err
	case before == nil:
		return Created, nil
	case !reflect.DeepEqual(before.Object["spec"], after.Object["spec"]) || !maps.Equal(before.GetLabels(), after.GetLabels()) ||
		!maps.Equal(before.GetAnnotations(), after.GetAnnotations()):
		// Not the resourceVersion: the API server may rewrite managedFields on every apply.
		return Configured, nil
	}
	return Unchanged, nil
}
