package fleet

import (
	"github.com/igw-dev/igw/internal/modelserver"
)

// ratesBetween derives per-second rates from two good samples of one pod read with counters c.
// A counter absent from either sample, or lower in the newer one (the server restarted), gives
// no rate rather than a negative or a wrong one.
func ratesBetween(prev, cur *Sample, c modelserver.Counters) Rates {
	var r Rates
	if prev == nil || cur == nil {
		return r
	}
	dt := cur.Time.Sub(prev.Time).Seconds()
	if dt <= 0 {
		return r
	}
	delta := func(m modelserver.Metric) (float64, bool) {
		if m.Name == "" {
			return 0, false
		}
		a, okA := prev.Counters[m.String()]
		b, okB := cur.Counters[m.String()]
		if !okA || !okB || b < a {
			return 0, false
		}
		return b - a, true
	}
	perSecond := func(m modelserver.Metric) *float64 {
		if d, ok := delta(m); ok {
			v := d / dt
			return &v
		}
		return nil
	}
	r.PromptTokens = perSecond(c.PromptTokens)
	r.GenerationTokens = perSecond(c.GenerationTokens)
	r.Requests = perSecond(c.Requests)
	r.Preemptions = perSecond(c.Preemptions)
	hits, okH := delta(c.PrefixHits)
	queries, okQ := delta(c.PrefixQueries)
	// No queries in the interval means no hit rate to speak of, not 0%.
	if okH && okQ && queries > 0 && hits <= queries {
		v := hits / queries
		r.PrefixCacheHitRate = &v
	}
	return r
}

// add sums rates where both are known; an unknown side leaves the total as it was.
func (r *Rates) add(o Rates) {
	for _, f := range []struct{ dst, src **float64 }{
		{&r.PromptTokens, &o.PromptTokens}, {&r.GenerationTokens, &o.GenerationTokens},
		{&r.Requests, &o.Requests}, {&r.Preemptions, &o.Preemptions},
	} {
		if *f.src == nil {
			continue
		}
		v := **f.src
		if *f.dst != nil {
			v += **f.dst
		}
		*f.dst = &v
	}
}
