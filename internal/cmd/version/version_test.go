package version

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
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
