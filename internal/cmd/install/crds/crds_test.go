package crds

import (
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

func parse(t *testing.T, args ...string) (*Options, error) { return cmdtest.Parse(t, NewCmd, args...) }

func TestDefaults(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	want := install.Selection{GatewayAPI: install.GatewayAPIStandard, Objective: install.ObjectiveLLMD, InferenceVersion: api.BundleVersion}
	if o.Selection != want || o.DryRun != kube.DryRunNone || o.Force || o.Timeout != 2*time.Minute || o.Output != cmdutil.Text {
		t.Errorf("defaults = %+v", o)
	}
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "--gateway-api", "experimental", "--objective-group", "both", "--dry-run", "--force", "--timeout", "30s", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if o.Selection.GatewayAPI != install.GatewayAPIExperimental || o.Selection.Objective != install.ObjectiveBoth ||
		o.DryRun != kube.DryRunClient || !o.Force || o.Timeout != 30*time.Second || o.Output != cmdutil.YAML {
		t.Errorf("parsed %+v", o)
	}
	if o, _ := parse(t, "--dry-run=server"); o.DryRun != kube.DryRunServer {
		t.Errorf("--dry-run=server: %s", o.DryRun)
	}

	// --from-release without --objective-group takes the release's objectives; with it, the flag's.
	o, err = parse(t, "--from-release", "--inference-version", "v1.5.0")
	if err != nil || !o.Selection.ObjectiveFromRelease || !o.Selection.FromRelease {
		t.Errorf("--from-release: %+v, %v", o, err)
	}
	o, err = parse(t, "--from-release", "--objective-group", "llm-d")
	if err != nil || o.Selection.ObjectiveFromRelease {
		t.Errorf("--from-release --objective-group llm-d: %+v, %v", o, err)
	}
	if o, _ := parse(t, "--objective-group", "x-k8s"); o.Selection.ObjectiveFromRelease {
		t.Error("ObjectiveFromRelease without --from-release")
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--gateway-api", "beta"}, `invalid argument "beta" for "--gateway-api" flag: must be one of standard, experimental, none`},
		{[]string{"--objective-group", "x-k8s.io"}, `"--objective-group" flag: must be one of llm-d, x-k8s, both, none`},
		{[]string{"--dry-run=true"}, `"--dry-run" flag: must be one of none, client, server`},
		{[]string{"-o", "wide"}, `"-o, --output" flag: must be one of text, json, yaml`},
		{[]string{"--inference-version", "v1.5.0"}, "--inference-version v1.5.0 needs --from-release"},
		{[]string{"--inference-version", "latest", "--from-release"}, `--inference-version: "latest" is not a release tag`},
		{[]string{"--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"extra"}, `unknown command "extra"`},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
