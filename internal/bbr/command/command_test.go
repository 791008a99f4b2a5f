package command

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/bbr/scan"
	"github.com/igw-dev/igw/internal/version"
)

func TestBadInvocationsExitNonZero(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"unknown flag":     {[]string{"--nope"}, "unknown flag"},
		"bad port":         {[]string{"--grpc-port=abc"}, "invalid argument"},
		"port range":       {[]string{"--grpc-port=70000"}, "out of range"},
		"positional":       {[]string{"serve"}, "unknown command"},
		"bad size":         {[]string{"--max-body-bytes=lots"}, "byte count"},
		"bad log level":    {[]string{"--log-level=loud"}, "--log-level"},
		"missing rules":    {[]string{"--rules-file=/nonexistent/rules.yaml"}, "--rules-file"},
		"bad configmaps":   {[]string{"--configmaps=maybe"}, "auto, true or false"},
		"cert needs tls":   {[]string{"--secure-serving=false", "--tls-cert-file=a", "--tls-key-file=b"}, "--secure-serving"},
		"unknown response": {[]string{"--response-body-mode=SOMETIMES"}, "--response-body-mode"},
		"negative workers": {[]string{"--stream-workers=-1"}, "--stream-workers -1 is out of range"},
		"too many workers": {[]string{"--stream-workers=20000"}, "out of range 0-10000"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(c.args, &out, &errOut)
			if code == 0 || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want non-zero and %q", code, errOut.String(), c.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--max-body-bytes") {
		t.Fatalf("help: exit %d %q", code, out.String())
	}
	out.Reset()
	if code := Main([]string{"--version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "bbr version") {
		t.Fatalf("version: exit %d %q", code, out.String())
	}
}

// --version names the build and the JSON scanner this process runs.
func TestVersionFields(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	v := version.Get()
	line := out.String()
	want := fmt.Sprintf("bbr version %s (commit %s, built %s, %s, %s, JSON scanner: %s)\n",
		v.Version, v.ShortCommit(), v.Built(), v.GoVersion, runtime.GOOS+"/"+runtime.GOARCH, scan.Accelerator())
	if line != want {
		t.Fatalf("--version printed\n%q, want\n%q", line, want)
	}
	if !strings.HasSuffix(line, "JSON scanner: avx2)\n") && !strings.HasSuffix(line, "JSON scanner: portable)\n") {
		t.Errorf("--version does not name the scanner: %q", line)
	}
	if runtime.GOARCH != "amd64" && !strings.Contains(line, "portable") {
		t.Errorf("%s has no AVX2 scanner: %q", runtime.GOARCH, line)
	}
}
