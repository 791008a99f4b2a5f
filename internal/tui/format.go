package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// none is what a cell shows for a number that was not reported, distinct from 0.
const none = "-"

// fit pads or cuts s (which may hold styles) to exactly w cells, marking a cut with "…".
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// fitMiddle is fit for names whose end tells them apart (a pod's generated suffix): it cuts
// the middle. s must be plain text.
func fitMiddle(s string, w int) string {
	r := []rune(s)
	if len(r) <= w || w < 5 {
		return fit(s, w)
	}
	tail := (w - 1) / 2
	return string(r[:w-1-tail]) + "…" + string(r[len(r)-tail:])
}

// fitRight is fit for numbers: aligned to the right, so digits line up.
func fitRight(s string, w int) string {
	n := ansi.StringWidth(s)
	if n >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-n) + s
}

// pct shows a 0..1 fraction as a whole percentage.
func pct(f *float64) string {
	if f == nil {
		return none
	}
	return fmt.Sprintf("%.0f%%", *f*100)
}

// num shows a count or a rate in at most five cells: 7, 2.5, 410, 1.6k, 12k, 3.4M.
func num(f *float64) string {
	if f == nil {
		return none
	}
	v := *f
	a := math.Abs(v)
	switch {
	case a >= 9_999_500:
		return fmt.Sprintf("%.0fM", v/1e6)
	case a >= 999_500:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 9_999.5:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 999.5:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v == math.Trunc(v) || a >= 99.5:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// age shows how old a sample is, to the tenth of a second while that matters.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh", int(d.Hours()))
}

// yesNo shows a bool in words, which read without colour.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// list shows adapter names, or "-" for none.
func list(names []string) string {
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, ", ")
}

// flow lays parts out on lines of width cells, two spaces apart, starting a new line indented
// by indent cells when the next part would not fit; a part wider than a line is cut later.
func flow(parts []string, width, indent int) []string {
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case ansi.StringWidth(cur)+2+ansi.StringWidth(p) <= width:
			cur += "  " + p
		default:
			lines = append(lines, cur)
			cur = strings.Repeat(" ", indent) + p
		}
	}
	return append(lines, cur)
}

// wrap breaks text (which may hold styles) into lines of width cells at spaces, continuation
// lines indented by indent cells.
func wrap(text string, width, indent int) []string {
	head, rest, ok := strings.Cut(ansi.Wordwrap(text, max(1, width), ""), "\n")
	if !ok {
		return []string{head}
	}
	rest = strings.Join(strings.Fields(rest), " ")
	pad := strings.Repeat(" ", indent)
	out := []string{head}
	for _, l := range strings.Split(ansi.Wordwrap(rest, max(1, width-indent), ""), "\n") {
		out = append(out, pad+l)
	}
	return out
}
