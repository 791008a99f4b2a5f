package tui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// header is what is above the pods table: the pool's totals, its Gateways, the picker's view
// beside the pods', each flowed onto as many lines as the width needs.
func (m Model) header(p *fleet.Pool) []string {
	lines := flow(m.totals(p), m.w, 2)
	lines = append(lines, flow(m.parents(p), m.w, 9)...)
	return append(lines, flow(m.picker(p), m.w, 9)...)
}

// poolBody is the pool screen: its header and its pods, one row each.
func (m Model) poolBody(height int) []string {
	p := m.currentPool()
	lines := m.header(p)
	rows := m.rows()
	cols := layout(columns(rows), m.w)
	lines = append(lines, m.tableHeader(cols))
	if len(rows) == 0 {
		if m.filter != "" {
			return append(lines, m.st.faint.Render(fmt.Sprintf("  no pod matches /%s/ (esc clears the filter)", m.filter)))
		}
		return append(lines, m.st.warn.Render("  the pool selects no pods ("+p.Selector+")"))
	}
	end := min(len(rows), m.offset+max(0, height-len(lines)))
	for i := m.offset; i < end; i++ {
		lines = append(lines, m.row(cols, rows[i], i == m.cursor))
	}
	return lines
}

func group(g string) string {
	if g == "inference.networking.k8s.io" {
		return "v1"
	}
	return "alpha"
}

// totals sums the pool's pods as they report themselves.
func (m Model) totals(p *fleet.Pool) []string {
	t := p.Totals
	ready := fmt.Sprintf("%d/%d", t.Ready, t.Pods)
	if t.Ready < t.Pods {
		ready = m.st.warn.Render(ready)
	}
	kv := none
	if t.AvgKVCache != nil {
		kv = m.st.kv(*t.AvgKVCache).Render(pct(t.AvgKVCache))
	}
	waiting := num(&t.Waiting)
	if t.Waiting > 0 {
		waiting = m.st.warn.Render(waiting)
	}
	parts := []string{
		m.st.header.Render(p.Name) + fmt.Sprintf(" (%s, %s)", p.Namespace, group(p.Group)),
		fmt.Sprintf("pods %d", t.Pods), "ready " + ready, "avg KV " + kv, "waiting " + waiting, "running " + num(&t.Running),
		"req/s " + num(t.Rates.Requests), fmt.Sprintf("tok/s in %s out %s", num(t.Rates.PromptTokens), num(t.Rates.GenerationTokens)),
	}
	if t.Reporting < t.Pods {
		parts = append(parts, m.st.warn.Render(fmt.Sprintf("(%d of %d reporting)", t.Reporting, t.Pods)))
	}
	return parts
}

// parents is the pool's status.parents: is a Gateway routing to it?
func (m Model) parents(p *fleet.Pool) []string {
	label := m.st.faint.Render("gateways")
	if len(p.Parents) == 0 {
		return []string{label + " " + m.st.warn.Render("none: no Gateway has taken the pool (status.parents is empty)")}
	}
	var parts []string
	for i, par := range p.Parents {
		s := par.Gateway + " " + m.cond("Accepted", par.Accepted) + " " + m.cond("ResolvedRefs", par.ResolvedRefs)
		if par.Reason != "" {
			s += m.st.bad.Render(" (" + par.Reason + ")")
		}
		if i == 0 {
			s = label + " " + s
		}
		parts = append(parts, s)
	}
	return parts
}

// cond shows a condition: its name when True, name=status loudly otherwise.
func (m Model) cond(name, status string) string {
	if status == "True" {
		return m.st.ok.Render(name + " ✓")
	}
	if status == "" {
		status = "absent"
	}
	return m.st.bad.Render(name + "=" + status)
}

// picker sets the endpoint picker's view of the pool beside the pods' own numbers; where they
// disagree the picker routes on stale or wrong data, which is what this line is for.
func (m Model) picker(p *fleet.Pool) []string {
	label := m.st.faint.Render("picker  ") + " "
	pk := p.Picker
	switch {
	case pk == nil:
		return []string{label + m.st.faint.Render("not read")}
	case pk.Error != "":
		return []string{label + pk.Target + ":", m.st.bad.Render(pk.Error)}
	}
	t := p.Totals
	parts := []string{label + pk.Target}
	if pk.AvgKVCache != nil {
		s := "avg KV " + pct(pk.AvgKVCache)
		if t.AvgKVCache != nil {
			if math.Abs(*pk.AvgKVCache-*t.AvgKVCache) > pickerKVSlack {
				s = m.st.bad.Render(s + " ≠ pods " + pct(t.AvgKVCache))
			} else {
				s += " = pods " + pct(t.AvgKVCache)
			}
		}
		parts = append(parts, s)
	}
	if pk.AvgQueue != nil {
		s := "avg queue " + num(pk.AvgQueue)
		if t.Reporting > 0 {
			avg := t.Waiting / float64(t.Reporting)
			s += " (pods " + num(&avg) + ")"
		}
		parts = append(parts, s)
	}
	if pk.ReadyEndpoints != nil {
		s := "ready endpoints " + num(pk.ReadyEndpoints)
		if int(*pk.ReadyEndpoints) != t.Ready {
			s = m.st.bad.Render(fmt.Sprintf("%s ≠ ready pods %d", s, t.Ready))
		} else {
			s += fmt.Sprintf(" = ready pods %d", t.Ready)
		}
		parts = append(parts, s)
	}
	return parts
}

// tableHeader titles the columns, marking the sort column with its direction.
func (m Model) tableHeader(cols []column) string {
	key := sortKeys[m.sort]
	var cells []string
	for _, c := range cols {
		title := c.title
		if c.title == key.column {
			mark := "▲"
			if key.desc != m.reverse {
				mark = "▼"
			}
			if len(title)+1 > c.width {
				title = title[:max(0, c.width-1)]
			}
			title += mark
		}
		if c.right {
			cells = append(cells, fitRight(title, c.width))
		} else {
			cells = append(cells, fit(title, c.width))
		}
	}
	return m.st.tableHeader.Render(fit(strings.Join(cells, " "), m.w))
}

// row draws one pod; the selected row is reversed, a stale one dimmed.
func (m Model) row(cols []column, p fleet.Pod, selected bool) string {
	base := plain
	if p.Stale {
		base = base.Inherit(m.st.dim)
	}
	if selected {
		base = base.Inherit(m.st.selected)
	}
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(base.Render(" "))
		}
		text, st := c.cell(m.st, p)
		switch {
		case c.right:
			text = fitRight(text, c.width)
		case c.middle:
			text = fitMiddle(text, c.width)
		default:
			text = fit(text, c.width)
		}
		b.WriteString(cellStyle(st, base).Render(text))
	}
	return b.String()
}

// cellStyle is a cell's own style with the row's (selection, staleness) added.
func cellStyle(cell, row lipgloss.Style) lipgloss.Style { return cell.Inherit(row) }
