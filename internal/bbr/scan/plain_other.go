//go:build !amd64 || purego

package scan

// skipVector has no vector version here; the word loop does the work.
func skipVector(_ []byte, i int) int { return i }
