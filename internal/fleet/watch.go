package fleet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	apiv1 "github.com/igw-dev/igw/api/v1"
	apix "github.com/igw-dev/igw/api/x/v1alpha2"
	"github.com/igw-dev/igw/internal/modelserver"
)

// The pool kinds igwctl top watches: v1, and the legacy alpha pools guides still create.
var (
	gvrPoolV1    = apiv1.GroupVersion.WithResource("inferencepools")
	gvrPoolAlpha = apix.GroupVersion.WithResource("inferencepools")
)

// poolView is what a refresh needs of an InferencePool of either group.
type poolView struct {
	Namespace, Name, Group string
	TargetPorts            []int32
	Selector               map[string]string
	// Picker is the endpoint picker Service's name ("" when the pool names none).
	Picker  string
	Parents []Parent
}

// watcher follows pools and pods with informers: pods that come and go appear and disappear
// from the next refresh on, without a LIST per refresh.
type watcher struct {
	pools    []cache.SharedIndexInformer
	pods     cache.SharedIndexInformer
	poolName string

	mu   sync.Mutex
	errs map[string]watchError
}

type watchError struct {
	msg string
	at  time.Time
}

func newWatcher(kube kubernetes.Interface, dyn dynamic.Interface, served []schema.GroupVersionResource, ns, pool string) *watcher {
	w := &watcher{poolName: pool, errs: map[string]watchError{}}
	pf := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, ns, nil)
	for _, gvr := range served {
		inf := pf.ForResource(gvr).Informer()
		w.onError(inf, "inferencepools."+gvr.Group, ns)
		w.pools = append(w.pools, inf)
	}
	kf := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	w.pods = kf.Core().V1().Pods().Informer()
	// A pod object is kilobytes of spec a refresh never reads; a large cluster's pods would
	// otherwise be held whole for the whole session.
	_ = w.pods.SetTransform(slimPod)
	w.onError(w.pods, "pods", ns)
	return w
}

func (w *watcher) onError(inf cache.SharedIndexInformer, resource, ns string) {
	_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		msg := fmt.Sprintf("watching %s: %v", resource, err)
		if apierrors.IsForbidden(err) {
			where := "in namespace " + ns
			if ns == "" {
				where = "in all namespaces"
			}
			msg = fmt.Sprintf("RBAC: needs \"list\" and \"watch\" on %q %s (%v)", resource, where, err)
		}
		w.mu.Lock()
		w.errs[resource] = watchError{msg, time.Now()}
		w.mu.Unlock()
	})
}

func (w *watcher) start(ctx context.Context) {
	for _, inf := range append(slices.Clone(w.pools), w.pods) {
		go inf.Run(ctx.Done())
	}
}

// synced waits up to d for the first lists; a forbidden list never syncs, and a screen that
// says why beats one that waits.
func (w *watcher) synced(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var fns []cache.InformerSynced
	for _, inf := range append(slices.Clone(w.pools), w.pods) {
		fns = append(fns, inf.HasSynced)
	}
	return cache.WaitForCacheSync(ctx.Done(), fns...)
}

// errors are the watch failures of the last minute, and the lists not done yet.
func (w *watcher) errors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, e := range w.errs {
		if time.Since(e.at) > time.Minute {
			delete(w.errs, k)
			continue
		}
		out = append(out, e.msg)
	}
	sort.Strings(out)
	return out
}

