package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/kube"
)

// Apply creates or updates the Gateway with server-side apply as igwctl, creating its namespace
// when missing. It returns "created", "configured" or "unchanged". With a server dry run the API
// server checks both and stores neither; a Gateway in a namespace that does not exist yet cannot
// be checked that way, and is reported "created" unchecked.
func Apply(ctx context.Context, dyn dynamic.Interface, gw map[string]any, dryRun kube.DryRun) (string, error) {
	u := &unstructured.Unstructured{Object: gw}
	ns, name := u.GetNamespace(), u.GetName()
	created, err := ensureNamespace(ctx, dyn, ns, dryRun)
	if err != nil {
		return "", err
	}
	if created && dryRun == kube.DryRunServer {
		return "created", nil
	}
	client := dyn.Resource(GatewayGVR).Namespace(ns)
	before, err := client.Get(ctx, name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("reading Gateway %s/%s: %w", ns, name, err)
	}
	if err != nil {
		before = nil
	}
	data, err := json.Marshal(gw)
	if err != nil {
		return "", err
	}
	after, err := client.Patch(ctx, name, types.ApplyPatchType, data, patchOptions(dryRun))
	if err != nil {
		if apierrors.IsConflict(err) {
			return "", fmt.Errorf("the Gateway %s/%s already exists and another tool manages the fields igwctl would set: %w", ns, name, err)
		}
		return "", fmt.Errorf("applying Gateway %s/%s: %w", ns, name, err)
	}
	switch {
	case before == nil:
		return "created", nil
	case !reflect.DeepEqual(before.Object["spec"], after.Object["spec"]) || !maps.Equal(before.GetLabels(), after.GetLabels()):
		// Not the resourceVersion: the API server may rewrite managedFields on every apply.
		return "configured", nil
	}
	return "unchanged", nil
}

func patchOptions(dryRun kube.DryRun) metav1.PatchOptions {
	opts := metav1.PatchOptions{FieldManager: kube.FieldManager}
	if dryRun == kube.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return opts
}

// ensureNamespace creates ns when it does not exist, and says whether it did (or, in a server dry
// run, would).
func ensureNamespace(ctx context.Context, dyn dynamic.Interface, ns string, dryRun kube.DryRun) (bool, error) {
	if _, err := dyn.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return false, nil
	} else if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	opts := metav1.CreateOptions{FieldManager: kube.FieldManager}
	if dryRun == kube.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if _, err := dyn.Resource(namespaceGVR).Create(ctx, obj, opts); err != nil && !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	return true, nil
}
