package verify

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/requestpath"
	"github.com/igw-dev/igw/internal/testbed"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

var (
	bed    *testbed.Env
	update = flag.Bool("update", false, "rewrite the golden files in testdata")
)

// The pod checks go through the API server's pod proxy, which refuses loopback pod IPs; in the
// package's own network namespace the stand-in model servers listen on bed.PodIP instead, and
// the pods get it.
func TestMain(m *testing.M) {
	testbed.MainInNetNS(m, &bed, "10.99.0.2",
		testbed.WithCRDPaths("../../../config/crd", "../../../config/gateway-api/standard", "../../../testdata/crds/standins.yaml"))
}

// fixture is one pool's path: Gateway, HTTPRoute, InferencePool, its picker (Service and
// Deployment) and a model server Deployment of two pods, in namespace ns.
type fixture struct {
	ns          string
	targetPorts []int
	gatewayPort int
	// pickerReplicas is the picker Deployment's replicas.
	pickerReplicas int64
	// modelHeader, when set, makes the route match x-gateway-inference-model: modelHeader and
	// adds bbr with its Istio glue.
	modelHeader string
}

func (f fixture) objects() []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	add := func(apiVersion, kind, name string, fields map[string]any) {
		u := &unstructured.Unstructured{Object: fields}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(f.ns)
		u.SetName(name)
		objs = append(objs, u)
	}
	add("gateway.networking.k8s.io/v1", "Gateway", "gw", map[string]any{"spec": map[string]any{"gatewayClassName": "istio",
		"listeners": []any{map[string]any{"name": "http", "port": int64(f.gatewayPort), "protocol": "HTTP"}}}})
	rule := map[string]any{"backendRefs": []any{map[string]any{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "pool"}}}
	if f.modelHeader != "" {
		rule["matches"] = []any{map[string]any{"headers": []any{map[string]any{"name": "x-gateway-inference-model", "value": f.modelHeader}}}}
		objs = append(objs, f.bbr()...)
	}
	add("gateway.networking.k8s.io/v1", "HTTPRoute", "route", map[string]any{"spec": map[string]any{
		"parentRefs": []any{map[string]any{"name": "gw"}}, "hostnames": []any{"llm.example.com"}, "rules": []any{rule}}})
	var ports []any
	for _, p := range f.targetPorts {
		ports = append(ports, map[string]any{"number": int64(p)})
	}
	add("inference.networking.k8s.io/v1", "InferencePool", "pool", map[string]any{"spec": map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": "vllm"}}, "targetPorts": ports,
		"endpointPickerRef": map[string]any{"name": "pool-epp", "port": map[string]any{"number": int64(9002)}}}})
	add("v1", "Service", "pool-epp", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "pool-epp"},
		"ports": []any{map[string]any{"name": "grpc", "port": int64(9002)}}}})
	add("apps/v1", "Deployment", "pool-epp", deployment(f.pickerReplicas, "pool-epp", "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
		[]any{"--pool-name", "pool", "--pool-namespace", f.ns, "--secure-serving=false"}, 9002))
	add("apps/v1", "Deployment", "vllm", deployment(2, "vllm", "vllm/vllm-openai:v0.10.0",
		[]any{"--model", "meta-llama/Llama-3.1-8B-Instruct", "--enable-lora", "--port", fmt.Sprint(f.targetPorts[0])}, f.targetPorts[0]))
	return objs
}

func deployment(replicas int64, app, image string, args []any, port int) map[string]any {
	labels := map[string]any{"app": app}
	return map[string]any{"spec": map[string]any{"replicas": replicas, "selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": map[string]any{"containers": []any{
			map[string]any{"name": app, "image": image, "args": args, "ports": []any{map[string]any{"containerPort": int64(port)}}}}}}}}
}

