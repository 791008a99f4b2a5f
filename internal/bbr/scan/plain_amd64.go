//go:build amd64 && !purego

package scan

import "golang.org/x/sys/cpu"

//go:noescape
func skipPlainAVX2(p []byte, esc *[256]bool) int

var hasAVX2 = cpu.X86.HasAVX2

// skipVector passes plain content and complete two-byte escapes 32 bytes at
// a time. It is worth its setup only on long runs, so callers try the word
// loop on the first bytes first.
func skipVector(p []byte, i int) int {
	if !hasAVX2 || len(p)-i < 64 {
		return i
	}
	return i + skipPlainAVX2(p[i:], &shortEscape)
}
