package conformance

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/goldenfile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestList(t *testing.T) {
	f, stdout, _ := cmdtest.Factory(nil, "")
	if err := cmdtest.Execute(NewCmd(f, nil), f.IO, "--list"); err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, "../../../testdata/conformance/list.golden", stdout.String(), *update)
	f, stdout, _ = cmdtest.Factory(nil, "")
	if err := cmdtest.Execute(NewCmd(f, nil), f.IO, "--list", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "--list -o json", stdout.String(), `"name": "EppUnAvailableFailOpen",`, `"differsFromUpstream": "upstream makes`)
}

// Bad command lines stop before any cluster call (the Factory has none) with exit status 3.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--gateway-class", "x", "--run-test", "Nope"}, `unknown check "Nope"; known checks: InferencePoolAccepted, HTTPRouteInvalidInferencePoolRef,`},
		{[]string{"--gateway-class", "x", "--skip-tests", "InferencePoolAccepted,Other"}, `unknown check "Other"`},
		{[]string{"--gateway-class", "x", "--timeout-config", "Bogus=1s"}, `--timeout-config: unknown timeout "Bogus"; known: DefaultTestTimeout, EPPRoutingRetry,`},
		{[]string{"--gateway-class", "x", "--timeout-config", "MaxTimeToConsistency=soon"}, `MaxTimeToConsistency="soon": want a positive duration`},
		{[]string{"--gateway-class", "x", "--timeout-config", "MaxTimeToConsistency"}, `write KEY=DURATION`},
		{nil, "--gateway-class is required"},
		{[]string{"--gateway-class", "x", "--report-output", "r.yaml"}, "--report-output: implementation's organization cannot be empty"},
		{[]string{"--gateway-class", "x", "extra"}, `unknown command "extra"`},
	} {
		f, _, _ := cmdtest.Factory(nil, "")
		err := cmdtest.Execute(NewCmd(f, nil), f.IO, tc.args...)
		if cmdutil.ExitCode(err) != exitCannot || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want exit 3 and %q", tc.args, cmdutil.ExitCode(err), err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	o, err := cmdtest.Parse(t, NewCmd, "--gateway-class", "istio", "--run-test", "InferencePoolAccepted,EppUnAvailableFailOpen",
		"--skip-tests", "EppUnAvailableFailOpen", "--timeout-config", "MaxTimeToConsistency=7s,RequiredConsecutiveSuccesses=2",
		"--cleanup=false", "--image-echo", "mirror/echo:1", "--contact", "a,b")
	if err != nil {
		t.Fatal(err)
	}
	if o.Cleanup || o.Images.Echo != "mirror/echo:1" || o.timeouts.MaxTimeToConsistency != 7*time.Second ||
		o.timeouts.RequiredConsecutiveSuccesses != 2 || len(o.checks) != 2 || len(o.Implementation.Contact) != 2 {
		t.Errorf("options %+v", o)
	}
	if got := o.skipped(); len(got) != 13 || got[0] != "EppUnAvailableFailOpen" {
		t.Errorf("skipped %v", got)
	}
}
