package version

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/version"
)

func TestVersionOutputs(t *testing.T) {
	for _, format := range []cmdutil.Format{cmdutil.Text, ""} {
		io, out, _ := cmdtest.Streams()
		if err := Run(context.Background(), &Options{IO: io, Output: format}); err != nil || !strings.HasPrefix(out.String(), "igwctl ") {
			t.Fatalf("%q: %q %v", format, out, err)
		}
	}
	io, out, _ := cmdtest.Streams()
	if err := Run(context.Background(), &Options{IO: io, Output: cmdutil.JSON}); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["version"] == "" || v["goVersion"] == nil {
		t.Fatalf("json: %q %v", out, err)
	}
}

func TestFlagParsing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want cmdutil.Format
	}{{nil, cmdutil.Text}, {[]string{"-o", "text"}, cmdutil.Text}, {[]string{"-o", "yaml"}, cmdutil.YAML}, {[]string{"--output=json"}, cmdutil.JSON}} {
		if o, err := cmdtest.Parse(t, NewCmd, tc.args...); err != nil || o.Output != tc.want {
			t.Errorf("%v: %+v %v", tc.args, o, err)
		}
	}
	if _, err := cmdtest.Parse(t, NewCmd, "extra"); err == nil {
		t.Error("an argument was accepted")
	}
	if _, err := cmdtest.Parse(t, NewCmd, "-o", "xml"); err == nil || !strings.Contains(err.Error(), "must be one of text, json, yaml") {
		t.Errorf("-o xml: %v", err)
	}
}

func TestClientFlag(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		server bool
	}{{nil, false}, {[]string{"--client"}, false}, {[]string{"--client=true"}, false}, {[]string{"--client=false"}, true},
		{[]string{"--client=false", "-A"}, true}} {
		if o, err := cmdtest.Parse(t, NewCmd, tc.args...); err != nil || o.Server != tc.server {
			t.Errorf("%v: %+v %v", tc.args, o, err)
		}
	}
	if _, err := cmdtest.Parse(t, NewCmd, "--client=maybe"); err == nil {
		t.Error("--client=maybe was accepted")
	}
	f := NewCmd(&cmdutil.Factory{}, nil).Flags().Lookup("client")
	if f.DefValue != "true" {
		t.Errorf("--client defaults to %q", f.DefValue)
	}
}

// The text line names the version, commit, build date, Go version and platform.
func TestClientText(t *testing.T) {
	io, out, _ := cmdtest.Streams()
	if err := Run(context.Background(), &Options{IO: io}); err != nil {
		t.Fatal(err)
	}
	v := version.Get()
	want := "igwctl " + v.Version + " (commit " + v.ShortCommit() + ", built " + v.Built() + ", " + v.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
