package adapters

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// ConfigMapSource watches labelled ConfigMaps. It never gives up: while the
// apiserver is unreachable the reflector keeps retrying and the store keeps
// serving what it last had, and Status says so.
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
	inf := cache.NewSharedIndexInformer(plainList{lw}, &corev1.ConfigMap{}, 0, cache.Indexers{})
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		c.Status.SetError(err)
		c.onError()
		c.Log.Warn("adapter ConfigMap watch failed; serving the last known mapping", "err", err)
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

// plainList makes the reflector use a plain LIST. The streaming watch-list
// retries a refused connection inside itself and never reports it, so an
// unreachable apiserver would look healthy; the few labelled ConfigMaps
// gain nothing from streaming anyway.
type plainList struct{ *cache.ListWatch }

// IsWatchListSemanticsUnSupported is how client-go asks.
func (plainList) IsWatchListSemanticsUnSupported() bool { return true }

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
