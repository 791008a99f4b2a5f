//go:build amd64 && !purego

package scan

// Accelerator names the string scanner in use: "avx2" when this CPU runs the AVX2 loop over
// long plain runs, "portable" when only the word loop runs.
func Accelerator() string {
	if hasAVX2 {
		return "avx2"
	}
	return "portable"
}
