package fleet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/igw-dev/igw/internal/modelserver"
)

// The labels a Prometheus that scrapes pods through Kubernetes service discovery gives them
// (kube-prometheus's PodMonitors, the usual relabelling), which the Prometheus source joins the
// cluster's pods on.
const (
	labelNamespace = "namespace"
	labelPod       = "pod"
	// labelKey tags each part of a combined query with the metric it answers for.
	labelKey = "igw_metric"
)

// podKey is a series' pod.
type podKey struct{ namespace, pod string }

// tagged holds the answers of a combined query: by metric key, then by pod.
type tagged map[string]map[podKey]float64

// selector writes m as a PromQL selector, restricted to ns when not "".
func selector(m modelserver.Metric, ns string) string {
	var parts []string
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, m.Labels[k]))
	}
	if ns != "" {
		parts = append(parts, fmt.Sprintf("%s=%q", labelNamespace, ns))
	}
	return fmt.Sprintf("{__name__=%q%s}", m.Name, prefixComma(strings.Join(parts, ",")))
}

func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return "," + s
}

// combine asks for several metrics in one query: each part is expr(selector), aggregated by pod
// and tagged with its key, joined with or. One query per kind of answer keeps a refresh to a
// handful of requests however many engines and metrics there are.
func combine(ms map[string]modelserver.Metric, ns string, expr func(sel string) string) string {
	keys := make([]string, 0, len(ms))
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("label_replace(%s, %q, %q, \"\", \"\")", expr(selector(ms[k], ns)), labelKey, k))
	}
	return strings.Join(parts, " or ")
}

func byPod(agg, inner string) string {
	return fmt.Sprintf("%s by (%s, %s) (%s)", agg, labelNamespace, labelPod, inner)
}

// instant runs q at t and files the answers by key and pod.
func instant(ctx context.Context, api promv1.API, q string, t time.Time) (tagged, error) {
	out := tagged{}
	if q == "" {
		return out, nil
	}
	v, _, _, err := api.Query(ctx, q, t)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", shorten(q), err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: a %s, not a vector", shorten(q), v.Type())
	}
	for _, s := range vec {
		k := string(s.Metric[labelKey])
		if out[k] == nil {
			out[k] = map[podKey]float64{}
		}
		out[k][podKey{string(s.Metric[labelNamespace]), string(s.Metric[labelPod])}] = float64(s.Value)
	}
	return out, nil
}

// series runs q at t and returns its raw series (for info metrics, whose labels are the answer).
func series(ctx context.Context, api promv1.API, q string, t time.Time) (model.Vector, error) {
	v, _, _, err := api.Query(ctx, q, t)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", shorten(q), err)
	}
	vec, _ := v.(model.Vector)
	return vec, nil
}

// trends runs q over [end-(n-1)*step, end] and files the values, oldest first, by key and pod.
func trends(ctx context.Context, api promv1.API, q string, end time.Time, step time.Duration, n int) (map[string]map[podKey][]float64, error) {
	out := map[string]map[podKey][]float64{}
	if q == "" {
		return out, nil
	}
	v, _, _, err := api.QueryRange(ctx, q, promv1.Range{Start: end.Add(-time.Duration(n-1) * step), End: end, Step: step})
	if err != nil {
		return nil, fmt.Errorf("range query %s: %w", shorten(q), err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query %s: a %s, not a matrix", shorten(q), v.Type())
	}
	for _, s := range m {
		k := string(s.Metric[labelKey])
		if out[k] == nil {
			out[k] = map[podKey][]float64{}
		}
		vals := make([]float64, 0, len(s.Values))
		for _, p := range s.Values {
			vals = append(vals, float64(p.Value))
		}
		out[k][podKey{string(s.Metric[labelNamespace]), string(s.Metric[labelPod])}] = vals[max(0, len(vals)-n):]
	}
	return out, nil
}

func shorten(q string) string {
	if len(q) > 120 {
		return q[:120] + "..."
	}
	return q
}
