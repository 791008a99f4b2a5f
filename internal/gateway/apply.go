package gateway

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	before, err := kube.GetIfExists(ctx, client, name)
	if err != nil {
		return "", fmt.Errorf("reading Gateway %s/%s: %w", ns, name, err)
	}
	action, err := kube.Apply(ctx, client, before, gw, false, dryRun)
	switch {
	case apierrors.IsConflict(err):
		return "", fmt.Errorf("the Gateway %s/%s already exists and another tool manages the fields igwctl would set: %w", ns, name, err)
	case err != nil:
		return "", fmt.Errorf("applying Gateway %s/%s: %w", ns, name, err)
	}
	return action, nil
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
