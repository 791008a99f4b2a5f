package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/modelserver"
)

// promSource reads the numbers a live Source scrapes from a Prometheus that already scrapes the
// pods. Pools and pods still come from the cluster (pools are not in Prometheus, and a pod
// Prometheus lost must still show as a row); series are joined to pods on their namespace and
// pod labels. Trends come from range queries, so they are full from the first frame.
type promSource struct {
	*control
	api       promv1.API
	url       string
	opts      Options
	watch     *watcher
	protocols map[modelserver.Engine]modelserver.Protocol
}

// NewPrometheus checks that Prometheus at url answers and that the cluster at cfg serves
// InferencePools, and returns a Source reading each pod's numbers from Prometheus with instant
// queries (rates with rate() over Options.RateWindow) and its trends with range queries.
func NewPrometheus(url string, cfg *rest.Config, o Options) (Source, error) {
	o = o.withDefaults()
	if cfg == nil {
		return nil, errors.New("the Prometheus source needs the cluster too: pools and their pods come from it")
	}
	if !o.AllNamespaces && o.Namespace == "" {
		o.Namespace = "default"
	}
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	papi := promv1.NewAPI(c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, _, err := papi.Query(ctx, "1", time.Now()); err != nil {
		return nil, fmt.Errorf("cannot query Prometheus at %s: %w", url, err)
	}
	_, kube, dyn, served, err := connect(cfg, 50)
	if err != nil {
		return nil, err
	}
	s, err := NewScraper(nil, o)
	if err != nil {
		return nil, err
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	return &promSource{control: newControl(o.Interval), api: papi, url: url, opts: o, watch: newWatcher(kube, dyn, served, ns, o.Pool),
		protocols: s.protocols}, nil
}

// Run implements Source. A Source runs once.
func (p *promSource) Run(ctx context.Context) <-chan Snapshot {
	return p.runWatched(ctx, p.watch, p.refresh)
}

// promAnswers are one refresh's query results.
type promAnswers struct {
	sums, maxes, times, counters, rates, up tagged
	history                                 map[string]map[podKey][]float64
	lora, cache                             model.Vector
	pickers                                 tagged
	perEndpoint                             model.Vector
}

func (p *promSource) refresh(ctx context.Context) Snapshot {
	pools := p.watch.poolViews()
	snap := Snapshot{Time: time.Now(), Scope: scopeOf(p.opts) + " from " + p.url, Source: "prometheus", Pools: []Pool{}, Errors: p.watch.errors()}
	ns := p.opts.Namespace
	if p.opts.AllNamespaces {
		ns = ""
	}
	a, errs := p.query(ctx, ns, snap.Time)
	snap.Errors = append(snap.Errors, errs...)
	for _, v := range pools {
		pool := Pool{Namespace: v.Namespace, Name: v.Name, Group: v.Group, TargetPorts: v.TargetPorts, Selector: selectorString(v.Selector),
			Parents: v.Parents, Pods: []Pod{}}
		for _, pod := range p.watch.podsOf(v) {
			t := targetOf(pod, v, p.opts)
			pool.Pods = append(pool.Pods, p.podOf(&t, a, snap.Time))
		}
		pool.Totals = totalsOf(pool.Pods)
		if !p.opts.NoPicker && v.Picker != "" {
			pool.Picker = pickerFromProm(a, v)
		}
		snap.Pools = append(snap.Pools, pool)
	}
	return snap
}

// query asks everything one refresh needs, the queries in parallel.
func (p *promSource) query(ctx context.Context, ns string, now time.Time) (*promAnswers, []string) {
	sums, maxes, counters, loras, infos := map[string]modelserver.Metric{}, map[string]modelserver.Metric{}, map[string]modelserver.Metric{},
		map[string]modelserver.Metric{}, map[string]modelserver.Metric{}
	for _, pr := range p.protocols {
		sums[pr.Waiting.String()], sums[pr.Running.String()] = pr.Waiting, pr.Running
		for _, m := range append([]modelserver.Metric{pr.KVCache}, pr.OldKVCache...) {
			maxes[m.String()] = m
		}
		for _, m := range pr.Counters.All() {
			counters[m.String()] = m
		}
		if pr.LoRA != nil {
			loras[pr.LoRA.String()] = *pr.LoRA
		}
		if pr.CacheInfo != nil {
			infos[pr.CacheInfo.String()] = *pr.CacheInfo
		}
	}
	window := model.Duration(p.opts.RateWindow).String()
	gauges := map[string]modelserver.Metric{}
	for k, m := range sums {
		gauges[k] = m
	}
	for k, m := range maxes {
		gauges[k] = m
	}
	a := &promAnswers{}
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	do := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, "prometheus: "+err.Error())
				mu.Unlock()
			}
		})
	}
	inst := func(dst *tagged, q string) {
		do(func() (err error) { *dst, err = instant(ctx, p.api, q, now); return })
	}
	inst(&a.sums, combine(sums, ns, func(s string) string { return byPod("sum", s) }))
	inst(&a.maxes, combine(maxes, ns, func(s string) string { return byPod("max", s) }))
	inst(&a.times, combine(gauges, ns, func(s string) string { return byPod("max", "timestamp("+s+")") }))
	inst(&a.counters, combine(counters, ns, func(s string) string { return byPod("sum", s) }))
	inst(&a.rates, combine(counters, ns, func(s string) string { return byPod("sum", "rate("+s+"["+window+"])") }))
	inst(&a.up, combine(map[string]modelserver.Metric{"up": {Name: "up"}}, ns, func(s string) string { return byPod("min", s) }))
	do(func() (err error) {
		a.history, err = trends(ctx, p.api, combine(maxes, ns, func(s string) string { return byPod("max", s) })+" or "+
			combine(sums, ns, func(s string) string { return byPod("sum", s) }), now, p.opts.Interval, p.opts.History)
		return
	})
	raw := func(dst *model.Vector, ms map[string]modelserver.Metric) {
		if len(ms) == 0 {
			return
		}
		var sels []string
		for _, m := range ms {
			sels = append(sels, selector(m, ns))
		}
		sort.Strings(sels)
		do(func() (err error) { *dst, err = series(ctx, p.api, strings.Join(sels, " or "), now); return })
	}
	raw(&a.lora, loras)
	raw(&a.cache, infos)
	if !p.opts.NoPicker {
		pm := map[string]modelserver.Metric{}
		var per []modelserver.Metric
		for _, g := range pickerGenerations {
			for _, n := range []string{g.avgKV, g.avgQueue, g.ready} {
				pm[n] = modelserver.Metric{Name: n}
			}
			per = append(per, modelserver.Metric{Name: g.perEndpoint})
		}
		// Filed under the pool's name as if it were a pod's.
		inst(&a.pickers, combine(pm, ns, func(s string) string {
			return fmt.Sprintf("label_replace(max by (%s, name) (%s), %q, \"$1\", \"name\", \"(.*)\")", labelNamespace, s, labelPod)
		}))
		raw(&a.perEndpoint, map[string]modelserver.Metric{per[0].Name: per[0], per[1].Name: per[1]})
	}
	wg.Wait()
	sort.Strings(errs)
	return a, errs
}
