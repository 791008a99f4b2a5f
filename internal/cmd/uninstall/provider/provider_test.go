package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
)

func parse(t *testing.T, args ...string) (*Options, error) { return cmdtest.Parse(t, NewCmd, args...) }

func TestFlags(t *testing.T) {
	o, err := parse(t, "istio")
	if err != nil || o.Provider != "istio" || o.DeleteGateway || o.Gateway != "inference-gateway" || o.Timeout != 5*time.Minute {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = parse(t, "nginx", "--delete-gateway", "--gateway", "g", "--gateway-namespace", "n", "--wait", "-o", "yaml")
	if err != nil || !o.DeleteGateway || o.Gateway != "g" || o.GatewayNamespace != "n" || !o.Wait || o.Output != "yaml" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give one provider"},
		{[]string{"envoy"}, "valid providers: istio, agentgateway, nginx, gke"},
		{[]string{"istio", "--gateway", "x"}, "need --delete-gateway"},
		{[]string{"istio", "--timeout", "0s"}, "--timeout must be positive"},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
