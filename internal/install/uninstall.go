package install

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/kube"
)

// Uninstaller deletes CRDs, and with them every object of their kinds.
type Uninstaller struct {
	Client  apiextensionsclient.Interface
	Dynamic dynamic.Interface
	// Progress receives what is going on (stderr).
	Progress io.Writer
	// Force deletes CRDs that still have objects or that igwctl did not install.
	Force  bool
	DryRun kube.DryRun
	// PollInterval is how often waiting re-reads the CRDs; 0 means 250ms.
	PollInterval time.Duration
}

// Uninstall deletes the installed CRDs among crds, in reverse install order, and waits until they
// are gone. As Install, it checks all of them first (objects left, ownership) and refuses before
// deleting anything.
func (u *Uninstaller) Uninstall(ctx context.Context, crds []CRD) (*Result, error) {
	dryRun := u.DryRun
	if dryRun == "" {
		dryRun = kube.DryRunNone
	}
	res := &Result{Operation: "uninstall", DryRun: dryRun}
	crds = reversed(crds)
	installed, err := readCRDs(ctx, u.Client, crds)
	if err != nil {
		return nil, err
	}

	var problems []diagnose.Finding
	results := make([]CRDResult, len(crds))
	var present []int // indexes of the CRDs that exist
	for i, c := range crds {
		results[i] = CRDResult{CRD: c, Action: ActionNotFound}
		if installed[i] == nil {
			continue
		}
		present = append(present, i)
		results[i].Action = ActionDeleted
		results[i].PreviousBundleVersion = installed[i].Annotations[c.VersionAnnotation]
		problems = append(problems, CheckDelete(installed[i])...)
		objs, err := countObjects(ctx, u.Dynamic, installed[i])
		if err != nil {
			return nil, err
		}
		results[i].Objects = objs.total
		if objs.total > 0 {
			problems = append(problems, crdFinding(diagnose.CRDObjectsExist, c.Name, objs.String()+"; deleting the CRD deletes them", ""))
		}
	}
	if len(problems) > 0 {
		if !u.Force {
			return nil, refusal("uninstall the CRDs", problems,
				"Delete those objects first, or rerun with --force to delete the CRDs and every object of them.")
		}
		for _, p := range problems {
			u.progressf("warning: --force: %s\n", problemLine(p))
		}
	}
	res.CRDs = results
	if dryRun == kube.DryRunClient || len(present) == 0 {
		return res, nil
	}

	// A server-side dry run first, so a refusal (RBAC, admission) leaves every CRD in place.
	var failures []string
	for _, i := range present {
		if err := u.delete(ctx, installed[i], true); err != nil && !apierrors.IsNotFound(err) {
			failures = append(failures, fmt.Sprintf("%s: %v", crds[i].Name, err))
		}
	}
	if len(failures) > 0 {
		return nil, fmt.Errorf("refusing to uninstall the CRDs; nothing was changed; the API server rejected:\n  - %s",
			strings.Join(failures, "\n  - "))
	}
	if dryRun == kube.DryRunServer {
		return res, nil
	}

	// One at a time, each gone before the next: see warmCache for why concurrent deletions stall.
	u.progressf("deleting %s, waiting for each to be removed...\n", countCRDs(len(present)))
	var done []CRDResult
	for n, i := range present {
		warmCache(ctx, u.Dynamic, installed[i], warmRetry)
		err := u.delete(ctx, installed[i], false)
		if err == nil || apierrors.IsNotFound(err) {
			err = waitGone(ctx, u.Client, []string{crds[i].Name}, u.PollInterval, func(crd *apiextensionsv1.CustomResourceDefinition) {
				warmCache(ctx, u.Dynamic, crd, 0)
			})
			if err != nil {
				err = fmt.Errorf("deletion started but did not finish: %w", err)
			}
		}
		if err != nil {
			var notDone []CRD
			for _, j := range present[n+1:] {
				notDone = append(notDone, crds[j])
			}
			return nil, partialError("deleted", "not deleted", done, notDone, crds[i].Name, err.Error())
		}
		done = append(done, results[i])
	}
	return res, nil
}

