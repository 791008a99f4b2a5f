package tui

import (
	"math"

	"charm.land/lipgloss/v2"
)

// KV-cache thresholds: above 0.9 the model server is about to preempt or reject requests
// (llm-d's model-server metrics guide), above 0.7 it has little headroom left.
const (
	kvWarn = 0.7
	kvBad  = 0.9
	// pickerKVSlack is how far, in points of KV-cache, the picker's average may be from the
	// pods' before the header calls it a mismatch: the two are read a moment apart.
	pickerKVSlack = 0.10
)

// styles are the screen's looks. Colours are the 16 ANSI ones so every terminal draws them;
// the renderer downsamples or drops them for the terminal's profile (NO_COLOR, TERM=dumb), and
// nothing is said by colour alone: a mismatch also gets ≠, a stale row "stale".
type styles struct {
	title, tab, tabActive, header, tableHeader lipgloss.Style
	selected, dim, ok, warn, bad, key, faint   lipgloss.Style
}

func newStyles() styles {
	return styles{
		title:       lipgloss.NewStyle().Bold(true),
		tab:         lipgloss.NewStyle().Faint(true),
		tabActive:   lipgloss.NewStyle().Bold(true).Underline(true),
		header:      lipgloss.NewStyle().Bold(true),
		tableHeader: lipgloss.NewStyle().Bold(true).Reverse(true),
		selected:    lipgloss.NewStyle().Reverse(true),
		dim:         lipgloss.NewStyle().Faint(true),
		ok:          lipgloss.NewStyle().Foreground(lipgloss.Green),
		warn:        lipgloss.NewStyle().Foreground(lipgloss.Yellow).Bold(true),
		bad:         lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		key:         lipgloss.NewStyle().Bold(true),
		faint:       lipgloss.NewStyle().Faint(true),
	}
}

// kv is the style of a KV-cache utilisation, judged as shown (rounded to a whole percent), so
// a pod showing 90% is never drawn as below 90%.
func (s styles) kv(f float64) lipgloss.Style {
	shown := math.Round(f*100) / 100
	switch {
	case shown >= kvBad:
		return s.bad
	case shown >= kvWarn:
		return s.warn
	}
	return s.ok
}
