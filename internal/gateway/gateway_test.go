package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

// The bed serves the standard Gateway API and InferencePool, as a cluster ready for a gateway.
func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../config/gateway-api/standard", "../../config/crd/inference.networking.k8s.io_inferencepools.yaml"))
}

func clients(t *testing.T) (dynamic.Interface, kubernetes.Interface, kube.Factory) {
	t.Helper()
	f := kube.NewFactoryFromConfig(bed.Config, "")
	dyn, err := f.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return dyn, cs, f
}

func TestMissingResources(t *testing.T) {
	_, _, f := clients(t)
	dc, _ := f.Discovery()
	if missing, err := MissingResources(dc, APIGroupVersion, APIResources()...); err != nil || len(missing) != 0 {
		t.Errorf("Gateway API: missing %v, %v", missing, err)
	}
	if missing, _ := MissingResources(dc, APIGroupVersion, "gateways", "nosuchroutes"); strings.Join(missing, ",") != "nosuchroutes" {
		t.Errorf("one missing: %v", missing)
	}
	if missing, _ := MissingResources(dc, "example.com/v1", "a", "b"); strings.Join(missing, ",") != "a,b" {
		t.Errorf("group not served: %v", missing)
	}
}

func TestApply(t *testing.T) {
	dyn, cs, _ := clients(t)
	ctx := context.Background()
	gw := providers.Gateway("gw", "apply-test", "istio", providers.Istio)
	// A server dry run into a namespace that does not exist yet creates neither.
	if action, err := Apply(ctx, dyn, gw, kube.DryRunServer); err != nil || action != "created" {
		t.Fatalf("server dry run: %q %v", action, err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "apply-test", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("server dry run created the namespace: %v", err)
	}
	for i, want := range []string{"created", "unchanged"} {
		if action, err := Apply(ctx, dyn, gw, kube.DryRunNone); err != nil || action != want {
			t.Fatalf("apply %d: %q %v, want %s", i, action, err, want)
		}
	}
	gw["spec"].(map[string]any)["gatewayClassName"] = "other"
	if action, err := Apply(ctx, dyn, gw, kube.DryRunServer); err != nil || action != "configured" {
		t.Fatalf("server dry run of a change: %q %v", action, err)
	}
	if got := gatewayClassOf(t, dyn, "apply-test", "gw"); got != "istio" {
		t.Errorf("server dry run changed the Gateway: class %s", got)
	}
	if action, err := Apply(ctx, dyn, gw, kube.DryRunNone); err != nil || action != "configured" || gatewayClassOf(t, dyn, "apply-test", "gw") != "other" {
		t.Errorf("change: %q %v", action, err)
	}
}

func gatewayClassOf(t *testing.T, dyn dynamic.Interface, ns, name string) string {
	t.Helper()
	gw, err := dyn.Resource(GatewayGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	return class
}

// createClass creates a GatewayClass and sets its Accepted condition, as its controller would.
func createClass(t *testing.T, dyn dynamic.Interface, name, status, reason string) {
	t.Helper()
	ctx := context.Background()
	gc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": name}, "spec": map[string]any{"controllerName": "example.com/" + name}}}
	created, err := dyn.Resource(GatewayClassGVR).Create(ctx, gc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dyn.Resource(GatewayClassGVR).Delete(context.Background(), name, metav1.DeleteOptions{}) })
	if status == "" {
		return
	}
	_ = unstructured.SetNestedSlice(created.Object, []any{map[string]any{"type": "Accepted", "status": status, "reason": reason, "message": "m",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339), "observedGeneration": int64(1)}}, "status", "conditions")
	if _, err := dyn.Resource(GatewayClassGVR).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestGatewayClassStatus(t *testing.T) {
	dyn, _, _ := clients(t)
	ctx := context.Background()
	createClass(t, dyn, "accepted", "True", "Accepted")
	createClass(t, dyn, "pending", "Unknown", "Pending")
	createClass(t, dyn, "refused", "False", "InvalidParameters")
	createClass(t, dyn, "new", "", "")
	for name, want := range map[string]ClassStatus{
		"accepted": {Exists: true, Accepted: true},
		"pending":  {Exists: true, Reason: "its controller (example.com/pending) has not accepted it yet (Pending)"},
		"refused":  {Exists: true, Reason: "Accepted=False: InvalidParameters m"},
		// The CRD defaults a new class's status to Accepted=Unknown, Pending.
		"new":     {Exists: true, Reason: "its controller (example.com/new) has not accepted it yet (Pending)"},
		"missing": {Reason: "it does not exist yet (its controller creates it, or has not started)"},
	} {
		st, err := GatewayClassStatus(ctx, dyn, name)
		if err != nil || st.Exists != want.Exists || st.Accepted != want.Accepted || st.Reason != want.Reason {
			t.Errorf("%s: %+v %v, want %+v", name, st, err, want)
		}
	}
	start := time.Now()
	st, err := WaitGatewayClass(ctx, dyn, "pending", time.Second)
	if err != nil || st.Accepted || !strings.HasSuffix(st.Reason, "(waited 1s)") || time.Since(start) > 5*time.Second {
		t.Errorf("wait: %+v %v after %s", st, err, time.Since(start))
	}
	if st, err := WaitGatewayClass(ctx, dyn, "accepted", time.Minute); err != nil || !st.Accepted {
		t.Errorf("wait for an accepted class: %+v %v", st, err)
	}
}

func TestNotReadyDeployments(t *testing.T) {
	dyn, cs, _ := clients(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "deploy-test"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "x"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "ctrl"}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2),
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}}}
	if _, err := cs.AppsV1().Deployments("deploy-test").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := NotReadyDeployments(ctx, dyn, []helm.Object{
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "ctrl"},
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "deploy-test", Name: "gone"},
		{APIVersion: "example.com/v1", Kind: "Deployment", Name: "not-apps"},
		{APIVersion: "v1", Kind: "Service", Name: "ctrl"},
	}, "deploy-test")
	want := "Deployment deploy-test/ctrl: 0 of 2 replicas ready|Deployment deploy-test/gone: not found"
	if err != nil || strings.Join(got, "|") != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
}

