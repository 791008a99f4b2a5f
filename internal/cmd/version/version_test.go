package version

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
)

func TestVersionOutputs(t *testing.T) {
	io, out, _ := cmdutil.Test()
	if err := Run(&Options{IO: io}); err != nil || !strings.HasPrefix(out.String(), "igwctl ") {
		t.Fatalf("text: %q %v", out, err)
	}
	io, out, _ = cmdutil.Test()
	if err := Run(&Options{IO: io, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["version"] == "" || v["goVersion"] == nil {
		t.Fatalf("json: %q %v", out, err)
	}
	io, _, _ = cmdutil.Test()
	if err := Run(&Options{IO: io, Output: "xml"}); err == nil || !strings.Contains(err.Error(), "json or yaml") {
		t.Fatalf("bad format accepted: %v", err)
	}
}

func TestFlagParsing(t *testing.T) {
	io, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmd(io, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"-o", "yaml"})
	if err := cmd.Execute(); err != nil || got.Output != "yaml" {
		t.Fatalf("got %+v %v", got, err)
	}
	cmd = NewCmd(io, func(*Options) error { return nil })
	cmd.SetArgs([]string{"extra"})
	if err := cmd.Execute(); err == nil {
		t.Fatal("an argument was accepted")
	}
}
