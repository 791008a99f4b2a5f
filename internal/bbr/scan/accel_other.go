//go:build !amd64 || purego

package scan

// Accelerator names the string scanner in use: always "portable" (the word loop) on this
// architecture or under -tags purego.
func Accelerator() string { return "portable" }
