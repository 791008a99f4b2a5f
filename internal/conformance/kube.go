package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/kube"
)

// The resources the suite reads and writes; a fixed table, so no discovery is needed.
var (
	gvrNamespace     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrPod           = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrService       = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrDeployment    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrRole          = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}
	gvrRoleBinding   = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}
	gvrEndpointSlice = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
	gvrGatewayClass  = schema.GroupVersionResource{Group: gwGroup, Version: "v1", Resource: "gatewayclasses"}
	gvrGateway       = schema.GroupVersionResource{Group: gwGroup, Version: "v1", Resource: "gateways"}
	gvrHTTPRoute     = schema.GroupVersionResource{Group: gwGroup, Version: "v1", Resource: "httproutes"}
	gvrInferencePool = schema.GroupVersionResource{Group: poolGroup, Version: poolVersion, Resource: "inferencepools"}
	gvrCRD           = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

func resourceOfKind(kind string) (schema.GroupVersionResource, bool) {
	for _, gvr := range []schema.GroupVersionResource{gvrNamespace, gvrService, gvrDeployment, gvrRole, gvrRoleBinding, gvrGateway, gvrHTTPRoute, gvrInferencePool} {
		if kind == kindOf(gvr) {
			return gvr, true
		}
	}
	return schema.GroupVersionResource{}, false
}

// kindOf is the kind of the resources the suite writes.
func kindOf(gvr schema.GroupVersionResource) string {
	switch gvr.Resource {
	case "namespaces":
		return "Namespace"
	case "services":
		return "Service"
	case "deployments":
		return "Deployment"
	case "roles":
		return "Role"
	case "rolebindings":
		return "RoleBinding"
	case "gateways":
		return "Gateway"
	case "httproutes":
		return "HTTPRoute"
	case "inferencepools":
		return "InferencePool"
	}
	return gvr.Resource
}

func (s *Suite) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvr, ok := resourceOfKind(u.GetKind())
	if !ok {
		return nil, fmt.Errorf("conformance: no resource known for kind %s", u.GetKind())
	}
	if ns := u.GetNamespace(); ns != "" {
		return s.dyn.Resource(gvr).Namespace(ns), nil
	}
	return s.dyn.Resource(gvr), nil
}

// apply writes objs with server-side apply as igwctl, taking over fields another manager holds
// (a run killed before its cleanup leaves objects the next run must be able to reset). What it
// applies is remembered in *into, for cleanup.
func (s *Suite) apply(ctx context.Context, into *[]*unstructured.Unstructured, objs ...*unstructured.Unstructured) error {
	force := true
	for _, o := range objs {
		r, err := s.resource(o)
		if err != nil {
			return err
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: kube.FieldManager, Force: &force}); err != nil {
			return fmt.Errorf("applying %s: %w", describe(o), err)
		}
		*into = append(*into, o)
	}
	return nil
}

// remove deletes objs in reverse order of their creation; objects already gone are fine.
func (s *Suite) remove(ctx context.Context, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, o := range slices.Backward(objs) {
		r, err := s.resource(o)
		if err != nil {
			return err
		}
		policy := metav1.DeletePropagationBackground
		if err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", describe(o), err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("cleanup: %v", errs)
	}
	return nil
}

// describe names an object as kubectl would: Kind namespace/name.
func describe(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

func (s *Suite) get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	if ns == "" {
		return s.dyn.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
	}
	return s.dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
}

func (s *Suite) list(ctx context.Context, gvr schema.GroupVersionResource, ns, selector string) ([]unstructured.Unstructured, error) {
	l, err := s.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}
