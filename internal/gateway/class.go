package gateway

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

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
