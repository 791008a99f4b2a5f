package fleet

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// live is the Source that watches a cluster and scrapes its pods itself.
type live struct {
	*control
	opts    Options
	scope   string
	watch   *watcher
	scraper *Scraper
	picker  *pickerReader
}

// NewLive checks that the cluster answers and serves InferencePools, and returns a Source that
// watches the pools in scope (v1 and legacy alpha) and their pods, and scrapes each pod as
// o.Reach says. Nothing is watched or scraped before Run.
func NewLive(cfg *rest.Config, o Options) (Source, error) {
	o = o.withDefaults()
	if !o.AllNamespaces && o.Namespace == "" {
		o.Namespace = "default"
	}
	// Informers and a GET per pod per interval: client-go's default 5 requests a second would
	// make a refresh of a large pool take minutes.
	cfg, kube, dyn, served, err := connect(cfg, 200)
	if err != nil {
		return nil, err
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = ""
	}
	if o.Pool != "" {
		if err := checkPool(dyn, served, ns, o.Pool); err != nil {
			return nil, err
		}
	}
	proxy, err := NewProxyGetter(cfg)
	if err != nil {
		return nil, err
	}
	var get Getter
	switch o.Reach {
	case PodProxy:
		get = proxy
	case Direct:
		get = NewDirectGetter()
	case PortForward:
		if get, err = NewPortForwardGetter(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown reach %q: one of %s, %s, %s", o.Reach, PodProxy, Direct, PortForward)
	}
	s, err := NewScraper(get, o)
	if err != nil {
		return nil, err
	}
	l := &live{control: newControl(o.Interval), opts: o, scope: scopeOf(o), watch: newWatcher(kube, dyn, served, ns, o.Pool), scraper: s}
	if !o.NoPicker {
		l.picker = newPickerReader(proxy, o)
	}
	return l, nil
}

func scopeOf(o Options) string {
	switch {
	case o.Pool != "" && o.AllNamespaces:
		return "pool " + o.Pool + " in all namespaces"
	case o.Pool != "":
		return "pool " + o.Namespace + "/" + o.Pool
	case o.AllNamespaces:
		return "all namespaces"
	}
	return "namespace " + o.Namespace
}

// servedPools are the pool resources the cluster serves; an error means it did not answer.
// connect makes the clients both sources read pools and pods with, at qps requests a second,
// and refuses a cluster that cannot be reached or serves no InferencePool API.
func connect(cfg *rest.Config, qps float32) (*rest.Config, kubernetes.Interface, dynamic.Interface, []schema.GroupVersionResource, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = qps, 2*int(qps)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	served, err := servedPools(kube)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("cannot reach the cluster at %s: %w", cfg.Host, err)
	}
	if len(served) == 0 {
		return nil, nil, nil, nil, fmt.Errorf("the cluster at %s does not serve InferencePools (neither %s nor the alpha %s): install the CRDs with `igwctl install crds`",
			cfg.Host, gvrPoolV1.GroupVersion(), gvrPoolAlpha.GroupVersion())
	}
	return cfg, kube, dyn, served, nil
}

func servedPools(kube kubernetes.Interface) ([]schema.GroupVersionResource, error) {
	var out []schema.GroupVersionResource
	for _, gvr := range []schema.GroupVersionResource{gvrPoolV1, gvrPoolAlpha} {
		list, err := kube.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == gvr.Resource }) {
			out = append(out, gvr)
		}
	}
	return out, nil
}

// Run implements Source. A Source runs once.
func (l *live) Run(ctx context.Context) <-chan Snapshot {
	return l.runWatched(ctx, l.watch, l.refresh)
}

func (l *live) refresh(ctx context.Context) Snapshot {
	pools := l.watch.poolViews()
	var targets []Target
	seen := map[string]bool{}
	perPool := make([][]string, len(pools))
	for i, v := range pools {
		for _, p := range l.watch.podsOf(v) {
			t := targetOf(p, v, l.opts)
			k := t.key()
			perPool[i] = append(perPool[i], k)
			if !seen[k] {
				seen[k] = true
				targets = append(targets, t)
			}
		}
	}
	var pickers map[string]*Picker
	var wg sync.WaitGroup
	if l.picker != nil {
		wg.Go(func() { pickers = l.picker.readAll(ctx, pools) })
	}
	rows := l.scraper.Refresh(ctx, targets)
	wg.Wait()
	byKey := make(map[string]Pod, len(rows))
	for i := range targets {
		byKey[targets[i].key()] = rows[i]
	}
	snap := Snapshot{Time: time.Now(), Scope: l.scope, Source: string(l.opts.Reach), Pools: []Pool{}, Errors: l.watch.errors()}
	for i, v := range pools {
		p := Pool{Namespace: v.Namespace, Name: v.Name, Group: v.Group, TargetPorts: v.TargetPorts, Selector: selectorString(v.Selector),
			Parents: v.Parents, Picker: pickers[v.Namespace+"/"+v.Name+"/"+v.Group], Pods: []Pod{}}
		for _, k := range perPool[i] {
			p.Pods = append(p.Pods, byKey[k])
		}
		p.Totals = totalsOf(p.Pods)
		snap.Pools = append(snap.Pools, p)
	}
	return snap
}

func selectorString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ","
		}
		s += k + "=" + m[k]
	}
	return s
}

// totalsOf sums a pool's pods as they report themselves; only pods whose latest scrape
// succeeded count, so a dead pod's old numbers do not prop the pool up.
func totalsOf(pods []Pod) Totals {
	t := Totals{Pods: len(pods)}
	kv, nkv := 0.0, 0
	for _, p := range pods {
		if p.Ready {
			t.Ready++
		}
		if p.Sample == nil || p.Missed > 0 {
			continue
		}
		t.Reporting++
		if s := p.Sample; s.KVCache != nil {
			kv, nkv = kv+*s.KVCache, nkv+1
		}
		if s := p.Sample; s.Waiting != nil {
			t.Waiting += *s.Waiting
		}
		if s := p.Sample; s.Running != nil {
			t.Running += *s.Running
		}
		t.Rates.add(p.Rates)
	}
	if nkv > 0 {
		avg := kv / float64(nkv)
		t.AvgKVCache = &avg
	}
	return t
}
