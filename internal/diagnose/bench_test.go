package diagnose_test

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/igw-dev/igw/internal/diagnose"
)

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	for k, v := range fields {
		m[k] = v
	}
	return &unstructured.Unstructured{Object: m}
}

// largeSnapshot is a cluster as issue 9's benchmark describes it: 300 pools (each with its picker
// Service and Deployment), 3,000 model server pods, 1,000 HTTPRoutes on one Gateway.
func largeSnapshot() *diagnose.Snapshot {
	s := &diagnose.Snapshot{Live: true}
	add := func(u *unstructured.Unstructured) { s.Objects = append(s.Objects, u) }
	class := obj("gateway.networking.k8s.io/v1", "GatewayClass", "", "istio", map[string]any{"spec": map[string]any{"controllerName": "istio.io/gateway-controller"}})
	add(class)
	add(obj("gateway.networking.k8s.io/v1", "Gateway", "gw", "inference-gateway", map[string]any{"spec": map[string]any{
		"gatewayClassName": "istio", "listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP",
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}}}))
	for i := range 300 {
		ns, name := fmt.Sprintf("team-%d", i%10), fmt.Sprintf("pool-%d", i)
		labels := map[string]any{"app": name}
		add(obj("inference.networking.k8s.io/v1", "InferencePool", ns, name, map[string]any{"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels}, "targetPorts": []any{map[string]any{"number": int64(8000)}},
			"endpointPickerRef": map[string]any{"name": name + "-epp", "port": map[string]any{"number": int64(9002)}}}}))
		add(obj("v1", "Service", ns, name+"-epp", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": name + "-epp"},
			"ports": []any{map[string]any{"port": int64(9002)}}}}))
		add(obj("apps/v1", "Deployment", ns, name+"-epp", map[string]any{"spec": map[string]any{"replicas": int64(2),
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name + "-epp"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "epp", "image": "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
					"args": []any{"--pool-name", name, "--pool-namespace", ns, "--secure-serving=false"}}}}}}}))
		add(obj("discovery.k8s.io/v1", "EndpointSlice", ns, name+"-epp-x1", map[string]any{
			"metadata":    map[string]any{"name": name + "-epp-x1", "namespace": ns, "labels": map[string]any{"kubernetes.io/service-name": name + "-epp"}},
			"addressType": "IPv4", "endpoints": []any{map[string]any{"addresses": []any{"10.0.0.1"}, "conditions": map[string]any{"ready": true}}}}))
		for j := range 10 {
			add(obj("v1", "Pod", ns, fmt.Sprintf("%s-%d", name, j), map[string]any{"metadata": map[string]any{"name": fmt.Sprintf("%s-%d", name, j), "namespace": ns, "labels": labels},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "vllm", "image": "vllm/vllm-openai:v0.10.0",
					"args": []any{"--model", "m" + name}, "ports": []any{map[string]any{"containerPort": int64(8000)}}}}},
				"status": map[string]any{"phase": "Running", "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}))
		}
	}
	for i := range 1000 {
		pool := i % 300
		add(obj("gateway.networking.k8s.io/v1", "HTTPRoute", fmt.Sprintf("team-%d", pool%10), fmt.Sprintf("route-%d", i), map[string]any{"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "inference-gateway", "namespace": "gw"}},
			"hostnames":  []any{fmt.Sprintf("r%d.example.com", i)},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool",
				"name": fmt.Sprintf("pool-%d", pool)}}}}}}))
	}
	return s
}

// The large snapshot is a healthy cluster: no finding, so the benchmark measures analysis, not
// reporting, and the analyzers raise nothing false at scale.
func TestLargeSnapshotIsClean(t *testing.T) {
	if fs := diagnose.Analyze(largeSnapshot(), diagnose.Analyzers()...); len(fs) > 0 {
		t.Errorf("%d findings, the first: %s", len(fs), fs[0])
	}
}

// BenchmarkAnalyzeLarge is the analysis part of `diagnose -A` on issue 9's large cluster (the
// gathering is measured with the live gatherer).
func BenchmarkAnalyzeLarge(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := largeSnapshot()
		b.StartTimer()
		diagnose.Analyze(s, diagnose.Analyzers()...)
	}
}
