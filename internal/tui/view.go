package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Lines around a screen's body: the title above, the status and help lines below.
const chromeLines = 3

// View draws the whole frame: exactly the terminal's height in lines, none wider than it, so
// the renderer only rewrites the cells that changed (no clearing, no flicker).
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "igwctl top"
	return v
}

// Render is the frame as text, what View shows; tests compare it with golden files.
func (m Model) Render() string {
	bodyH := max(0, m.h-chromeLines)
	var body []string
	switch {
	case m.screen == helpScreen:
		body = m.helpBody(bodyH)
	case m.snap == nil:
		body = []string{"", "  waiting for the first snapshot…"}
	case m.currentPool() == nil:
		body = []string{"", "  no InferencePools in " + m.snap.Scope}
	case m.screen == detailScreen:
		body = m.detailBody(bodyH)
	default:
		body = m.poolBody(bodyH)
	}
	lines := make([]string, 0, m.h)
	lines = append(lines, m.titleLine())
	for i := range bodyH {
		if i < len(body) {
			lines = append(lines, body[i])
		} else {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.statusLine(), m.bottomLine())
	for i := range lines {
		lines[i] = fit(lines[i], m.w)
	}
	if len(lines) > m.h {
		lines = lines[:max(m.h, 0)]
	}
	return strings.Join(lines, "\n")
}

// titleLine names the tool and the pools, the one shown underlined.
func (m Model) titleLine() string {
	s := m.st.title.Render("igwctl top")
	if m.snap == nil || len(m.snap.Pools) == 0 {
		return s
	}
	cur := m.currentPool()
	for _, p := range m.snap.Pools {
		name := poolKey(p)
		if name == poolKey(*cur) {
			s += "  " + m.st.tabActive.Render(name)
		} else {
			s += "  " + m.st.tab.Render(name)
		}
	}
	if len(m.snap.Pools) > 1 {
		s += m.st.faint.Render("  (p: next pool)")
	}
	return s
}

// statusLine says where the numbers come from and how fresh they are.
func (m Model) statusLine() string {
	if m.snap == nil {
		if m.ended {
			return m.st.bad.Render("the source stopped before its first snapshot")
		}
		return m.st.faint.Render("connecting…")
	}
	parts := []string{m.snap.Source, m.snap.Scope}
	iv := m.interval
	if m.opts.Replay {
		iv = time.Duration(m.snap.Interval)
	}
	parts = append(parts, "every "+iv.String())
	if m.paused {
		parts = append(parts, m.st.warn.Render("PAUSED"))
	}
	parts = append(parts, "updated "+age(m.now().Sub(m.got))+" ago")
	if m.ended {
		if m.opts.Replay {
			parts = append(parts, m.st.warn.Render("replay ended"))
		} else {
			parts = append(parts, m.st.bad.Render("source stopped"))
		}
	}
	if m.screen == poolScreen {
		rows := m.rows()
		if len(rows) > 0 {
			parts = append(parts, fmt.Sprintf("pod %d/%d", m.cursor+1, len(rows)))
		}
		if m.filter != "" && !m.filtering {
			parts = append(parts, "filter /"+m.filter+"/")
		}
	}
	if m.note != "" {
		parts = append(parts, m.st.key.Render(m.note))
	}
	if n := len(m.snap.Errors); n > 0 {
		word := "errors"
		if n == 1 {
			word = "error"
		}
		parts = append(parts, m.st.bad.Render(fmt.Sprintf("%d %s: %s", n, word, strings.Join(m.snap.Errors, "; "))))
	}
	return strings.Join(parts, m.st.faint.Render(" · "))
}

// bottomLine is the filter being typed, or the short help.
func (m Model) bottomLine() string {
	if m.filtering {
		return m.st.key.Render("/") + m.filter + "█" + m.st.faint.Render("   enter keeps, esc clears")
	}
	h := m.help
	h.SetWidth(m.w)
	return h.ShortHelpView(m.keys.ShortHelp())
}

// tableRows is how many pods the table shows at once.
func (m Model) tableRows() int {
	header := 0
	if p := m.currentPool(); p != nil {
		header = len(m.header(p))
	}
	return max(1, m.h-chromeLines-header-1)
}
