package helm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
)

// The EnvoyFilter's patch value is Envoy configuration Istio passes through unchecked: a typo in
// a field or an enum would only show as a gateway rejecting its listener. Reading it with Envoy's
// own protos, strictly, and running their validation rules catches it here instead.
func TestBBRChartIstioFilterIsValidEnvoyConfig(t *testing.T) {
	for name, set := range map[string][]string{
		"defaults": {"provider.name=istio"},
		"plaintext, anchored, timeout": {"provider.name=istio", "secureServing=false", "provider.istio.envoyFilter.operation=INSERT_AFTER",
			"provider.istio.envoyFilter.anchorSubFilter=envoy.filters.http.jwt_authn", "provider.istio.envoyFilter.messageTimeout=2s"},
		"fail open": {"provider.name=istio", "provider.istio.envoyFilter.failureModeAllow=true"},
	} {
		t.Run(name, func(t *testing.T) {
			value := istioFilterValue(t, set)
			ep, err := parseExtProcFilter(value)
			if err != nil {
				t.Fatalf("%v\n%s", err, value)
			}
			mode := ep.GetProcessingMode()
			if mode.GetRequestBodyMode().String() != "FULL_DUPLEX_STREAMED" || mode.GetRequestTrailerMode().String() != "SEND" ||
				!strings.HasPrefix(ep.GetGrpcService().GetEnvoyGrpc().GetClusterName(), "outbound|") {
				t.Errorf("read back as %v", ep)
			}
		})
	}
}

// The check above must fail on the typos it exists for.
func TestExtProcFilterCheckCatchesTypos(t *testing.T) {
	good := istioFilterValue(t, []string{"provider.name=istio"})
	for _, typo := range []struct{ from, to string }{
		{`"FULL_DUPLEX_STREAMED"`, `"FULL_DUPLEX_STREAM"`},
		{`"failure_mode_allow"`, `"failure_mode_alow"`},
		{`"typed_config"`, `"typed_confg"`},
		{`"name":"envoy.filters.http.ext_proc.bbr"`, `"name":""`},
		{`"cluster_name":"outbound|9004||bbr.igw.svc.cluster.local"`, `"cluster_name":""`},
	} {
		bad := strings.Replace(good, typo.from, typo.to, 1)
		if bad == good {
			t.Fatalf("%s is not in the rendered value:\n%s", typo.from, good)
		}
		if _, err := parseExtProcFilter(bad); err == nil {
			t.Errorf("%s → %s passed", typo.from, typo.to)
		}
	}
}

// istioFilterValue renders the chart with set and returns the EnvoyFilter's patch value as JSON.
func istioFilterValue(t *testing.T, set []string) string {
	t.Helper()
	_, objs := renderBBR(t, Values{Set: set})
	var ef object
	for key, o := range objs {
		if strings.HasPrefix(key, "EnvoyFilter/") {
			ef = o
		}
	}
	if ef == nil {
		t.Fatalf("no EnvoyFilter among %v", keys(objs))
	}
	data, err := json.Marshal(dig(ef, "spec", "configPatches", 0, "patch", "value"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// parseExtProcFilter reads value as Envoy reads an HTTP filter (an HttpConnectionManager
// HttpFilter: a name and a typed_config; that proto's package needs modules igw does not carry,
// so its two fields are checked by hand): unknown fields and bad enum names are errors, then the
// ExternalProcessor's validation rules run.
func parseExtProcFilter(value string) (*extprocv3.ExternalProcessor, error) {
	var filter map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &filter); err != nil {
		return nil, err
	}
	var name string
	if err := json.Unmarshal(filter["name"], &name); err != nil || name == "" {
		return nil, fmt.Errorf("HttpFilter name %s: must be a non-empty string", filter["name"])
	}
	for key := range filter {
		if key != "name" && key != "typed_config" {
			return nil, fmt.Errorf("HttpFilter has no field %q", key)
		}
	}
	var typed anypb.Any
	if err := protojson.Unmarshal(filter["typed_config"], &typed); err != nil {
		return nil, fmt.Errorf("typed_config: %w", err)
	}
	var ep extprocv3.ExternalProcessor
	if err := typed.UnmarshalTo(&ep); err != nil {
		return nil, fmt.Errorf("typed_config: %w", err)
	}
	return &ep, ep.ValidateAll()
}
