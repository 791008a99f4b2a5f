package diagnose

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/igw-dev/igw/internal/testbed/standin"
)

// largeCluster is issue 9's large cluster: 300 pools in 10 namespaces, each with its picker
// (Service, Deployment of one replica) and 9 model server pods, so 3,000 pods in all; 1,000
// HTTPRoutes on one Gateway. The stand-in controllers add the statuses, the pickers' pods and
// their EndpointSlices.
func largeCluster() []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	add := func(apiVersion, kind, ns, name string, fields map[string]any) {
		u := &unstructured.Unstructured{Object: fields}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(ns)
		u.SetName(name)
		objs = append(objs, u)
	}
	add("gateway.networking.k8s.io/v1", "Gateway", "gw", "inference-gateway", map[string]any{"spec": map[string]any{
		"gatewayClassName": "istio", "listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP",
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}}})
	container := func(name, image string, args ...any) map[string]any {
		return map[string]any{"containers": []any{map[string]any{"name": name, "image": image, "args": args,
			"ports": []any{map[string]any{"containerPort": int64(8000)}}}}}
	}
	for i := range 300 {
		ns, name := fmt.Sprintf("team-%d", i%10), fmt.Sprintf("pool-%d", i)
		labels := map[string]any{"app": name}
		epp := map[string]any{"app": name + "-epp"}
		add("inference.networking.k8s.io/v1", "InferencePool", ns, name, map[string]any{"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels}, "targetPorts": []any{map[string]any{"number": int64(8000)}},
			"endpointPickerRef": map[string]any{"name": name + "-epp", "port": map[string]any{"number": int64(9002)}}}})
		add("v1", "Service", ns, name+"-epp", map[string]any{"spec": map[string]any{"selector": epp,
			"ports": []any{map[string]any{"port": int64(9002)}}}})
		add("apps/v1", "Deployment", ns, name+"-epp", map[string]any{"spec": map[string]any{"replicas": int64(1),
			"selector": map[string]any{"matchLabels": epp}, "template": map[string]any{"metadata": map[string]any{"labels": epp},
				"spec": container("epp", "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0", "--pool-name", name, "--pool-namespace", ns, "--secure-serving=false")}}})
		for j := range 9 {
			add("v1", "Pod", ns, fmt.Sprintf("%s-%d", name, j), map[string]any{"metadata": map[string]any{"labels": labels},
				"spec": container("vllm", "vllm/vllm-openai:v0.10.0", "--model", "m"+name)})
		}
	}
	for i := range 1000 {
		pool := i % 300
		add("gateway.networking.k8s.io/v1", "HTTPRoute", fmt.Sprintf("team-%d", pool%10), fmt.Sprintf("route-%d", i), map[string]any{"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "inference-gateway", "namespace": "gw"}},
			"hostnames":  []any{fmt.Sprintf("r%d.example.com", i)},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool",
				"name": fmt.Sprintf("pool-%d", pool)}}}}}})
	}
	return objs
}

// BenchmarkDiagnoseAllNamespaces is `igwctl diagnose -A` on the large cluster: the wall time per
// run (ns/op) and the API server requests it makes, counted by a round tripper (one LIST per
// kind; pages are the LIST requests, at 500 objects each). Creating the cluster is not timed.
// Run it alone: go test -run '^$' -bench DiagnoseAllNamespaces ./internal/cmd/diagnose/
func BenchmarkDiagnoseAllNamespaces(b *testing.B) {
	c, err := standin.New(bed.Config, standin.Options{Parallel: 32})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	a, err := c.Apply(ctx, largeCluster())
	b.Cleanup(func() {
		if err := c.Delete(context.Background(), a); err != nil {
			b.Errorf("cleaning up: %v", err)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("created %d objects (with their statuses) in %s", len(a.Objects), time.Since(start).Round(time.Second))
	var n standin.Counter
	cfg := n.Config(bed.Config)
	var stderr string
	for b.Loop() {
		n.Reset()
		var stdout string
		var code int
		stdout, stderr, code, err = runLive(b, cfg, "-A")
		if code != 0 {
			b.Fatalf("exit %d (%v):\n%.2000s\n%s", code, err, stdout, stderr)
		}
	}
	lists, others := n.Collections()
	pages := 0
	for _, p := range lists {
		pages += p
	}
	b.ReportMetric(float64(len(n.Requests())), "requests/op")
	b.ReportMetric(float64(len(lists)), "collections/op")
	b.ReportMetric(float64(pages), "pages/op")
	b.Logf("%s; %s", n.Summary(), stderr)
	if len(others) > 0 {
		b.Errorf("requests besides LISTs and discovery: %v", others)
	}
}
