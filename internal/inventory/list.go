package inventory

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// servedAPIs is what discovery says the cluster serves.
type servedAPIs struct {
	// resources maps "group/version" ("v1" for the core group) to its resources, as
	// diagnose.Snapshot.Served has it.
	resources map[string][]string
	// versions is the version to list each group's resource in: the group's most preferred
	// version that serves it.
	versions map[schema.GroupResource]string
	// failed are the groups discovery could not read, with why.
	failed map[string]error
}

// discover asks the cluster which APIs it serves. A group whose discovery failed (an aggregated
// API that is down) is recorded, not fatal: only its kinds go unlisted.
func discover(dc discovery.DiscoveryInterface) (*servedAPIs, error) {
	groups, lists, err := dc.ServerGroupsAndResources()
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		return nil, fmt.Errorf("asking the API server which APIs it serves: %w", err)
	}
	s := &servedAPIs{resources: map[string][]string{}, versions: map[schema.GroupResource]string{}, failed: map[string]error{}}
	if partial != nil {
		for gv, gerr := range partial.Groups {
			s.failed[gv.Group] = gerr
		}
	}
	for _, l := range lists {
		for _, r := range l.APIResources {
			s.resources[l.GroupVersion] = append(s.resources[l.GroupVersion], r.Name)
		}
	}
	for _, g := range groups {
		for _, v := range g.Versions {
			for _, r := range s.resources[v.GroupVersion] {
				gr := schema.GroupResource{Group: g.Name, Resource: r}
				if _, ok := s.versions[gr]; !ok {
					s.versions[gr] = v.Version
				}
			}
		}
	}
	return s, nil
}

// listKind lists one kind as k says, in the scope o asks for.
func listKind(ctx context.Context, dyn dynamic.Interface, served *servedAPIs, k kind, o Options) kindResult {
	if err, ok := served.failed[k.gk.Group]; ok {
		return kindResult{unlisted: fmt.Sprintf("discovery of API group %s failed: %v", k.gk.Group, err)}
	}
	version, ok := served.versions[schema.GroupResource{Group: k.gk.Group, Resource: k.resource}]
	if !ok {
		// Not served: no such object can exist, so the kind is listed, and empty.
		return kindResult{}
	}
	ri := dyn.Resource(schema.GroupVersionResource{Group: k.gk.Group, Version: version, Resource: k.resource})
	var r listed
	switch {
	case k.where == cluster:
		r = listIn(ctx, ri, "", k, o)
	case k.where == scoped && !o.Scope.All:
		r = listIn(ctx, ri, o.Scope.Namespace, k, o)
	default:
		r = listIn(ctx, ri, metav1.NamespaceAll, k, o)
		if r.unlisted != "" && r.forbidden && !o.Scope.All {
			// A user with rights in one namespace still sees what is there.
			first := r
			r = listIn(ctx, ri, o.Scope.Namespace, k, o)
			r.lists = append(first.lists, r.lists...)
			partial := fmt.Sprintf("listed only in namespace %s, since %s", o.Scope.Namespace, first.unlisted)
			switch {
			case r.unlisted != "":
			case k.outsideOptional:
				r.note = partial
			default:
				r.unlisted = partial
			}
		}
	}
	return r.kindResult
}

// listed is a kindResult that knows whether its failure was RBAC's.
type listed struct {
	kindResult
	forbidden bool
}

// listIn lists k in namespace ns (all when ""), once per label selector.
func listIn(ctx context.Context, ri dynamic.NamespaceableResourceInterface, ns string, k kind, o Options) listed {
	var res listed
	selectors := k.selectors
	if len(selectors) == 0 {
		selectors = []string{""}
	}
	field := ""
	if k.gk == (schema.GroupKind{Kind: "Namespace"}) && !o.Scope.All {
		field = "metadata.name=" + o.Scope.Namespace
	}
	for _, sel := range selectors {
		items, pages, err := listPages(ctx, ri.Namespace(ns), metav1.ListOptions{LabelSelector: sel, FieldSelector: field, Limit: o.PageSize})
		l := List{Resource: k.resource, Namespace: ns, Selector: sel, Pages: pages, Objects: len(items)}
		if err != nil {
			l.Error = err.Error()
			res.unlisted, res.forbidden = err.Error(), apierrors.IsForbidden(err)
		}
		res.lists = append(res.lists, l)
		for _, u := range items {
			if k.keep != nil && !k.keep(u, o.Scope) {
				continue
			}
			u.SetManagedFields(nil)
			if k.slim != nil {
				k.slim(u)
			}
			res.objects = append(res.objects, u)
		}
	}
	return res
}

// listPages follows the continue token to the last page.
func listPages(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions) ([]*unstructured.Unstructured, int, error) {
	var items []*unstructured.Unstructured
	for pages := 1; ; pages++ {
		l, err := ri.List(ctx, opts)
		if err != nil {
			return items, pages, err
		}
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return items, pages, nil
		}
	}
}