// bbr is bbr's Deployment and Service, and the EnvoyFilter that puts it in front of Gateway gw.
func (f fixture) bbr() []*unstructured.Unstructured {
	dep := &unstructured.Unstructured{Object: deployment(1, "bbr", "ghcr.io/igw-dev/bbr:v0.1.0", []any{"--secure-serving=false"}, 9004)}
	dep.SetAPIVersion("apps/v1")
	dep.SetKind("Deployment")
	svc := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "bbr"},
		"ports": []any{map[string]any{"name": "grpc", "port": int64(9004)}}}}}
	svc.SetAPIVersion("v1")
	svc.SetKind("Service")
	ef := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"workloadSelector": map[string]any{"labels": map[string]any{"gateway.networking.k8s.io/gateway-name": "gw"}},
		"configPatches": []any{map[string]any{"patch": map[string]any{"value": map[string]any{"name": "envoy.filters.http.ext_proc",
			"typed_config": map[string]any{"grpc_service": map[string]any{"envoy_grpc": map[string]any{
				"cluster_name": "outbound|9004||bbr." + f.ns + ".svc.cluster.local"}}}}}}}}}}
	ef.SetAPIVersion("networking.istio.io/v1alpha3")
	ef.SetKind("EnvoyFilter")
	for _, u := range []*unstructured.Unstructured{dep, svc, ef} {
		u.SetNamespace(f.ns)
		u.SetName("bbr")
	}
	return []*unstructured.Unstructured{dep, svc, ef}
}

// apply puts the fixture on the test bed: pods at ip, the Gateway's address loopback.
func (f fixture) apply(t *testing.T, ip string) {
	t.Helper()
	standin.ApplyT(t, bed.Config, standin.Options{PodIP: func(string, string) string { return ip }, GatewayAddress: "127.0.0.1"}, f.objects())
}

// run runs `igwctl verify args...` against cfg, as the root command runs it.
func run(t *testing.T, cfg *rest.Config, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	return cmdtest.RunAsRoot(t, NewCmd, nil, cfg, args...)
}

func decode(t *testing.T, stdout string) requestpath.Report {
	t.Helper()
	var r requestpath.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	return r
}

// step returns the step of the pool's section whose name starts with prefix.
func step(t *testing.T, r requestpath.Report, prefix string) requestpath.Step {
	t.Helper()
	for _, sec := range r.Sections {
		for _, st := range sec.Steps {
			if strings.HasPrefix(st.Name, prefix) {
				return st
			}
		}
	}
	t.Fatalf("no step %q in %+v", prefix, r)
	return requestpath.Step{}
}

var durations = regexp.MustCompile(`in \d+(\.\d+)?(ms|µs|s)\b`)

// golden compares stdout, with this run's ports, address and durations replaced by names, to
// testdata/NAME.golden.
func golden(t *testing.T, name, got string, replace ...string) {
	t.Helper()
	got = strings.NewReplacer(replace...).Replace(got)
	got = durations.ReplaceAllString(got, "in DURATION")
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// POOL is NAME or NAMESPACE/NAME; --address goes with --probe.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args            []string
		pool, ns, polNS string
		all, probe      bool
		err             string
	}{
		{args: []string{}},
		{args: []string{"p", "-n", "llm"}, pool: "p", ns: "llm"},
		{args: []string{"llm/p", "-A"}, pool: "p", ns: "llm", polNS: "llm", all: true},
		{args: []string{"p", "--probe", "--address", "localhost:8080"}, pool: "p", probe: true},
		{args: []string{"a/b/c"}, err: `POOL "a/b/c": write NAME or NAMESPACE/NAME`},
		{args: []string{"--address", "localhost:8080"}, err: "--address is where --probe sends its requests"},
		{args: []string{"a", "b"}, err: "accepts at most 1 arg"},
	} {
		o, err := cmdtest.Parse(t, func(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
			cmd := NewCmd(f, hook)
			kube.NewConfigFlags().AddFlags(cmd.PersistentFlags())
			return cmd
		}, tc.args...)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || cmdutil.ExitCode(err) != 3 {
				t.Errorf("%q: %v, want %q and exit 3", tc.args, err, tc.err)
			}
		case err != nil || o.Pool != tc.pool || o.Namespace != tc.ns || o.poolNamespace != tc.polNS || o.AllNamespaces != tc.all || o.Probe != tc.probe:
			t.Errorf("%q: %+v %v", tc.args, o, err)
		}
	}
}