// poolViews are the watched pools (only Options.Pool's when set), sorted by namespace and name;
// a pool of both groups with one name is listed twice, as the cluster has two.
func (w *watcher) poolViews() []poolView {
	var out []poolView
	for _, inf := range w.pools {
		for _, o := range inf.GetStore().List() {
			u, ok := o.(*unstructured.Unstructured)
			if !ok || w.poolName != "" && u.GetName() != w.poolName {
				continue
			}
			if v, err := toPoolView(u); err == nil {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Namespace+"/"+a.Name+"/"+a.Group < b.Namespace+"/"+b.Name+"/"+b.Group
	})
	return out
}

func toPoolView(u *unstructured.Unstructured) (poolView, error) {
	v := poolView{Namespace: u.GetNamespace(), Name: u.GetName(), Group: u.GroupVersionKind().Group}
	if v.Group == apix.GroupName {
		var p apix.InferencePool
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
			return v, err
		}
		v.TargetPorts = []int32{p.Spec.TargetPortNumber}
		v.Selector = map[string]string{}
		for k, val := range p.Spec.Selector {
			v.Selector[string(k)] = string(val)
		}
		if p.Spec.ExtensionRef != nil {
			v.Picker = string(p.Spec.ExtensionRef.Name)
		}
		for _, ps := range p.Status.Parents {
			ns := v.Namespace
			if ps.GatewayRef.Namespace != nil {
				ns = string(*ps.GatewayRef.Namespace)
			}
			v.Parents = append(v.Parents, parentOf(ns+"/"+string(ps.GatewayRef.Name), ps.Conditions))
		}
		return v, nil
	}
	var p apiv1.InferencePool
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
		return v, err
	}
	for _, tp := range p.Spec.TargetPorts {
		v.TargetPorts = append(v.TargetPorts, int32(tp.Number))
	}
	v.Selector = map[string]string{}
	for k, val := range p.Spec.Selector.MatchLabels {
		v.Selector[string(k)] = string(val)
	}
	if p.Spec.EndpointPickerRef != nil {
		v.Picker = string(p.Spec.EndpointPickerRef.Name)
	}
	for _, ps := range p.Status.Parents {
		ns := v.Namespace
		if ps.ParentRef.Namespace != "" {
			ns = string(ps.ParentRef.Namespace)
		}
		v.Parents = append(v.Parents, parentOf(ns+"/"+string(ps.ParentRef.Name), ps.Conditions))
	}
	return v, nil
}

func parentOf(gateway string, conds []metav1.Condition) Parent {
	p := Parent{Gateway: gateway}
	for _, c := range conds {
		switch c.Type {
		case "Accepted":
			p.Accepted = string(c.Status)
		case "ResolvedRefs":
			p.ResolvedRefs = string(c.Status)
		default:
			continue
		}
		if c.Status != metav1.ConditionTrue && p.Reason == "" {
			p.Reason = c.Reason
		}
	}
	return p
}

// podsOf are the pods the pool's selector picks in its namespace, by name. An empty selector
// picks none: the API refuses one, and matching every pod would be a worse guess.
func (w *watcher) podsOf(v poolView) []*corev1.Pod {
	if len(v.Selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(v.Selector)
	var out []*corev1.Pod
	objs, _ := w.pods.GetIndexer().ByIndex(cache.NamespaceIndex, v.Namespace)
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok && sel.Matches(labels.Set(p.Labels)) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// slimPod keeps what a refresh reads of a pod: name, labels, node, IP, Ready.
func slimPod(o any) (any, error) {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return o, nil
	}
	slim := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, Labels: maps.Clone(p.Labels),
		ResourceVersion: p.ResourceVersion, DeletionTimestamp: p.DeletionTimestamp}}
	slim.Spec.NodeName = p.Spec.NodeName
	slim.Status.PodIP, slim.Status.Phase = p.Status.PodIP, p.Status.Phase
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			slim.Status.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	return slim, nil
}

// targetOf is how a pool's pod is scraped: the metrics port and path from the options or the
// pool's first target port, the engine from the flag, else the pod's engine label.
func targetOf(p *corev1.Pod, v poolView, o Options) Target {
	t := Target{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, IP: p.Status.PodIP, Port: o.MetricsPort, Path: o.MetricsPath}
	if t.Port == 0 && len(v.TargetPorts) > 0 {
		t.Port = v.TargetPorts[0]
	}
	if !strings.HasPrefix(t.Path, "/") {
		t.Path = "/" + t.Path
	}
	for _, c := range p.Status.Conditions {
		t.Ready = t.Ready || c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
	}
	switch {
	case o.Engine != "":
		t.Engine, t.EngineFrom = modelserver.Engine(o.Engine), "flag"
	default:
		for _, l := range modelserver.EngineLabels {
			if e := p.Labels[l]; e != "" && slices.Contains(modelserver.Engines(), modelserver.Engine(e)) {
				t.Engine, t.EngineFrom = modelserver.Engine(e), "label"
				break
			}
		}
	}
	return t
}
