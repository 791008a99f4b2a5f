// Package standin plays, on the test bed, the controllers a real cluster runs and the test bed
// does not (no kubelet, no controller-manager, no gateway): it creates objects as a user would,
// then writes through the status subresource what those controllers would write (GatewayClass,
// Gateway, HTTPRoute and InferencePool conditions, Deployment and StatefulSet replicas, Pods
// Running and Ready with an IP) and creates the EndpointSlices of Services. An object that
// carries a status of its own (saved with kubectl get -o yaml) gets that status instead.
package standin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Options adjust what the stand-in controllers write.
type Options struct {
	// PodIP is the IP of a pod without one of its own; nil numbers them from 10.244.0.10.
	PodIP func(ns, name string) string
	// GatewayAddress is written in a Gateway's status.addresses; "" means 10.96.0.100.
	GatewayAddress string
	// Parallel is how many requests run at once; 0 means 16.
	Parallel int
	// SkipUnserved leaves out objects of kinds the test bed does not serve instead of failing.
	SkipUnserved bool
}

// Cluster applies objects to one test bed.
type Cluster struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	opts   Options
	ips    atomic.Int32
}

// New connects to the test bed at cfg, without client-side rate limits (tests create thousands
// of objects).
func New(cfg *rest.Config, o Options) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if o.Parallel == 0 {
		o.Parallel = 16
	}
	if o.GatewayAddress == "" {
		o.GatewayAddress = "10.96.0.100"
	}
	return &Cluster{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), opts: o}, nil
}

// Applied is what Apply did, for Delete to undo.
type Applied struct {
	// Objects are the objects created, the generated pods and EndpointSlices among them.
	Objects []*unstructured.Unstructured
	// Skipped are the objects of kinds the test bed does not serve (with SkipUnserved).
	Skipped []*unstructured.Unstructured
	// crdAnnotations are the annotations of CRDs before Apply changed them.
	crdAnnotations map[string]map[string]string
}

// Apply creates objs and writes their statuses. A CustomResourceDefinition among them is not
// created: its annotations (bundle version, channel) are set on the installed CRD of that name,
// since the test bed's CRDs are the real ones. Namespaces and ServiceAccounts the objects need
// are created when missing and are left behind by Delete.
func (c *Cluster) Apply(ctx context.Context, objs []*unstructured.Unstructured) (*Applied, error) {
	a := &Applied{crdAnnotations: map[string]map[string]string{}}
	objs, err := c.admit(ctx, a, objs)
	if err != nil {
		return a, err
	}
	w := newWorld(objs, c)
	if err := c.prepareNamespaces(ctx, objs); err != nil {
		return a, err
	}
	// Like namespaces, the providers' classes stay behind: another Apply may need them.
	classes, err := c.createAll(ctx, w.providerClasses())
	if err != nil && !allExist(err) {
		return a, err
	}
	created, err := c.createAll(ctx, objs)
	a.Objects = append(a.Objects, created...)
	if err != nil {
		return a, err
	}
	pods, err := c.createAll(ctx, w.generatedPods())
	a.Objects = append(a.Objects, pods...)
	if err != nil {
		return a, err
	}
	w.addPods(pods)
	if err := c.forEach(ctx, slices.Concat(classes, created, pods), func(ctx context.Context, u *unstructured.Unstructured) error {
		return c.writeStatus(ctx, u, w.status(u))
	}); err != nil {
		return a, err
	}
	eps, err := c.createAll(ctx, w.endpointSlices())
	a.Objects = append(a.Objects, eps...)
	return a, err
}

// admit returns copies of the objects to create, namespaced ones in "default" when they name
// none; CRDs become annotations on the installed ones, and kinds not served are skipped (with
// SkipUnserved) or refused.
func (c *Cluster) admit(ctx context.Context, a *Applied, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		o = o.DeepCopy()
		if o.GetKind() == "CustomResourceDefinition" {
			if err := c.annotateCRD(ctx, a, o); err != nil {
				return nil, err
			}
			continue
		}
		m, err := c.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
		switch {
		case meta.IsNoMatchError(err) && c.opts.SkipUnserved:
			a.Skipped = append(a.Skipped, o)
			continue
		case err != nil:
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace && o.GetNamespace() == "" {
			o.SetNamespace(metav1.NamespaceDefault)
		}
		// What the API server sets, in objects saved with kubectl get -o yaml.
		o.SetResourceVersion("")
		o.SetUID("")
		o.SetCreationTimestamp(metav1.Time{})
		o.SetGeneration(0)
		o.SetManagedFields(nil)
		out = append(out, o)
	}
	return out, nil
}

