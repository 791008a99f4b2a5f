package helm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
)

// pollInterval is how often waitReady looks again.
const pollInterval = 2 * time.Second

// waitReady polls the manifest's objects with Helm's readiness rules (Deployments, StatefulSets,
// DaemonSets, Pods, Jobs, PVCs, Services with load balancers, CRDs; other kinds count as ready)
// until all are ready, timeout passes or ctx ends. It reports what was still not ready instead of
// failing, since the release itself is installed either way.
func (c *Client) waitReady(ctx context.Context, cfg *action.Configuration, manifest string, timeout time.Duration) (ready bool, notReady []string, err error) {
	resources, err := cfg.KubeClient.Build(strings.NewReader(manifest), false)
	if err != nil {
		return false, nil, fmt.Errorf("reading back the release's objects: %w", err)
	}
	clientset, err := cfg.KubernetesClientSet()
	if err != nil {
		return false, nil, err
	}
	var logged []string
	checker := kube.NewReadyChecker(clientset, func(format string, args ...any) {
		logged = append(logged, fmt.Sprintf(format, args...))
	}, kube.PausedAsReady(true), kube.CheckJobs(true))

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		notReady = notReady[:0]
		for _, info := range resources {
			logged = logged[:0]
			ok, err := checker.IsReady(wctx, info)
			switch {
			case wctx.Err() != nil:
				notReady = append(notReady, describeNotReady(info, nil))
			case err != nil:
				notReady = append(notReady, fmt.Sprintf("%s: %v", infoName(info), err))
			case !ok:
				notReady = append(notReady, describeNotReady(info, logged))
			}
		}
		if len(notReady) == 0 {
			return true, nil, nil
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return false, notReady, ctx.Err()
			}
			return false, notReady, fmt.Errorf("still not ready after %s", timeout)
		case <-time.After(pollInterval):
		}
	}
}

func infoName(info *resource.Info) string {
	kind := "object"
	if info.Mapping != nil {
		kind = info.Mapping.GroupVersionKind.Kind
	}
	if info.Namespace == "" {
		return kind + " " + info.Name
	}
	return fmt.Sprintf("%s %s/%s", kind, info.Namespace, info.Name)
}

// describeNotReady uses Helm's own explanation when it logged one, e.g. "Deployment is not ready:
// ns/name. 0 out of 1 expected pods are ready".
func describeNotReady(info *resource.Info, logged []string) string {
	name := infoName(info)
	for i := len(logged) - 1; i >= 0; i-- {
		msg := logged[i]
		key := info.Namespace + "/" + info.Name + ". "
		if j := strings.Index(msg, key); j >= 0 {
			return name + ": " + strings.TrimSuffix(msg[j+len(key):], ".")
		}
	}
	// Helm says nothing when, for example, a Deployment has no ReplicaSet yet; replica counts
	// from the object's status say what there is to say.
	if info.Get() == nil && info.Object != nil {
		if u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(info.Object); err == nil {
			want, okWant, _ := unstructured.NestedInt64(u, "spec", "replicas")
			ready, _, _ := unstructured.NestedInt64(u, "status", "readyReplicas")
			if okWant {
				return fmt.Sprintf("%s: %d of %d replicas ready", name, ready, want)
			}
		}
	}
	return name + ": not ready"
}