func (u *Uninstaller) progressf(format string, args ...any) {
	if u.Progress != nil {
		fmt.Fprintf(u.Progress, format, args...)
	}
}

// delete removes exactly the CRD that was checked: the UID precondition fails if it was replaced
// in between.
func (u *Uninstaller) delete(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, dryRun bool) error {
	uid := crd.UID
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return u.Client.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, crd.Name, opts)
}

func reversed(crds []CRD) []CRD {
	out := make([]CRD, len(crds))
	for i, c := range crds {
		out[len(crds)-1-i] = c
	}
	return out
}

// objectCount is how many objects of one CRD exist, per namespace, with a few names to show.
type objectCount struct {
	kind    string
	total   int
	perNS   map[string]int
	samples map[string][]string
}

const samplesPerNamespace = 3

func (o objectCount) String() string {
	nss := make([]string, 0, len(o.perNS))
	for ns := range o.perNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	parts := make([]string, len(nss))
	for i, ns := range nss {
		where := ns
		if ns == "" {
			where = "cluster-scoped"
		}
		names := strings.Join(o.samples[ns], ", ")
		if o.perNS[ns] > len(o.samples[ns]) {
			names += ", ..."
		}
		parts[i] = fmt.Sprintf("%d in %s (%s)", o.perNS[ns], where, names)
	}
	return fmt.Sprintf("%d %s object(s) still exist: %s", o.total, o.kind, strings.Join(parts, "; "))
}

// countObjects lists a CRD's objects across all namespaces, a page at a time.
func countObjects(ctx context.Context, client dynamic.Interface, crd *apiextensionsv1.CustomResourceDefinition) (objectCount, error) {
	count := objectCount{kind: crd.Spec.Names.Kind, perNS: map[string]int{}, samples: map[string][]string{}}
	version := servedVersion(crd)
	if version == "" {
		return count, nil // nothing served, so nothing can have been created
	}
	gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: version, Resource: crd.Spec.Names.Plural}
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := client.Resource(gvr).List(ctx, opts)
		if apierrors.IsNotFound(err) {
			return count, nil // not established (yet or any more): no objects are served
		}
		if err != nil {
			return count, fmt.Errorf("listing %s objects (%s): %w", crd.Spec.Names.Kind, crd.Name, err)
		}
		for _, item := range list.Items {
			ns := item.GetNamespace()
			count.total++
			count.perNS[ns]++
			if len(count.samples[ns]) < samplesPerNamespace {
				count.samples[ns] = append(count.samples[ns], item.GetName())
			}
		}
		if list.GetContinue() == "" {
			return count, nil
		}
		opts.Continue = list.GetContinue()
	}
}

// warmRetry bounds how long warmCache retries before a deletion.
const warmRetry = 10 * time.Second

// warmCache asks for a CRD's objects from the API server's watch cache (resourceVersion=0),
// retrying while the cache is still filling, for up to retry. The API server builds these caches
// lazily, and a CRD being updated or finalized tears down and rebuilds the caches of other CRDs.
// The finalizer that deletes a CRD's objects lists them from the cache; finding it unready
// ("storage is (re)initializing") it retries with exponential back-off, which leaves a CRD
// terminating for minutes (kubernetes/kubernetes#138085, operator-framework/operator-controller#1437).
// A warm cache when the finalizer first looks avoids the back-off. Failures are ignored: this only
// speeds the deletion up.
func warmCache(ctx context.Context, client dynamic.Interface, crd *apiextensionsv1.CustomResourceDefinition, retry time.Duration) {
	version := servedVersion(crd)
	if version == "" || client == nil {
		return
	}
	gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: version, Resource: crd.Spec.Names.Plural}
	deadline := time.Now().Add(retry)
	for {
		_, err := client.Resource(gvr).List(ctx, metav1.ListOptions{ResourceVersion: "0", Limit: 1})
		if !apierrors.IsTooManyRequests(err) || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// servedVersion prefers the storage version: every object can be read in it.
func servedVersion(crd *apiextensionsv1.CustomResourceDefinition) string {
	first := ""
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		if v.Storage {
			return v.Name
		}
		if first == "" {
			first = v.Name
		}
	}
	return first
}
