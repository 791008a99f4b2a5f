//go:build purego

package scan

import "testing"

func TestAcceleratorPurego(t *testing.T) {
	if got := Accelerator(); got != "portable" {
		t.Fatalf("Accelerator() = %q under -tags purego, want portable", got)
	}
}
