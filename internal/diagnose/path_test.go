package diagnose_test

import (
	"slices"
	"testing"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// A pool's path, resolved as the analyzers resolve it: the rule of the route that sends to it and
// the model header that rule matches, the Gateway and its provider, the body router in front of
// it, the picker's Service and Deployment.
func TestPoolPaths(t *testing.T) {
	objs, err := manifest.Load(manifest.Options{Paths: []string{corpusDir + "/ok/istio-bbr"}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	paths := diagnose.FromManifests(objs, "").PoolPaths()
	var qwen *diagnose.PoolPath
	for i := range paths {
		if paths[i].Pool.GetName() == "vllm-qwen" {
			qwen = &paths[i]
		}
	}
	if len(paths) != 2 || qwen == nil {
		t.Fatalf("%d paths", len(paths))
	}
	if len(qwen.Routes) != 1 || len(qwen.Routes[0].Rules) != 1 || qwen.Routes[0].Rules[0].Index != 1 ||
		!slices.Equal(qwen.Routes[0].Gateways, []string{"default/inference-gateway"}) {
		t.Fatalf("routes %+v", qwen.Routes)
	}
	m := qwen.Routes[0].Rules[0].Matches[0]
	if m.ModelHeader != "x-gateway-inference-model" || m.Headers["x-gateway-inference-model"] != "Qwen/Qwen2.5-1.5B-Instruct" || m.PathValue != "/" {
		t.Errorf("match %+v", m)
	}
	if len(qwen.Gateways) != 1 || qwen.Gateways[0].Provider != "istio" || !qwen.Gateways[0].HasBodyRouterHop ||
		qwen.Gateways[0].Listeners[0].Port != 80 || qwen.Gateways[0].ClassFound {
		t.Errorf("gateways %+v", qwen.Gateways)
	}
	if qwen.PickerService == nil || qwen.PickerService.Name != "vllm-qwen-epp" || len(qwen.PickerDeployments) != 1 ||
		len(qwen.BodyRouters) != 1 || !slices.Contains(qwen.BodyRouters[0].Headers, "x-gateway-inference-model") {
		t.Errorf("picker %v, deployments %d, body routers %+v", qwen.PickerService, len(qwen.PickerDeployments), qwen.BodyRouters)
	}
	// Offline, templates are not pods.
	if len(qwen.Pods) != 0 {
		t.Errorf("pods %v", qwen.Pods)
	}
}
