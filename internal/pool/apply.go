package pool

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// Applied is what happened to one object igwctl applied next to the release.
type Applied struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Group     string `json:"group,omitempty"`
	Action    string `json:"action"` // created, configured, unchanged, would apply, deleted
	// Detail is what the object does, e.g. "on Gateway ns/name" or "llm-d.ai, priority 10".
	Detail string `json:"detail,omitempty"`
}

func (a Applied) String() string { return fmt.Sprintf("%s %s/%s", a.Kind, a.Namespace, a.Name) }

// Owned reports whether igwctl created u for pool.
func Owned(u *unstructured.Unstructured, pool string) bool {
	l := u.GetLabels()
	return l[providers.ManagedByLabel] == providers.ManagedBy && l[PoolLabel] == pool
}

// Existing returns the object when it exists and igwctl did not create it for pool, so a caller
// can refuse before changing anything; nil when it is absent or igwctl's.
func Existing(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, obj map[string]any, pool string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: obj}
	cur, err := kube.GetIfExists(ctx, dyn.Resource(gvr).Namespace(u.GetNamespace()), u.GetName())
	if err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	if cur == nil || Owned(cur, pool) {
		return nil, nil
	}
	return cur, nil
}

// Apply creates or updates obj with server-side apply as igwctl (forcing: the caller has checked
// ownership), and says whether it was created, configured or unchanged. A client dry run
// applies nothing; a server one has the API server check it.
func Apply(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, obj map[string]any, dryRun kube.DryRun) (Applied, error) {
	u := &unstructured.Unstructured{Object: obj}
	a := Applied{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Group: gvr.Group}
	if dryRun == kube.DryRunClient {
		a.Action = "would apply"
		return a, nil
	}
	client := dyn.Resource(gvr).Namespace(a.Namespace)
	before, err := kube.GetIfExists(ctx, client, a.Name)
	if err != nil {
		return a, fmt.Errorf("reading %s: %w", a, err)
	}
	if a.Action, err = kube.Apply(ctx, client, before, obj, true, dryRun); err != nil {
		return a, fmt.Errorf("applying %s: %w", a, err)
	}
	return a, nil
}

// DeleteOwned deletes what igwctl created for pool in ns among gvrs (kinds the cluster does not
// serve are skipped) and returns what it deleted, or with a dry run would delete.
func DeleteOwned(ctx context.Context, dyn dynamic.Interface, ns, pool string, gvrs []schema.GroupVersionResource, dryRun kube.DryRun) ([]Applied, error) {
	var out []Applied
	for _, gvr := range gvrs {
		list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: OwnedSelector(pool)})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("listing %s in %s: %w", gvr.GroupResource(), ns, err)
		}
		for _, u := range list.Items {
			a := Applied{Kind: u.GetKind(), Namespace: ns, Name: u.GetName(), Group: gvr.Group, Action: "deleted"}
			if dryRun != kube.DryRunClient {
				opts := metav1.DeleteOptions{}
				if dryRun == kube.DryRunServer {
					opts.DryRun = []string{metav1.DryRunAll}
				}
				if err := dyn.Resource(gvr).Namespace(ns).Delete(ctx, u.GetName(), opts); err != nil && !apierrors.IsNotFound(err) {
					return out, fmt.Errorf("deleting %s: %w", a, err)
				}
			}
			out = append(out, a)
		}
	}
	return out, nil
}
