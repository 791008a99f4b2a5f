package fleet

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/igw-dev/igw/internal/modelserver"
)

// pickerMetrics are one generation of the endpoint picker's pool metrics: llm-d-router's names,
// then the inference extension's older ones, which newer pickers still write as aliases.
type pickerMetrics struct {
	generation                 string
	avgKV, avgQueue, ready     string
	perEndpoint, endpointLabel string
}

var pickerGenerations = []pickerMetrics{
	{"llm_d_epp", "llm_d_epp_average_kv_cache_utilization", "llm_d_epp_average_queue_size", "llm_d_epp_ready_endpoints",
		"llm_d_epp_per_endpoint_queue_size", "model_server_endpoint"},
	{"inference_pool", "inference_pool_average_kv_cache_utilization", "inference_pool_average_queue_size", "inference_pool_ready_pods",
		"inference_pool_per_pod_queue_size", "model_server_pod"},
}

func pickerNames() map[string]bool {
	out := map[string]bool{}
	for _, g := range pickerGenerations {
		for _, n := range []string{g.avgKV, g.avgQueue, g.ready, g.perEndpoint} {
			out[n] = true
		}
	}
	return out
}

// readPicker reads the pool's numbers from a picker's page, in the newest generation of names
// it writes; series are labelled name=POOL, and a picker that labels none is taken as serving
// just this pool. ok is false when the page has neither generation.
func readPicker(f modelserver.Families, pool string) (p Picker, ok bool) {
	for _, g := range pickerGenerations {
		one := func(name string) *float64 {
			for _, m := range []modelserver.Metric{{Name: name, Labels: map[string]string{"name": pool}}, {Name: name}} {
				if v, found := f.Series(m); found && len(v) > 0 {
					return &v[0]
				}
			}
			return nil
		}
		p = Picker{Metrics: g.generation, AvgKVCache: one(g.avgKV), AvgQueue: one(g.avgQueue), ReadyEndpoints: one(g.ready)}
		if fam := f[g.perEndpoint]; fam != nil {
			p.PerEndpointQueue = map[string]float64{}
			for _, s := range fam.GetMetric() {
				var endpoint, name string
				for _, l := range s.GetLabel() {
					switch l.GetName() {
					case g.endpointLabel:
						endpoint = l.GetValue()
					case "name":
						name = l.GetValue()
					}
				}
				if endpoint != "" && (name == "" || name == pool) {
					p.PerEndpointQueue[endpoint] += s.GetGauge().GetValue() + s.GetUntyped().GetValue()
				}
			}
		}
		if p.AvgKVCache != nil || p.AvgQueue != nil || p.ReadyEndpoints != nil || p.PerEndpointQueue != nil {
			return p, true
		}
	}
	return Picker{}, false
}

// pickerReader reads each pool's picker through the API server's services/proxy and keeps the
// last good reading, so a picker that stops answering shows its error beside its last numbers.
type pickerReader struct {
	proxy   *ProxyGetter
	port    int32
	timeout time.Duration
	names   map[string]bool
	last    map[string]Picker
	at      map[string]time.Time
}

func newPickerReader(proxy *ProxyGetter, o Options) *pickerReader {
	return &pickerReader{proxy: proxy, port: o.PickerMetricsPort, timeout: o.Timeout, names: pickerNames(),
		last: map[string]Picker{}, at: map[string]time.Time{}}
}

// read reads the picker of one pool; safe to call for different pools at once only through
// readAll, which owns the maps.
func (r *pickerReader) read(ctx context.Context, v poolView) (Picker, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var buf, kept bytes.Buffer
	if err := r.proxy.getService(ctx, v.Namespace, v.Picker, r.port, "/metrics", &buf); err != nil {
		if ctx.Err() != nil {
			return Picker{}, fmt.Errorf("no answer within %s", r.timeout)
		}
		return Picker{}, err
	}
	f, err := modelserver.ParseNames(buf.Bytes(), r.names, &kept)
	if err != nil {
		return Picker{}, err
	}
	p, ok := readPicker(f, v.Name)
	if !ok {
		return Picker{}, fmt.Errorf("no pool metrics on the page (neither llm_d_epp_* nor inference_pool_*)")
	}
	return p, nil
}

// readAll reads the pickers of the pools that name one, in parallel, and returns them by pool.
func (r *pickerReader) readAll(ctx context.Context, pools []poolView) map[string]*Picker {
	type result struct {
		key string
		p   Picker
		err error
	}
	ch := make(chan result)
	n := 0
	for _, v := range pools {
		if v.Picker == "" {
			continue
		}
		n++
		go func() {
			p, err := r.read(ctx, v)
			ch <- result{v.Namespace + "/" + v.Name + "/" + v.Group, p, err}
		}()
	}
	out := map[string]*Picker{}
	targets := map[string]string{}
	for _, v := range pools {
		targets[v.Namespace+"/"+v.Name+"/"+v.Group] = fmt.Sprintf("service %s/%s:%d", v.Namespace, v.Picker, r.port)
	}
	now := time.Now()
	for range n {
		res := <-ch
		p := res.p
		if res.err != nil {
			p = r.last[res.key]
			p.Error = res.err.Error()
		} else {
			r.last[res.key], r.at[res.key] = p, now
		}
		if at, ok := r.at[res.key]; ok {
			p.Age = Duration(now.Sub(at))
		}
		p.Target = targets[res.key]
		out[res.key] = &p
	}
	for k := range r.last {
		if _, ok := targets[k]; !ok {
			delete(r.last, k)
			delete(r.at, k)
		}
	}
	return out
}
