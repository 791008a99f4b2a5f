package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/ocitest"
)

func TestRun(t *testing.T) {
	// Stored credentials are looked up under these; keep them away from $HOME.
	t.Setenv("HELM_CONFIG_HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	reg := ocitest.Start(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"-chart", "../../charts/bbr", "-version", "v0.3.1", "-out", out, "-push", reg.URL(), "-plain-http"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"wrote " + filepath.Join(out, "bbr-0.3.1.tgz") + " (sha256:", "pushed oci://" + reg.Host + "/charts/bbr:0.3.1\ndigest sha256:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(out, "bbr-0.3.1.tgz")); err != nil {
		t.Error(err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "0.3"}, `version "0.3" is not SemVer`},
		{[]string{}, "-version is required"},
		{[]string{"-version", "v1.0.0", "-password-stdin"}, "-password-stdin needs -username"},
		{[]string{"-version", "v1.0.0", "-source-date-epoch", "yesterday"}, "not a Unix time"},
	} {
		err := run(append([]string{"-chart", "../../charts/bbr", "-out", t.TempDir()}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
