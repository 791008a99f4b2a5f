//go:build amd64 && !purego

package scan

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// Accelerator names the loop skipPlain takes: AVX2 exactly when the CPU has it, and the word
// loop when hasAVX2 is off (as on a CPU without it).
func TestAcceleratorFollowsCPU(t *testing.T) {
	want := "portable"
	if cpu.X86.HasAVX2 {
		want = "avx2"
	}
	if got := Accelerator(); got != want {
		t.Errorf("Accelerator() = %q, CPU has AVX2 %v", got, cpu.X86.HasAVX2)
	}
	defer func(v bool) { hasAVX2 = v }(hasAVX2)
	hasAVX2 = false
	if got := Accelerator(); got != "portable" {
		t.Errorf("Accelerator() = %q with AVX2 off, want portable", got)
	}
}
