package adapters

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// Labels that mark a ConfigMap as an adapter mapping: upstream BBR's and
// the llm-d payload processor's. Either one, set to "true", is enough.
var Labels = []string{
	"inference.networking.k8s.io/bbr-managed",
	"inference.llm-d.ai/ipp-managed",
}

// StatusView is a source's state as health checks and metrics show it.
type StatusView struct {
	Source    string    `json:"source"`
	Enabled   bool      `json:"enabled"`
	Synced    bool      `json:"synced"`
	LastError string    `json:"lastError,omitempty"`
	ErrorAt   time.Time `json:"lastErrorTime,omitzero"`
	Detail    string    `json:"detail,omitempty"`
}

// Status is a source's state, updated by its goroutines.
type Status struct {
	mu       sync.Mutex
	v        StatusView
	onChange func(StatusView)
	// broken: LastError is a failed list or watch, which the next one that
	// succeeds clears (an invalid ConfigMap's error stays until it is fixed).
	broken bool
}

// OnChange registers f to be called, under the status lock, after every
// change (metrics follow the status this way).
func (s *Status) OnChange(f func(StatusView)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = f
	f(s.v)
}

// NewStatus returns the status of a source named source.
func NewStatus(source string, enabled bool, detail string) *Status {
	return &Status{v: StatusView{Source: source, Enabled: enabled, Detail: detail}}
}

// View returns a copy.
func (s *Status) View() StatusView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v
}

// Update changes the view under the lock.
func (s *Status) Update(f func(*StatusView)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.v)
	if s.onChange != nil {
		s.onChange(s.v)
	}
}

// SetError records a failure without clearing Synced: a watch that lost the
// apiserver still holds the last mapping it saw.
func (s *Status) SetError(err error) {
	s.Update(func(v *StatusView) { v.LastError, v.ErrorAt = err.Error(), time.Now() })
}

// MarkSynced records a successful load.
func (s *Status) MarkSynced() {
	s.Update(func(v *StatusView) { v.Synced, v.LastError = true, "" })
}

// Broke records a failed list or watch and reports whether the source was
// healthy until now, so the loss is logged once, not on every retry.
func (s *Status) Broke(err error) (first bool) {
	s.mu.Lock()
	first = !s.broken
	s.broken = true
	s.mu.Unlock()
	s.SetError(err)
	return first
}

func (s *Status) isBroken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// Mended records a list or watch that succeeded, and reports whether it
// ended a failure.
func (s *Status) Mended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.broken {
		return false
	}
	s.broken = false
	s.v.LastError, s.v.ErrorAt = "", time.Time{}
	if s.onChange != nil {
		s.onChange(s.v)
	}
	return true
}

// ConfigMapSource watches labelled ConfigMaps. It never gives up: while the
// apiserver is unreachable the reflector keeps retrying and the store keeps
// serving what it last had, and Status says so from the first failed call
// until the next that succeeds.
type ConfigMapSource struct {
	// Client reaches the core/v1 API (NewCoreClient, or a clientset's
	// CoreV1().RESTClient()).
	Client    cache.Getter
	Namespace string // empty: all namespaces
	Store     *Store
	Log       *slog.Logger
	Status    *Status
	// OnError, if set, is called for every watch or parse failure.
	OnError func()
}

// Run watches until ctx ends.
func (c *ConfigMapSource) Run(ctx context.Context) {
	var synced []cache.InformerSynced
	for _, label := range Labels {
		inf := c.informer(label)
		synced = append(synced, inf.HasSynced)
		go inf.RunWithContext(ctx)
	}
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), synced...) {
			c.Status.MarkSynced()
			c.Log.Info("adapter ConfigMaps synced", "namespace", nsName(c.Namespace))
		}
	}()
	<-ctx.Done()
}

func nsName(ns string) string {
	if ns == "" {
		return "(all)"
	}
	return ns
}

func (c *ConfigMapSource) informer(label string) cache.SharedIndexInformer {
	lw := cache.NewFilteredListWatchFromClient(c.Client, "configmaps", c.Namespace,
		func(o *metav1.ListOptions) { o.LabelSelector = label + "=true" })
	inf := cache.NewSharedIndexInformer(reportingLW{lw, c}, &corev1.ConfigMap{}, 0, cache.Indexers{})
	// Every failed call reaches reportingLW first and marks the source
	// broken; what the reflector hands here beyond those (a list it could
	// not store) is reported the same way.
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, _ *cache.Reflector, err error) {
		if ctx.Err() == nil && !c.Status.isBroken() {
			c.failed(err)
		}
	})
	key := func(cm *corev1.ConfigMap) string { return "cm:" + label + ":" + cm.Namespace + "/" + cm.Name }
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.apply(key, obj) },
		UpdateFunc: func(_, obj any) { c.apply(key, obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				c.Store.Delete(key(cm))
				c.Log.Info("adapter ConfigMap removed", "configmap", cm.Namespace+"/"+cm.Name)
			}
		},
	})
	return inf
}

// reportingLW reports every LIST and WATCH call's failure and recovery.
// The reflector's error handler alone misses a lost apiserver: once synced,
// a refused connection is retried inside the reflector (it expects the
// watch to resume where it ended) without ever reaching the handler, so
// bbr said "synced" for as long as the apiserver stayed down.
//
// It also makes the reflector use a plain LIST: the streaming watch-list
// retries a refused connection inside itself and never reports it, and the
// few labelled ConfigMaps gain nothing from streaming anyway.
type reportingLW struct {
	*cache.ListWatch
	c *ConfigMapSource
}

// IsWatchListSemanticsUnSupported is how client-go asks.
func (reportingLW) IsWatchListSemanticsUnSupported() bool { return true }

func (l reportingLW) ListWithContext(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
	obj, err := l.ListWatch.ListWithContext(ctx, o)
	l.c.observe(ctx, err)
	return obj, err
}

func (l reportingLW) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	w, err := l.ListWatch.WatchWithContext(ctx, o)
	l.c.observe(ctx, err)
	return w, err
}

func (c *ConfigMapSource) observe(ctx context.Context, err error) {
	switch {
	case err == nil:
		if c.Status.Mended() {
			c.Log.Info("adapter ConfigMap watch restored; the mapping is current again")
		}
	case ctx.Err() == nil: // a call cut short because bbr is stopping breaks nothing
		c.failed(err)
	}
}

// failed reports a broken list or watch: every one is counted, the first
// of a run is logged as a warning and the retries at debug.
func (c *ConfigMapSource) failed(err error) {
	c.onError()
	if c.Status.Broke(err) {
		c.Log.Warn("adapter ConfigMap watch failed; serving the last known mapping until the apiserver answers again", "err", err)
		return
	}
	c.Log.Debug("adapter ConfigMap watch still failing", "err", err)
}

func (c *ConfigMapSource) apply(key func(*corev1.ConfigMap) string, obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	e, err := ParseConfigMapData(cm.Data)
	if err != nil {
		// Keep what this ConfigMap mapped before: a typo in an edit must not
		// drop live routes.
		c.Log.Error("adapter ConfigMap ignored", "configmap", cm.Namespace+"/"+cm.Name, "err", err)
		c.Status.SetError(err)
		c.onError()
		return
	}
	c.Store.Set(key(cm), []Entry{e})
	c.Log.Info("adapter ConfigMap applied", "configmap", cm.Namespace+"/"+cm.Name,
		"baseModel", e.BaseModel, "adapters", len(e.Adapters))
}

func (c *ConfigMapSource) onError() {
	if c.OnError != nil {
		c.OnError()
	}
}
