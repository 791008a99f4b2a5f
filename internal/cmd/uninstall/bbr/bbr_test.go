package bbr

import (
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	got, err := cmdtest.Parse(t, NewCmd, "--wait", "-o", "json")
	if err != nil || !got.Wait || got.Output != cmdutil.JSON {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := cmdtest.Parse(t, NewCmd, "extra"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("extra arg: %v", err)
	}
}
