package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/igw-dev/igw/internal/modelserver"
)

// Target is one pod to scrape and what the cluster says about it.
type Target struct {
	Namespace, Name, Node, IP string
	Ready                     bool
	Port                      int32
	Path                      string
	// Engine is the pod's metrics dialect when a flag or label names it ("" detects it from the
	// metric names); EngineFrom says which ("flag", "label").
	Engine     modelserver.Engine
	EngineFrom string
}

func (t *Target) key() string { return t.Namespace + "/" + t.Name + ":" + strconv.Itoa(int(t.Port)) }

// Getter fetches one pod's metrics page into buf, within ctx. Its errors say in a person's
// words what went wrong (no answer, refused, RBAC, not found), since they reach the screen.
type Getter interface {
	Get(ctx context.Context, t *Target, buf *bytes.Buffer) error
}

// Scraper scrapes pods and keeps, per pod, the newest good sample, the one before it for rates,
// trend rings and how many scrapes failed in a row. Refresh must not run concurrently with
// itself.
type Scraper struct {
	get       Getter
	opts      Options
	protocols map[modelserver.Engine]modelserver.Protocol
	names     map[string]bool
	pods      map[string]*podState
	bufs      sync.Pool
}

type podState struct {
	sample, prev *Sample
	counters     modelserver.Counters
	rates        Rates
	kv, waiting  *ring
	missed       int
	err          string
	engine       modelserver.Engine
	engineFrom   string
}

// scratch is one scrape's reusable memory: the page and the lines kept of it.
type scratch struct{ page, kept bytes.Buffer }

// NewScraper checks o's engine and metric overrides and returns a Scraper fetching through g.
func NewScraper(g Getter, o Options) (*Scraper, error) {
	o = o.withDefaults()
	s := &Scraper{get: g, opts: o, protocols: map[modelserver.Engine]modelserver.Protocol{}, pods: map[string]*podState{}}
	s.bufs.New = func() any { return new(scratch) }
	if o.Engine != "" && !slices.Contains(modelserver.Engines(), modelserver.Engine(o.Engine)) {
		return nil, fmt.Errorf("unknown engine %q: one of %v", o.Engine, modelserver.Engines())
	}
	known := []string{modelserver.FlagWaiting, modelserver.FlagRunning, modelserver.FlagKVCache, modelserver.FlagLoRA, modelserver.FlagCacheInfo}
	for name := range o.Metrics {
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("unknown metric flag %q: one of %s", name, strings.Join(known, ", "))
		}
	}
	var all []modelserver.Protocol
	for _, e := range modelserver.Engines() {
		p, err := modelserver.ProtocolOf(e).Override(func(name string) (string, bool) {
			v, ok := o.Metrics[name]
			return v, ok
		})
		if err != nil {
			return nil, err
		}
		s.protocols[e] = p
		all = append(all, p, modelserver.ProtocolOf(e))
	}
	s.names = modelserver.Names(all...)
	return s, nil
}

// Refresh scrapes every target, Concurrency at a time, each within Timeout, and returns their
// rows in the targets' order. A pod that fails keeps its last good sample; pods no longer among
// the targets are forgotten. Each target must be a different pod or port.
func (s *Scraper) Refresh(ctx context.Context, targets []Target) []Pod {
	states := make([]*podState, len(targets))
	keep := make(map[string]bool, len(targets))
	for i := range targets {
		k := targets[i].key()
		keep[k] = true
		st := s.pods[k]
		if st == nil {
			st = &podState{kv: newRing(s.opts.History), waiting: newRing(s.opts.History)}
			s.pods[k] = st
		}
		states[i] = st
	}
	for k := range s.pods {
		if !keep[k] {
			delete(s.pods, k)
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(s.opts.Concurrency, len(targets)) {
		wg.Go(func() {
			for i := range work {
				s.scrape(ctx, &targets[i], states[i])
			}
		})
	}
	for i := range targets {
		work <- i
	}
	close(work)
	wg.Wait()
	now := time.Now()
	pods := make([]Pod, len(targets))
	for i := range targets {
		pods[i] = states[i].pod(&targets[i], now)
	}
	return pods
}

func (s *Scraper) scrape(ctx context.Context, t *Target, st *podState) {
	if t.IP == "" {
		st.fail("pod has no IP yet")
		return
	}
	sc := s.bufs.Get().(*scratch)
	defer s.bufs.Put(sc)
	sc.page.Reset()
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	err := s.get.Get(ctx, t, &sc.page)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", s.opts.Timeout)
		}
		st.fail(err.Error())
		return
	}
	fams, err := modelserver.ParseNames(sc.page.Bytes(), s.names, &sc.kept)
	if err != nil {
		st.fail(err.Error())
		return
	}
	engine, from := t.Engine, t.EngineFrom
	if engine == "" && st.engineFrom == "metrics" {
		// A pod keeps its engine; detecting it again on every scrape costs more than the read.
		engine, from = st.engine, st.engineFrom
	}
	p := s.protocols[engine]
	r := modelserver.Read(fams, p)
	if engine == "" || from == "metrics" && len(r.Missing) == 3 || from == "default" {
		engine, from = modelserver.VLLM, "default"
		if e, ok := modelserver.Detect(fams); ok {
			engine, from = e, "metrics"
		}
		p = s.protocols[engine]
		r = modelserver.Read(fams, p)
	}
	smp := &Sample{Time: time.Now(), KVCache: r.KVCache, KVCacheMetric: r.KVCacheMetric, Waiting: r.Waiting, Running: r.Running,
		CacheConfig: r.CacheConfig, Counters: r.Counters, Missing: r.Missing}
	if r.LoRA != nil {
		smp.LoRA = &LoRA{Running: r.LoRA.Running, Waiting: r.LoRA.Waiting, Max: r.LoRA.Max}
	}
	st.ok(smp, p.Counters, engine, from)
}

func (st *podState) fail(msg string) {
	st.err = msg
	st.missed++
}

func (st *podState) ok(smp *Sample, c modelserver.Counters, engine modelserver.Engine, from string) {
	if engine != st.engine {
		// Another dialect's counters are not comparable with the last sample's.
		st.sample = nil
	}
	st.prev, st.sample = st.sample, smp
	st.rates = ratesBetween(st.prev, st.sample, c)
	st.counters, st.engine, st.engineFrom = c, engine, from
	st.err, st.missed = "", 0
	if smp.KVCache != nil {
		st.kv.push(*smp.KVCache)
	}
	if smp.Waiting != nil {
		st.waiting.push(*smp.Waiting)
	}
}

func (st *podState) pod(t *Target, now time.Time) Pod {
	p := Pod{Name: t.Name, Node: t.Node, IP: t.IP, Ready: t.Ready, Engine: string(st.engine), EngineFrom: st.engineFrom,
		Sample: st.sample, Rates: st.rates, Error: st.err, Missed: st.missed, Stale: st.missed >= 2,
		History: History{KVCache: st.kv.values(), Waiting: st.waiting.values()}}
	if p.Engine == "" && t.Engine != "" {
		p.Engine, p.EngineFrom = string(t.Engine), t.EngineFrom
	}
	if st.sample != nil {
		p.Age = Duration(now.Sub(st.sample.Time))
	}
	return p
}
