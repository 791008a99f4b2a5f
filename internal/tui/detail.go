package tui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/igw-dev/igw/internal/fleet"
)

// detailBody is one pod's screen: everything its newest sample says, its trends, and what
// the picker says about it. j/k move to the neighbouring pod of the table.
func (m Model) detailBody(height int) []string {
	var pod *fleet.Pod
	for _, p := range m.rows() {
		if p.Name == m.selected {
			pod = &p
			break
		}
	}
	pool := m.currentPool()
	if pod == nil {
		return []string{"", "  pod " + m.selected + " is gone from pool " + poolKey(*pool) + m.st.faint.Render("  (esc: back)")}
	}
	label := func(s string) string { return m.st.faint.Render(fmt.Sprintf("%-13s", s)) }
	lines := []string{
		m.st.header.Render(pod.Name) + fmt.Sprintf("  pool %s", poolKey(*pool)) + m.st.faint.Render("  (esc: back, j/k: next pod)"),
		label("node") + fmt.Sprintf("%s  ip %s  ready %s  engine %s", orNone(pod.Node), orNone(pod.IP), yesNo(pod.Ready), engine(pod)),
		label("scrape") + m.scrape(pod),
	}
	s := pod.Sample
	if s == nil {
		return append(lines, "", m.st.warn.Render("  no good scrape yet"))
	}
	kv := none
	if s.KVCache != nil {
		kv = m.st.kv(*s.KVCache).Render(fmt.Sprintf("%-5s%s", pct(s.KVCache), bar(*s.KVCache, 20))) + "  " + m.st.faint.Render(s.KVCacheMetric)
	}
	lines = append(lines,
		label("KV cache")+kv,
		label("requests")+fmt.Sprintf("waiting %s  running %s", num(s.Waiting), num(s.Running)),
		label("LoRA")+lora(s.LoRA),
	)
	lines = append(lines, rates(pod.Rates, m.w, label)...)
	if pool.Picker != nil && pool.Picker.PerEndpointQueue != nil {
		q, ok := pool.Picker.PerEndpointQueue[pod.Name]
		if !ok {
			q, ok = pool.Picker.PerEndpointQueue[pod.IP]
		}
		if ok {
			lines = append(lines, label("picker")+fmt.Sprintf("queue %s for this pod", num(&q)))
		} else {
			lines = append(lines, label("picker")+m.st.warn.Render("does not list this pod"))
		}
	}
	lines = append(lines,
		label("KV trend")+m.trend(pod.History.KVCache, true),
		label("queue trend")+m.trend(pod.History.Waiting, false),
		label("cache config")+keyValues(s.CacheConfig),
	)
	missing := none
	if len(s.Missing) > 0 {
		missing = m.st.warn.Render(strings.Join(s.Missing, ", "))
	}
	lines = append(lines, label("missing")+missing, label("counters"))
	for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
		v := s.Counters[k]
		lines = append(lines, label("")+fmt.Sprintf("%-40s %s", k, num(&v)))
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	return lines
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

func engine(p *fleet.Pod) string {
	if p.Engine == "" {
		return "unknown"
	}
	if p.EngineFrom == "" {
		return p.Engine
	}
	return p.Engine + " (from " + p.EngineFrom + ")"
}

// scrape says how fresh the pod's numbers are and why they are not fresher.
func (m Model) scrape(p *fleet.Pod) string {
	s := "sample " + age(time.Duration(p.Age)) + " old"
	if p.Sample == nil {
		s = "no sample"
	}
	if p.Missed > 0 {
		s += fmt.Sprintf(", %d missed", p.Missed)
	}
	if p.Stale {
		s = m.st.bad.Render(s + ", stale")
	}
	if p.Error != "" {
		s += "  " + m.st.bad.Render(p.Error)
	}
	return s
}

func lora(l *fleet.LoRA) string {
	if l == nil {
		return "none reported"
	}
	return fmt.Sprintf("running %s  waiting %s  max %d", list(l.Running), list(l.Waiting), l.Max)
}

// rates are the pod's counters per second, flowed onto the lines the width needs.
func rates(r fleet.Rates, width int, label func(string) string) []string {
	hit := none
	if r.PrefixCacheHitRate != nil {
		hit = pct(r.PrefixCacheHitRate)
	}
	return flow([]string{
		label("rates") + num(r.Requests) + " req/s", "prompt " + num(r.PromptTokens) + " tok/s",
		"generation " + num(r.GenerationTokens) + " tok/s", "prefix-cache hits " + hit, "preemptions " + num(r.Preemptions) + "/s",
	}, width, 13)
}

// trend is a history's sparkline as wide as the screen allows, and its spread.
func (m Model) trend(vals []float64, fraction bool) string {
	sp := spread(vals, fraction)
	w := min(len(vals), max(10, m.w-13-2-len(sp)))
	if fraction {
		return m.st.kv(last(vals)).Render(sparkline(vals, w, 0, 1, 1)) + "  " + sp
	}
	return sparkline(vals, w, 0, maxOf(vals), 4) + "  " + sp
}

func keyValues(kv map[string]string) string {
	if len(kv) == 0 {
		return none
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		parts = append(parts, k+"="+kv[k])
	}
	return strings.Join(parts, " ")
}

func last(vals []float64) float64 {
	if len(vals) == 0 {
		return 0
	}
	return vals[len(vals)-1]
}

// spread is a trend's low, high and newest value.
func spread(vals []float64, fraction bool) string {
	if len(vals) == 0 {
		return none
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	f := func(v float64) string {
		if fraction {
			return pct(&v)
		}
		return num(&v)
	}
	return fmt.Sprintf("min %s max %s now %s (%d samples)", f(lo), f(hi), f(last(vals)), len(vals))
}
