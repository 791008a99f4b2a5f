package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// column is one column of the pods table. A narrow terminal drops columns by prio, highest
// first: the pod, its KV cache and its queue are what "which replica is full?" needs, and stay.
type column struct {
	title string
	// width is the column's width; flex columns start at width and grow to want.
	width, want int
	flex        bool
	prio        int
	right       bool
	// middle cuts a long value in the middle rather than at its end.
	middle bool
	// cell is the column's text for p and the style to draw it with.
	cell func(st styles, p fleet.Pod) (string, lipgloss.Style)
}

// trendWidth is how many samples a table sparkline shows.
const trendWidth = 12

// columns are the table's columns in the order they appear, sized for pods.
func columns(pods []fleet.Pod) []column {
	podW, nodeW, anyErr := 3, 4, false
	for _, p := range pods {
		podW = max(podW, len(p.Name))
		nodeW = max(nodeW, len(p.Node))
		anyErr = anyErr || p.Error != ""
	}
	cols := []column{
		{title: "POD", width: min(podW, 30), want: min(podW, 60), flex: true, prio: 0, middle: true, cell: cellPod},
		{title: "NODE", width: min(nodeW, 20), prio: 7, cell: func(_ styles, p fleet.Pod) (string, lipgloss.Style) { return p.Node, plain }},
		{title: "RDY", width: 3, prio: 1, cell: cellReady},
		{title: "KV%", width: 4, prio: 0, right: true, cell: cellKV},
		{title: "KV", width: 8, prio: 3, cell: cellKVBar},
		{title: "WAIT", width: 4, prio: 0, right: true, cell: cellWaiting},
		{title: "RUN", width: 4, prio: 1, right: true, cell: sampleNum(func(s *fleet.Sample) *float64 { return s.Running })},
		{title: "LORA", width: 5, prio: 5, cell: cellLoRA},
		{title: "REQ/S", width: 6, prio: 4, right: true, cell: rate(func(r fleet.Rates) *float64 { return r.Requests })},
		{title: "IN/S", width: 5, prio: 8, right: true, cell: rate(func(r fleet.Rates) *float64 { return r.PromptTokens })},
		{title: "OUT/S", width: 5, prio: 5, right: true, cell: rate(func(r fleet.Rates) *float64 { return r.GenerationTokens })},
		{title: "KV TREND", width: trendWidth, prio: 4, cell: cellKVTrend},
		{title: "QUEUE TREND", width: trendWidth, prio: 6, cell: cellQueueTrend},
		{title: "AGE", width: 5, prio: 2, right: true, cell: cellAge},
	}
	if anyErr {
		cols = append(cols, column{title: "ERROR", width: 20, want: 400, flex: true, prio: 2, cell: cellError})
	}
	return cols
}

var plain = lipgloss.NewStyle()

func cellPod(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Stale {
		return p.Name, st.dim
	}
	return p.Name, plain
}

func cellReady(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Ready {
		return "yes", plain
	}
	return "no", st.warn
}

func cellKV(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Sample == nil || p.Sample.KVCache == nil {
		return none, plain
	}
	return pct(p.Sample.KVCache), st.kv(*p.Sample.KVCache)
}

func cellKVBar(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Sample == nil || p.Sample.KVCache == nil {
		return "", plain
	}
	return bar(*p.Sample.KVCache, 8), st.kv(*p.Sample.KVCache)
}

func cellWaiting(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Sample == nil || p.Sample.Waiting == nil {
		return none, plain
	}
	if *p.Sample.Waiting > 0 {
		return num(p.Sample.Waiting), st.warn
	}
	return num(p.Sample.Waiting), plain
}

func sampleNum(get func(*fleet.Sample) *float64) func(styles, fleet.Pod) (string, lipgloss.Style) {
	return func(_ styles, p fleet.Pod) (string, lipgloss.Style) {
		if p.Sample == nil {
			return none, plain
		}
		return num(get(p.Sample)), plain
	}
}

func rate(get func(fleet.Rates) *float64) func(styles, fleet.Pod) (string, lipgloss.Style) {
	return func(_ styles, p fleet.Pod) (string, lipgloss.Style) { return num(get(p.Rates)), plain }
}

// cellLoRA is running/waiting/max adapters; "-" when the engine reports no LoRA.
func cellLoRA(_ styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Sample == nil || p.Sample.LoRA == nil {
		return none, plain
	}
	l := p.Sample.LoRA
	return fmt.Sprintf("%d/%d/%d", len(l.Running), len(l.Waiting), l.Max), plain
}

