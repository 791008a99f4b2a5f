package gateway

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/helm"
)

// NotReadyDeployments reads the Deployments among objects once and describes those without all
// replicas ready, e.g. "Deployment istio-system/istiod: 0 of 1 replicas ready". Objects without a
// namespace are in defaultNS.
func NotReadyDeployments(ctx context.Context, dyn dynamic.Interface, objects []helm.Object, defaultNS string) ([]string, error) {
	var out []string
	for _, o := range objects {
		if o.Kind != "Deployment" || !strings.HasPrefix(o.APIVersion, "apps/") {
			continue
		}
		ns := o.Namespace
		if ns == "" {
			ns = defaultNS
		}
		d, err := dyn.Resource(deploymentGVR).Namespace(ns).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				out = append(out, fmt.Sprintf("Deployment %s/%s: not found", ns, o.Name))
				continue
			}
			return nil, fmt.Errorf("reading Deployment %s/%s: %w", ns, o.Name, err)
		}
		want, ok, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		if !ok {
			want = 1
		}
		ready, _, _ := unstructured.NestedInt64(d.Object, "status", "readyReplicas")
		if ready < want {
			out = append(out, fmt.Sprintf("Deployment %s/%s: %d of %d replicas ready", ns, o.Name, ready, want))
		}
	}
	return out, nil
}
