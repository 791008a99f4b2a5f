package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The frames at 80×24 and 160×48, for each screen, as golden files: what a person sees.
func TestFrames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		for _, tc := range []struct {
			name string
			keys []string
		}{
			{"pool", nil},
			{"detail", []string{"j", "enter"}},
			{"help", []string{"?"}},
			{"pool2", []string{"p"}},
			{"sorted", []string{"s"}},
		} {
			t.Run(fmt.Sprintf("%s-%dx%d", tc.name, w, h), func(t *testing.T) {
				m := send(model(t, w, h), keys(tc.keys...)...)
				got := frame(m)
				lines := strings.Split(got, "\n")
				if len(lines) != h {
					t.Errorf("%d lines, want %d", len(lines), h)
				}
				for i, l := range lines {
					if n := ansi.StringWidth(l); n != w {
						t.Errorf("line %d is %d cells wide, want %d: %q", i, n, w, l)
					}
				}
				golden(t, fmt.Sprintf("%s-%dx%d.golden", tc.name, w, h), got)
			})
		}
	}
}

// Colours carry the thresholds when the terminal has them: a 90% KV cache is red, 70% yellow,
// 38% green; the renderer drops them under NO_COLOR.
func TestColours(t *testing.T) {
	out := model(t, 160, 48).Render()
	for pod, sgr := range map[string]string{"fw7tn": "31m 90%", "8hz4m": "33m 70%", "2xkqp": "32m 38%"} {
		line := lineWith(out, pod)
		if !strings.Contains(line, sgr) {
			t.Errorf("%s: no %q in %q", pod, sgr, line)
		}
	}
}