// Delete removes what Apply created and puts back the CRD annotations it changed.
func (c *Cluster) Delete(ctx context.Context, a *Applied) error {
	zero := int64(0)
	err := c.forEach(ctx, a.Objects, func(ctx context.Context, u *unstructured.Unstructured) error {
		ri, err := c.resource(u)
		if err == nil {
			err = ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{GracePeriodSeconds: &zero})
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	for name, ann := range a.crdAnnotations {
		err = errors.Join(err, c.setCRDAnnotations(ctx, name, ann))
	}
	return err
}

var gvrCRD = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func (c *Cluster) annotateCRD(ctx context.Context, a *Applied, o *unstructured.Unstructured) error {
	crd, err := c.dyn.Resource(gvrCRD).Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("CRD %s must be installed on the test bed: %w", o.GetName(), err)
	}
	if _, saved := a.crdAnnotations[o.GetName()]; !saved {
		a.crdAnnotations[o.GetName()] = maps.Clone(crd.GetAnnotations())
	}
	ann := maps.Clone(crd.GetAnnotations())
	if ann == nil {
		ann = map[string]string{}
	}
	maps.Copy(ann, o.GetAnnotations())
	return c.setCRDAnnotations(ctx, o.GetName(), ann)
}

// setCRDAnnotations replaces a CRD's annotations (a JSON merge patch cannot remove the ones
// Apply added without naming them, so the whole map is replaced).
func (c *Cluster) setCRDAnnotations(ctx context.Context, name string, ann map[string]string) error {
	crd, err := c.dyn.Resource(gvrCRD).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	crd.SetAnnotations(ann)
	_, err = c.dyn.Resource(gvrCRD).Update(ctx, crd, metav1.UpdateOptions{})
	return err
}

func (c *Cluster) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// createAll creates objs, several at once, and returns them as the API server stored them.
func (c *Cluster) createAll(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(objs))
	err := c.forEach(ctx, objs, func(ctx context.Context, u *unstructured.Unstructured) error {
		ri, err := c.resource(u)
		if err != nil {
			return err
		}
		created, err := ri.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		for i, o := range objs {
			if o == u {
				out[i] = created
			}
		}
		return nil
	})
	return compact(out), err
}

func compact(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// forEach runs f on each object, Options.Parallel at a time, and joins the errors.
func (c *Cluster) forEach(ctx context.Context, objs []*unstructured.Unstructured, f func(context.Context, *unstructured.Unstructured) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, c.opts.Parallel)
	for _, u := range objs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := f(ctx, u); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeStatus writes status to u's status subresource; nil writes nothing.
func (c *Cluster) writeStatus(ctx context.Context, u *unstructured.Unstructured, status map[string]any) error {
	if status == nil {
		return nil
	}
	ri, err := c.resource(u)
	if err != nil {
		return err
	}
	u.Object["status"] = status
	if _, err := ri.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("writing the status of %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// prepareNamespaces creates the namespaces the objects are in and the ServiceAccounts their pods
// run as (the test bed has no controller that makes "default").
func (c *Cluster) prepareNamespaces(ctx context.Context, objs []*unstructured.Unstructured) error {
	accounts := map[types.NamespacedName]bool{}
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" {
			accounts[types.NamespacedName{Namespace: ns, Name: "default"}] = true
			if sa := serviceAccountOf(o); sa != "" {
				accounts[types.NamespacedName{Namespace: ns, Name: sa}] = true
			}
		}
	}
	var nss, sas []*unstructured.Unstructured
	seen := map[string]bool{}
	for a := range accounts {
		if !seen[a.Namespace] {
			seen[a.Namespace] = true
			nss = append(nss, object("v1", "Namespace", "", a.Namespace))
		}
		sas = append(sas, object("v1", "ServiceAccount", a.Namespace, a.Name))
	}
	for _, batch := range [][]*unstructured.Unstructured{nss, sas} {
		if _, err := c.createAll(ctx, batch); err != nil && !allExist(err) {
			return err
		}
	}
	return nil
}

// allExist reports whether every error joined in err says the object already exists.
func allExist(err error) bool {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if !apierrors.IsAlreadyExists(e) {
				return false
			}
		}
		return true
	}
	return apierrors.IsAlreadyExists(err)
}

func object(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// ApplyT applies objs for a test with New(cfg, o) and deletes them when the test ends; a
// failure to apply fails the test.
func ApplyT(t testing.TB, cfg *rest.Config, o Options, objs []*unstructured.Unstructured) *Applied {
	t.Helper()
	a, err := TryApplyT(t, cfg, o, objs)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TryApplyT is ApplyT returning Apply's error instead of failing the test.
func TryApplyT(t testing.TB, cfg *rest.Config, o Options, objs []*unstructured.Unstructured) (*Applied, error) {
	t.Helper()
	c, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	a, err := c.Apply(ctx, objs)
	t.Cleanup(func() {
		if err := c.Delete(context.Background(), a); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return a, err
}
