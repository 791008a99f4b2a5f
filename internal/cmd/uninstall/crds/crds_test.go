package crds

import (
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

func parse(t *testing.T, args ...string) (*Options, error) { return cmdtest.Parse(t, NewCmd, args...) }

// The selection defaults are install's, so the same flags undo an install.
func TestDefaultsMirrorInstall(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if o.Selection.GatewayAPI != install.GatewayAPIStandard || o.Selection.Objective != install.ObjectiveLLMD ||
		o.DryRun != kube.DryRunNone || o.Force || o.Timeout != 2*time.Minute || o.Output != cmdutil.Text {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parse(t, "--gateway-api=none", "--objective-group=both", "--dry-run", "--force", "-o", "json")
	if err != nil || o.Selection.GatewayAPI != install.GatewayAPINone || o.Selection.Objective != install.ObjectiveBoth ||
		o.DryRun != kube.DryRunClient || !o.Force || o.Output != cmdutil.JSON {
		t.Errorf("flags = %+v, %v", o, err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--gateway-api", "all"}, `"--gateway-api" flag: must be one of standard, experimental, none`},
		{[]string{"--objective-group", "llmd"}, `"--objective-group" flag: must be one of llm-d, x-k8s, both, none`},
		{[]string{"--dry-run=yes"}, `"--dry-run" flag: must be one of none, client, server`},
		{[]string{"--timeout", "-1s"}, "--timeout must be positive"},
		{[]string{"--from-release"}, "unknown flag: --from-release"},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
