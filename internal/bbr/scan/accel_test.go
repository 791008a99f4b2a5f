package scan

import (
	"runtime"
	"testing"
)

func TestAccelerator(t *testing.T) {
	got := Accelerator()
	if got != "avx2" && got != "portable" {
		t.Fatalf("Accelerator() = %q, want avx2 or portable", got)
	}
	if runtime.GOARCH != "amd64" && got != "portable" {
		t.Errorf("Accelerator() = %q on %s, want portable", got, runtime.GOARCH)
	}
}
