// Package livetest runs fleet's live Source against the test bed's real API server, in a network
// namespace of its own: the API server's pod proxy refuses loopback pod IPs, so pods get
// addresses put on the namespace's loopback, where the stand-in model servers and pickers listen.
package livetest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/igw-dev/igw/internal/fleet"
	"github.com/igw-dev/igw/internal/testbed"
)

// podIP is the namespace's address; more pods get the next addresses, added to loopback by the
// tests (every pod of a pool listens on the pool's one target port, so each needs its own IP).
const podIP = "10.99.0.2"

var bed *testbed.Env

func TestMain(m *testing.M) {
	testbed.MainInNetNS(m, &bed, podIP, testbed.WithCRDPaths("../../../config/crd"))
}

func clients(t *testing.T) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	k, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dynamic.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return k, d
}

// addIP puts ip on the namespace's loopback (idempotent).
func addIP(t *testing.T, ip string) {
	t.Helper()
	if ip == podIP {
		return
	}
	out, err := exec.Command("ip", "addr", "replace", ip+"/32", "dev", "lo").CombinedOutput()
	if err != nil {
		t.Fatalf("adding %s to lo: %v: %s", ip, err, out)
	}
}

func namespace(t *testing.T, k kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// pod creates a Running, Ready pod with ip, as a kubelet would report it.
func pod(t *testing.T, k kubernetes.Interface, ns, name, ip string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "vllm", Image: "vllm/vllm-openai:v0.11.0"}}}}
	p, err := k.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if _, err := k.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func deletePod(t *testing.T, k kubernetes.Interface, ns, name string) {
	t.Helper()
	zero := int64(0)
	if err := k.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
}

// pool creates an InferencePool: v1 unless alpha.
func pool(t *testing.T, d dynamic.Interface, ns, name string, port int32, selector map[string]string, picker string, alpha bool) {
	t.Helper()
	sel := map[string]any{}
	for k, v := range selector {
		sel[k] = v
	}
	u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": name, "namespace": ns}}}
	gvr := schema.GroupVersionResource{Group: "inference.networking.k8s.io", Version: "v1", Resource: "inferencepools"}
	if alpha {
		gvr = schema.GroupVersionResource{Group: "inference.networking.x-k8s.io", Version: "v1alpha2", Resource: "inferencepools"}
		u.Object["spec"] = map[string]any{"selector": sel, "targetPortNumber": int64(port), "extensionRef": map[string]any{"name": picker}}
	} else {
		u.Object["spec"] = map[string]any{"selector": map[string]any{"matchLabels": sel}, "targetPorts": []any{map[string]any{"number": int64(port)}},
			"endpointPickerRef": map[string]any{"name": picker, "port": map[string]any{"number": int64(9002)}}}
	}
	u.SetAPIVersion(gvr.GroupVersion().String())
	u.SetKind("InferencePool")
	if _, err := d.Resource(gvr).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// pickerService is a picker Service whose metrics port 9090 leads to ip:port, with the
// picker pod and Endpoints the controllers the test bed lacks would write.
func pickerService(t *testing.T, k kubernetes.Interface, ns, name, ip string, port int32) {
	t.Helper()
	ctx := context.Background()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
		{Name: "grpc-ext-proc", Port: 9002, TargetPort: intstr.FromInt32(9002)},
		{Name: "http-metrics", Port: 9090, TargetPort: intstr.FromInt32(port)},
	}}}
	if _, err := k.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server proxies to an Endpoints address only when it names a pod with that IP.
	pod(t, k, ns, name+"-0", ip, map[string]string{"app": name})
	//lint:ignore SA1019 the API server's service proxy still reads Endpoints, not EndpointSlices
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name + "-0"}}},
		Ports:     []corev1.EndpointPort{{Name: "grpc-ext-proc", Port: 9002}, {Name: "http-metrics", Port: port}},
	}}}
	if _, err := k.CoreV1().Endpoints(ns).Create(ctx, ep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// user is a user of the test bed with the RBAC igwctl top needs (list and watch pools and
// pods, get pods/proxy and services/proxy) in ns, less the resources in cannot.
func user(t *testing.T, k kubernetes.Interface, name, ns string, cannot ...string) *rest.Config {
	t.Helper()
	ctx := context.Background()
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{"inference.networking.k8s.io", "inference.networking.x-k8s.io"}, Resources: []string{"inferencepools"}, Verbs: []string{"get", "list", "watch"}},
	}
	for _, r := range []struct{ res, verbs string }{{"pods", "get,list,watch"}, {"pods/proxy", "get"}, {"services/proxy", "get"}} {
		if !contains(cannot, r.res) {
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{r.res}, Verbs: strings.Split(r.verbs, ",")})
		}
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "top-" + name, Namespace: ns}, Rules: rules}
	if _, err := k.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "top-" + name, Namespace: ns},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: name, APIGroup: "rbac.authorization.k8s.io"}},
		RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: role.Name, APIGroup: "rbac.authorization.k8s.io"}}
	if _, err := k.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Discovery, which NewLive reads to see that pools are served.
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "top-discovery-" + name},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: name, APIGroup: "rbac.authorization.k8s.io"}},
		RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "system:discovery", APIGroup: "rbac.authorization.k8s.io"}}
	if _, err := k.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	u, err := bed.Environment.AddUser(envtest.User{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u.Config()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// until reads snapshots from ch until ok holds for one (which it returns) or d passes.
func until(t *testing.T, ch <-chan fleet.Snapshot, d time.Duration, what string, ok func(fleet.Snapshot) bool) fleet.Snapshot {
	t.Helper()
	deadline := time.After(d)
	var last fleet.Snapshot
	for {
		select {
		case s, open := <-ch:
			if !open {
				t.Fatalf("%s: the source stopped", what)
			}
			if ok(s) {
				return s
			}
			last = s
		case <-deadline:
			t.Fatalf("%s: not within %s; last snapshot:\n%s", what, d, dump(last))
		}
	}
}

func dump(s fleet.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scope %q source %q errors %q\n", s.Scope, s.Source, s.Errors)
	for _, p := range s.Pools {
		fmt.Fprintf(&b, "pool %s/%s (%s) picker %+v\n", p.Namespace, p.Name, p.Group, p.Picker)
		for _, pod := range p.Pods {
			fmt.Fprintf(&b, "  pod %s ip %s ready %v engine %s error %q missed %d sample %v\n", pod.Name, pod.IP, pod.Ready, pod.Engine, pod.Error, pod.Missed, pod.Sample != nil)
		}
	}
	return b.String()
}
