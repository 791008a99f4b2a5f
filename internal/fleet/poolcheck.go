package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// checkPool refuses a named pool that exists in no served group, the way `kubectl get` refuses a
// missing name, and names the pools that do exist so the fix is one copy away. A list the
// user may not make proves nothing; the watch reports it later.
func checkPool(dyn dynamic.Interface, served []schema.GroupVersionResource, ns, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var others []string
	for _, gvr := range served {
		list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsForbidden(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing InferencePools (%s): %w", gvr.Group, err)
		}
		for _, p := range list.Items {
			if p.GetName() == name {
				return nil
			}
			others = append(others, p.GetNamespace()+"/"+p.GetName())
		}
	}
	where := "namespace " + ns
	if ns == "" {
		where = "any namespace"
	}
	if len(others) == 0 {
		return fmt.Errorf("no InferencePool %s in %s, and none other there: check -n/--context, or -A", name, where)
	}
	slices.Sort(others)
	others = slices.Compact(others)
	if len(others) > 10 {
		others = append(others[:10], fmt.Sprintf("and %d more", len(others)-10))
	}
	return fmt.Errorf("no InferencePool %s in %s; the pools there: %s", name, where, strings.Join(others, ", "))
}