func TestCheckGKE(t *testing.T) {
	dyn, _, f := clients(t)
	dc, _ := f.Discovery()
	ctx := context.Background()
	createClass(t, dyn, "gke-l7-rilb", "True", "Accepted")
	checks, st, err := CheckGKE(ctx, dc, dyn, providers.GKEGatewayClass)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Failed(checks), ","); got != "GatewayClass gke-l7-regional-external-managed" || st != nil {
		t.Fatalf("failed %q, status %+v", got, st)
	}
	c := checks[1].Finding
	if c.Code != diagnose.GatewayClassMissing || c.Object != (diagnose.Object{Kind: "GatewayClass", Name: providers.GKEGatewayClass}) ||
		c.Message != "not present; GKE classes present: gke-l7-rilb" || !strings.Contains(c.Fix, "--gateway-class") {
		t.Errorf("finding %+v", c)
	}
	if checks[0].Seen() != APIGroupVersion+" gatewayclasses, gateways and httproutes are served" || checks[2].Seen() != "inference.networking.k8s.io/v1 inferencepools is served" {
		t.Errorf("passed checks: %+v", checks)
	}
	checks, st, err = CheckGKE(ctx, dc, dyn, "gke-l7-rilb")
	if err != nil || len(Failed(checks)) != 0 || st == nil || !st.Accepted || checks[1].Seen() != "present and accepted" {
		t.Errorf("all there: %+v %+v %v", checks, st, err)
	}
}

// A Gateway whose fields another manager holds is a conflict the caller can recognise.
func TestApplyConflict(t *testing.T) {
	dyn, _, _ := clients(t)
	ctx := context.Background()
	gw := providers.Gateway("taken", "apply-test", "istio", providers.Istio)
	if _, err := Apply(ctx, dyn, gw, kube.DryRunNone); err != nil {
		t.Fatal(err)
	}
	other := providers.Gateway("taken", "apply-test", "other", providers.Istio)
	data, _ := json.Marshal(other)
	if _, err := dyn.Resource(GatewayGVR).Namespace("apply-test").Patch(ctx, "taken", types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "someone-else", Force: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	_, err := Apply(ctx, dyn, gw, kube.DryRunNone)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "the Gateway apply-test/taken already exists and another tool manages") {
		t.Errorf("err = %v", err)
	}
}
