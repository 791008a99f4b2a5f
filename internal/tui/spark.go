package tui

import (
	"math"
	"strings"
)

var (
	sparkRunes = []rune("▁▂▃▄▅▆▇█")
	// barEighths are the partial blocks of a bar's last cell, by eighths.
	barEighths = []rune(" ▏▎▍▌▋▊▉")
)

// sparkline draws the newest width values of vals, newest at the right, scaled to lo..hi (hi
// at least lo+minSpan, so a flat idle queue draws low instead of filling the cell). Fewer
// values than width leave the left blank: the trend has only just started.
func sparkline(vals []float64, width int, lo, hi, minSpan float64) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	hi = math.Max(hi, lo+minSpan)
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(vals)))
	for _, v := range vals {
		i := int(math.Round((v - lo) / (hi - lo) * float64(len(sparkRunes)-1)))
		b.WriteRune(sparkRunes[max(0, min(i, len(sparkRunes)-1))])
	}
	return b.String()
}

// maxOf is the largest of vals, 0 for none.
func maxOf(vals []float64) float64 {
	m := 0.0
	for _, v := range vals {
		m = math.Max(m, v)
	}
	return m
}

// bar draws a 0..1 fraction as a bar width cells long, to an eighth of a cell.
func bar(f float64, width int) string {
	if width <= 0 {
		return ""
	}
	eighths := int(math.Round(math.Max(0, math.Min(1, f)) * float64(width*8)))
	full, part := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if part > 0 {
		s += string(barEighths[part])
	}
	return s + strings.Repeat(" ", width-full-min(part, 1))
}
