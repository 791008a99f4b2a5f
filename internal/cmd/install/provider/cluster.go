package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
)

// Resources igwctl reads and writes here.
var (
	GatewayGVR      = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	GatewayClassGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	deploymentGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	namespaceGVR    = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// GatewayAPIGroupVersion is the Gateway API version igwctl needs.
const GatewayAPIGroupVersion = "gateway.networking.k8s.io/v1"

// MissingResources returns which of resources the API server does not serve in groupVersion
// (all of them when the group version is not served at all).
func MissingResources(dc discovery.DiscoveryInterface, groupVersion string, resources ...string) ([]string, error) {
	list, err := dc.ServerResourcesForGroupVersion(groupVersion)
	if apierrors.IsNotFound(err) {
		return resources, nil
	}
	if err != nil {
		return nil, fmt.Errorf("asking the API server whether it serves %s: %w", groupVersion, err)
	}
	var missing []string
	for _, r := range resources {
		if !slices.ContainsFunc(list.APIResources, func(a metav1.APIResource) bool { return a.Name == r }) {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// ApplyGateway creates or updates the Gateway with server-side apply as igwctl, creating its
// namespace when missing. It returns "created", "configured" or "unchanged".
func ApplyGateway(ctx context.Context, dyn dynamic.Interface, gw map[string]any) (string, error) {
	u := &unstructured.Unstructured{Object: gw}
	ns, name := u.GetNamespace(), u.GetName()
	if err := ensureNamespace(ctx, dyn, ns); err != nil {
		return "", err
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
	after, err := client.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: install.FieldManager})
	if err != nil {
		if apierrors.IsConflict(err) {
			return "", fmt.Errorf("Gateway %s/%s already exists and another tool manages the fields igwctl would set (%v); pick another name with --gateway, or leave it alone with --no-gateway", ns, name, err)
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

func ensureNamespace(ctx context.Context, dyn dynamic.Interface, ns string) error {
	if _, err := dyn.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	if _, err := dyn.Resource(namespaceGVR).Create(ctx, obj, metav1.CreateOptions{FieldManager: install.FieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	return nil
}

// ClassStatus is what a GatewayClass says about its controller.
type ClassStatus struct {
	Name       string `json:"name"`
	Exists     bool   `json:"exists"`
	Accepted   bool   `json:"accepted"`
	Controller string `json:"controller,omitempty"`
	Reason     string `json:"reason,omitempty"` // why not accepted
}

// GatewayClassStatus reads the GatewayClass's Accepted condition.
func GatewayClassStatus(ctx context.Context, dyn dynamic.Interface, name string) (ClassStatus, error) {
	st := ClassStatus{Name: name}
	gc, err := dyn.Resource(GatewayClassGVR).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		st.Reason = "it does not exist yet (its controller creates it, or has not started)"
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading GatewayClass %s: %w", name, err)
	}
	st.Exists = true
	st.Controller, _, _ = unstructured.NestedString(gc.Object, "spec", "controllerName")
	conds, _, _ := unstructured.NestedSlice(gc.Object, "status", "conditions")
	st.Reason = "no controller has accepted it yet"
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Accepted" {
			continue
		}
		if m["status"] == "True" {
			st.Accepted, st.Reason = true, ""
		} else if m["status"] == "False" || m["status"] == "Unknown" {
			st.Reason = fmt.Sprintf("Accepted=%v: %v %v", m["status"], m["reason"], m["message"])
			if m["reason"] == "Pending" {
				st.Reason = "its controller (" + st.Controller + ") has not accepted it yet (Pending)"
			}
		}
	}
	return st, nil
}

// WaitGatewayClass polls until the GatewayClass is accepted or timeout passes.
func WaitGatewayClass(ctx context.Context, dyn dynamic.Interface, name string, timeout time.Duration) (ClassStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		st, err := GatewayClassStatus(ctx, dyn, name)
		if err != nil || st.Accepted {
			return st, err
		}
		select {
		case <-ctx.Done():
			st.Reason += fmt.Sprintf(" (waited %s)", timeout)
			return st, nil
		case <-time.After(2 * time.Second):
		}
	}
}

// NotReadyDeployments reads the Deployments among objects once and describes those without all
// replicas ready, e.g. "Deployment istio-system/istiod: 0 of 1 replicas ready". Objects without a
// namespace are in defaultNS.
func NotReadyDeployments(ctx context.Context, dyn dynamic.Interface, objects []helm.Object, defaultNS string) ([]string, error) {
	var out []string
	for _, o := range objects {
		if o.Kind != "Deployment" || !strings.HasPrefix(o.APIVersion, "apps/") {
			continue
		}
		ns := o.Namespace
		if ns == "" {
			ns = defaultNS
		}
		d, err := dyn.Resource(deploymentGVR).Namespace(ns).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				out = append(out, fmt.Sprintf("Deployment %s/%s: not found", ns, o.Name))
				continue
			}
			return nil, fmt.Errorf("reading Deployment %s/%s: %w", ns, o.Name, err)
		}
		want, ok, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		if !ok {
			want = 1
		}
		ready, _, _ := unstructured.NestedInt64(d.Object, "status", "readyReplicas")
		if ready < want {
			out = append(out, fmt.Sprintf("Deployment %s/%s: %d of %d replicas ready", ns, o.Name, ready, want))
		}
	}
	return out, nil
}
