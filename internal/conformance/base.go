package conformance

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Images are the containers the base runs: the echo server that stands for a model server, and
// the test endpoint picker.
type Images struct {
	Echo   string
	Picker string
}

// echoDeployment is one model-server Deployment of the base: its name prefix (and app label) and
// the HTTP and h2c ports of each of its containers.
type echoDeployment struct {
	app        string
	containers []echoPorts
}

type echoPorts struct{ http, h2c int }

// The base's model servers, as upstream deploys them: three replicas each; the app-protocol pods
// serve HTTP/1.1 on 3000 and h2c on 3001; the data-parallel pods run three servers (ranks) on
// 3000, 3002 and 3004.
func baseEchoes() []echoDeployment {
	return []echoDeployment{
		{app: "primary-inference-model-server", containers: []echoPorts{{3000, 3001}}},
		{app: "secondary-inference-model-server", containers: []echoPorts{{3000, 3001}}},
		{app: "appprotocol-inference-model-server", containers: []echoPorts{{3000, 3001}}},
		{app: "dp-inference-model-server", containers: []echoPorts{{3000, 3001}, {3002, 3003}, {3004, 3005}}},
	}
}

// basePools are the base's InferencePools, each with a picker Service named
// <prefix>-endpoint-picker-svc; the secondary pool fails open.
func basePools() []struct {
	prefix string
	pool   poolSpec
} {
	return []struct {
		prefix string
		pool   poolSpec
	}{
		{"primary", poolSpec{name: PrimaryPool, app: "primary-inference-model-server", ports: []int{3000}}},
		{"secondary", poolSpec{name: SecondaryPool, app: "secondary-inference-model-server", ports: []int{3000}, failOpen: true}},
		{"appprotocol-http", poolSpec{name: AppProtoHTTP, app: "appprotocol-inference-model-server", ports: []int{3000}, appProtocol: "http"}},
		{"appprotocol-h2c", poolSpec{name: AppProtoH2C, app: "appprotocol-inference-model-server", ports: []int{3001}, appProtocol: "kubernetes.io/h2c"}},
		{"dp", poolSpec{name: DataParallelism, app: "dp-inference-model-server", ports: []int{3000, 3002, 3004}}},
	}
}

// pickerService is the name of the picker Service of the base pool with prefix.
func pickerService(prefix string) string { return prefix + "-endpoint-picker-svc" }

// Base returns the objects the checks run on, namespaces first, for Gateways of class.
func Base(class string, img Images) []*unstructured.Unstructured {
	objs := []*unstructured.Unstructured{
		object("v1", "Namespace", "", InfraNamespace, nil),
		object("v1", "Namespace", "", AppNamespace, nil),
		gateway(PrimaryGateway, class, ""),
		gateway(SecondaryGateway, class, SecondaryHostname),
	}
	for _, e := range baseEchoes() {
		objs = append(objs, echo(e, img.Echo))
	}
	for _, p := range basePools() {
		p.pool.picker = pickerService(p.prefix)
		objs = append(objs, inferencePool(p.pool))
		objs = append(objs, picker(p.prefix, p.pool.name, img.Picker)...)
	}
	return append(objs, pickerRBAC()...)
}

func gateway(name, class, hostname string) *unstructured.Unstructured {
	listener := map[string]any{
		"name": "http", "port": int64(80), "protocol": "HTTP",
		"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}},
	}
	if hostname != "" {
		listener["hostname"] = hostname
	}
	return object(gwGroup+"/v1", "Gateway", InfraNamespace, name, map[string]any{
		"gatewayClassName": class,
		"listeners":        []any{listener},
	})
}

func envFrom(name, path string) map[string]any {
	return map[string]any{"name": name, "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": path}}}
}

func echo(e echoDeployment, image string) *unstructured.Unstructured {
	var containers []any
	for i, c := range e.containers {
		name := "echo"
		if len(e.containers) > 1 {
			name = fmt.Sprintf("echo-rank-%d", i)
		}
		containers = append(containers, map[string]any{
			"name": name, "image": image,
			"ports": []any{
				map[string]any{"name": fmt.Sprintf("http-%d", i), "containerPort": int64(c.http)},
				map[string]any{"name": fmt.Sprintf("h2c-%d", i), "containerPort": int64(c.h2c)},
			},
			"env": []any{
				envFrom("POD_NAME", "metadata.name"), envFrom("NAMESPACE", "metadata.namespace"), envFrom("POD_IP", "status.podIP"),
				map[string]any{"name": "HTTP_PORT", "value": fmt.Sprint(c.http)},
				map[string]any{"name": "H2C_PORT", "value": fmt.Sprint(c.h2c)},
			},
			"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/", "port": int64(c.http)}, "periodSeconds": int64(1)},
		})
	}
	labels := map[string]any{"app": e.app}
	return object("apps/v1", "Deployment", AppNamespace, e.app+"-deployment", map[string]any{
		"replicas": int64(3),
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec":     map[string]any{"containers": containers, "terminationGracePeriodSeconds": int64(0)},
		},
	})
}

// picker is the test endpoint picker of one pool: its Service (gRPC on 9002) and Deployment.
func picker(prefix, pool, image string) []*unstructured.Unstructured {
	labels := map[string]any{"app": prefix + "-epp"}
	svc := object("v1", "Service", AppNamespace, pickerService(prefix), map[string]any{
		"selector": labels,
		"ports": []any{map[string]any{
			"name": "grpc-ext-proc", "protocol": "TCP", "port": int64(9002), "targetPort": int64(9002), "appProtocol": "http2",
		}},
	})
	dep := object("apps/v1", "Deployment", AppNamespace, prefix+"-app-endpoint-picker", map[string]any{
		"replicas": int64(1),
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec": map[string]any{
				"terminationGracePeriodSeconds": int64(10),
				"containers": []any{map[string]any{
					"name": "epp", "image": image,
					"args": []any{"--pool-name", pool, "--pool-namespace", AppNamespace, "--zap-encoder", "json",
						"--grpc-port", "9002", "--grpc-health-port", "9003"},
					"ports": []any{
						map[string]any{"name": "grpc", "containerPort": int64(9002)},
						map[string]any{"name": "grpc-health", "containerPort": int64(9003)},
						map[string]any{"name": "metrics", "containerPort": int64(9090)},
					},
					"readinessProbe": map[string]any{
						"grpc":                map[string]any{"port": int64(9003), "service": "inference-extension"},
						"initialDelaySeconds": int64(5), "periodSeconds": int64(10),
					},
				}},
			},
		},
	})
	return []*unstructured.Unstructured{svc, dep}
}

// pickerRBAC lets the pickers (the namespace's default ServiceAccount) read the pools and pods.
func pickerRBAC() []*unstructured.Unstructured {
	role := object("rbac.authorization.k8s.io/v1", "Role", AppNamespace, "inference-conformance-picker", nil)
	role.Object["rules"] = []any{
		map[string]any{"apiGroups": []any{poolGroup}, "resources": []any{"inferencepools"}, "verbs": []any{"get", "list", "watch"}},
		map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}, "verbs": []any{"get", "list", "watch"}},
	}
	binding := object("rbac.authorization.k8s.io/v1", "RoleBinding", AppNamespace, "inference-conformance-picker", nil)
	binding.Object["roleRef"] = map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "inference-conformance-picker"}
	binding.Object["subjects"] = []any{map[string]any{"kind": "ServiceAccount", "name": "default", "namespace": AppNamespace}}
	return []*unstructured.Unstructured{role, binding}
}
