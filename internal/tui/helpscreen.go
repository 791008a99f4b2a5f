package tui

import "strings"

// helpBody is the help screen: every key, from the key map, and how to read the colours.
func (m Model) helpBody(height int) []string {
	h := m.help
	h.SetWidth(m.w)
	lines := []string{m.st.header.Render("Keys") + m.st.faint.Render("  (? or esc: back)"), ""}
	lines = append(lines, strings.Split(h.FullHelpView(m.keys.FullHelp()), "\n")...)
	lines = append(lines, "", m.st.header.Render("Reading the screen"))
	for _, l := range []string{
		"KV%   " + m.st.ok.Render("green") + " below 70%, " + m.st.warn.Render("yellow") + " below 90%, " + m.st.bad.Render("red") + " from 90%: the pod is about to preempt or reject requests",
		"WAIT  " + m.st.warn.Render("highlighted") + " when requests queue: the pod is saturated",
		"LORA  adapters running/waiting/max; - when the engine reports no LoRA",
		"AGE   how old the pod's newest good sample is; " + m.st.dim.Render("dimmed rows") + " are stale (two scrapes missed in a row)",
		"≠     the picker's view differs from the pods' (avg KV by more than 10 points, or ready endpoints ≠ ready pods): the picker routes on numbers the pods no longer report",
		"/     filters pod and node names by regular expression; s sorts by " + sortNames() + "; S reverses",
	} {
		lines = append(lines, wrap(l, m.w, 6)...)
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	return lines
}

func sortNames() string {
	var names []string
	for _, k := range sortKeys {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}
