package bbr

import (
	"context"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
)

func TestFlags(t *testing.T) {
	io, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmd(io, nil, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--wait", "-o", "json"})
	if err := cmd.Execute(); err != nil || !got.Wait || got.Output != "json" {
		t.Fatalf("%+v %v", got, err)
	}
	cmd = NewCmd(io, nil, func(context.Context, *Options) error { return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("extra arg: %v", err)
	}
}
