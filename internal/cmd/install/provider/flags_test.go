package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/kube"
)

func parse(t *testing.T, args ...string) (*Options, error) { return cmdtest.Parse(t, NewCmd, args...) }

func TestFlags(t *testing.T) {
	o, err := parse(t, "istio")
	if err != nil {
		t.Fatal(err)
	}
	if o.Provider != "istio" || o.Gateway != "inference-gateway" || o.NoGateway || o.DryRun != kube.DryRunNone || o.Wait || o.Timeout != 5*time.Minute || o.Output != cmdutil.Text {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parse(t, "agentgateway", "--version", "v1.0.1", "--set", "a=1", "--set", "b=2", "--set-string", "c=3", "-f", "x.yaml",
		"--chart-repo", "oci://127.0.0.1:5000/charts", "--plain-http", "--gateway", "gw", "--gateway-namespace", "llm",
		"--dry-run", "--wait", "--timeout", "1m", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if o.Version != "v1.0.1" || strings.Join(o.Set, ",") != "a=1,b=2" || o.SetString[0] != "c=3" || o.Files[0] != "x.yaml" || !o.PlainHTTP ||
		o.Gateway != "gw" || o.GatewayNamespace != "llm" || o.DryRun != kube.DryRunClient || !o.Wait || o.Timeout != time.Minute || o.Output != cmdutil.JSON {
		t.Errorf("parsed %+v", o)
	}
	if o, err := parse(t, "gke", "--gateway-class", "gke-l7-rilb"); err != nil || o.GatewayClass != "gke-l7-rilb" {
		t.Errorf("gke: %+v %v", o, err)
	}
	// --dry-run takes kubectl's modes, as install crds does; =server once died parsing a bool.
	for _, mode := range kube.DryRuns() {
		if o, err := parse(t, "istio", "--dry-run="+string(mode)); err != nil || o.DryRun != mode {
			t.Errorf("--dry-run=%s: %+v %v", mode, o, err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give one provider: istio, agentgateway, nginx, gke"},
		{[]string{"envoy"}, `unknown provider "envoy"; valid providers: istio, agentgateway, nginx, gke`},
		{[]string{"istio", "nginx"}, "give one provider"},
		{[]string{"istio", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"istio", "--chart-repo", "ghcr.io/x"}, "neither oci://HOST/PATH nor an http(s):// chart repository URL"},
		{[]string{"istio", "--plain-http"}, "--plain-http needs --chart-repo oci://"},
		{[]string{"istio", "--no-gateway", "--gateway", "x"}, "--gateway and --no-gateway contradict"},
		{[]string{"istio", "--gateway", "Bad_Name"}, `--gateway "Bad_Name" is not a valid name`},
		{[]string{"gke", "--version", "1"}, "--version does not apply to gke"},
		{[]string{"gke", "--set", "a=1"}, "--set does not apply to gke"},
		{[]string{"istio", "-o", "wide"}, "must be one of text, json, yaml"},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