func cellKVTrend(st styles, p fleet.Pod) (string, lipgloss.Style) {
	h := p.History.KVCache
	style := plain
	if len(h) > 0 {
		style = st.kv(h[len(h)-1])
	}
	return sparkline(h, trendWidth, 0, 1, 1), style
}

func cellQueueTrend(_ styles, p fleet.Pod) (string, lipgloss.Style) {
	h := p.History.Waiting
	return sparkline(h, trendWidth, 0, maxOf(h), 4), plain
}

func cellAge(st styles, p fleet.Pod) (string, lipgloss.Style) {
	switch {
	case p.Sample == nil:
		return none, plain
	case p.Stale:
		return age(time.Duration(p.Age)), st.bad
	}
	return age(time.Duration(p.Age)), plain
}

func cellError(st styles, p fleet.Pod) (string, lipgloss.Style) {
	if p.Error == "" {
		return "", plain
	}
	msg := p.Error
	if i := strings.LastIndex(msg, ": "); i >= 0 && !strings.HasSuffix(msg, ": ") {
		// The table has room for the cause ("context deadline exceeded"), not the URL
		// before it; the detail screen shows all of it.
		msg = msg[i+2:]
	}
	if p.Stale {
		msg = "stale: " + msg
	}
	return msg, st.bad
}

// layout keeps the columns that fit in width in priority order, stopping at the first that
// does not (so a column never shows while a more important one is hidden), and gives what is
// left to the flex columns in order (the pod's name first, then the error).
func layout(cols []column, width int) []column {
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cols[a].prio, cols[b].prio) })
	keep := make([]bool, len(cols))
	used := -1 // no gap before the first column
	for _, i := range order {
		if used+1+cols[i].width > width && used >= 0 {
			break
		}
		keep[i] = true
		used += 1 + cols[i].width
	}
	var out []column
	for i, c := range cols {
		if keep[i] {
			out = append(out, c)
		}
	}
	left := width - used
	for i := range out {
		if out[i].flex && left > 0 {
			grow := min(left, max(0, out[i].want-out[i].width))
			out[i].width += grow
			left -= grow
		}
	}
	return out
}

// sortKey is a way of ordering the pods table; s cycles through them.
type sortKey struct {
	name string
	// column is the title of the column that shows the key, marked in the table's header.
	column string
	// desc sorts largest first by default: what is fullest is what one looks for.
	desc bool
	cmp  func(a, b fleet.Pod) int
}

func sampleVal(p fleet.Pod, get func(*fleet.Sample) *float64) float64 {
	if p.Sample == nil || get(p.Sample) == nil {
		return -1
	}
	return *get(p.Sample)
}

func byValue(get func(fleet.Pod) float64) func(a, b fleet.Pod) int {
	return func(a, b fleet.Pod) int { return cmp.Compare(get(a), get(b)) }
}

var sortKeys = []sortKey{
	{name: "name", column: "POD", cmp: func(a, b fleet.Pod) int { return strings.Compare(a.Name, b.Name) }},
	{name: "KV cache", column: "KV%", desc: true, cmp: byValue(func(p fleet.Pod) float64 {
		return sampleVal(p, func(s *fleet.Sample) *float64 { return s.KVCache })
	})},
	{name: "waiting", column: "WAIT", desc: true, cmp: byValue(func(p fleet.Pod) float64 {
		return sampleVal(p, func(s *fleet.Sample) *float64 { return s.Waiting })
	})},
	{name: "running", column: "RUN", desc: true, cmp: byValue(func(p fleet.Pod) float64 {
		return sampleVal(p, func(s *fleet.Sample) *float64 { return s.Running })
	})},
	{name: "requests/s", column: "REQ/S", desc: true, cmp: byValue(func(p fleet.Pod) float64 {
		if p.Rates.Requests == nil {
			return -1
		}
		return *p.Rates.Requests
	})},
	{name: "age", column: "AGE", desc: true, cmp: byValue(func(p fleet.Pod) float64 { return float64(p.Age) })},
	{name: "ready", column: "RDY", cmp: func(a, b fleet.Pod) int {
		return cmp.Compare(boolInt(a.Ready), boolInt(b.Ready))
	}},
	{name: "node", column: "NODE", cmp: func(a, b fleet.Pod) int { return strings.Compare(a.Node, b.Node) }},
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortPods orders pods by key (reversed when reverse), ties by name so rows never swap places
// between two refreshes with equal values.
func sortPods(pods []fleet.Pod, key sortKey, reverse bool) {
	desc := key.desc != reverse
	slices.SortStableFunc(pods, func(a, b fleet.Pod) int {
		c := key.cmp(a, b)
		if desc {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.Name, b.Name)
		}
		return c
	})
}
