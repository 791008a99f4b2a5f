package tui

import (
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// key handles a key press on the current screen.
func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.filtering {
		m.filterKey(msg)
		return m, nil
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		if m.screen == helpScreen {
			m.screen = m.back
		} else {
			m.back, m.screen = m.screen, helpScreen
		}
		return m, nil
	case key.Matches(msg, k.Pause):
		m.setPaused(!m.paused)
		return m, nil
	case key.Matches(msg, k.Slower):
		m.setInterval(+1)
		return m, nil
	case key.Matches(msg, k.Faster):
		m.setInterval(-1)
		return m, nil
	}
	switch m.screen {
	case helpScreen:
		if key.Matches(msg, k.Back) {
			m.screen = m.back
		}
	case detailScreen:
		switch {
		case key.Matches(msg, k.Back):
			m.screen = poolScreen
		case key.Matches(msg, k.Up):
			m.move(m.cursor - 1)
		case key.Matches(msg, k.Down):
			m.move(m.cursor + 1)
		}
	case poolScreen:
		m.poolKey(msg)
	}
	return m, nil
}

// poolKey handles the keys of the pool screen.
func (m *Model) poolKey(msg tea.KeyPressMsg) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.move(m.cursor - 1)
	case key.Matches(msg, k.Down):
		m.move(m.cursor + 1)
	case key.Matches(msg, k.Top):
		m.move(0)
	case key.Matches(msg, k.Bottom):
		m.move(len(m.rows()) - 1)
	case msg.String() == "pgdown", msg.String() == "ctrl+f":
		m.move(m.cursor + m.tableRows())
	case msg.String() == "pgup", msg.String() == "ctrl+b":
		m.move(m.cursor - m.tableRows())
	case key.Matches(msg, k.Filter):
		m.filtering = true
	case key.Matches(msg, k.Back):
		m.filter = ""
		m.follow()
	case key.Matches(msg, k.Sort):
		m.sort = (m.sort + 1) % len(sortKeys)
		m.reverse = false
		m.follow()
		m.say("sorted by " + sortKeys[m.sort].name)
	case key.Matches(msg, k.Reverse):
		m.reverse = !m.reverse
		m.follow()
	case key.Matches(msg, k.Pool):
		m.nextPool()
	case key.Matches(msg, k.Detail):
		if len(m.rows()) > 0 {
			m.screen = detailScreen
		}
	}
}

// filterKey edits the filter while it is typed: the table follows each key; enter keeps the
// filter, esc drops it.
func (m *Model) filterKey(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "enter":
		m.filtering = false
	case "esc":
		m.filtering, m.filter = false, ""
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case "ctrl+u":
		m.filter = ""
	default:
		if msg.Text != "" {
			m.filter += msg.Text
		}
	}
	m.follow()
}

// matcher matches pods whose name or node the filter finds: a regular expression, as in k9s,
// or plain text when it is not one (a half-typed "qwen-[" still filters). Case is ignored.
func matcher(filter string) func(fleet.Pod) bool {
	if filter == "" {
		return func(fleet.Pod) bool { return true }
	}
	if re, err := regexp.Compile("(?i)" + filter); err == nil {
		return func(p fleet.Pod) bool { return re.MatchString(p.Name) || re.MatchString(p.Node) }
	}
	f := strings.ToLower(filter)
	return func(p fleet.Pod) bool {
		return strings.Contains(strings.ToLower(p.Name), f) || strings.Contains(strings.ToLower(p.Node), f)
	}
}
