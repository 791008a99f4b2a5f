package pool

import (
	"context"
	"fmt"
	"slices"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/gateway"
)

var podGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// CheckCRD refuses a cluster without the v1 InferencePool CRD, and returns the inference release
// the installed CRD comes from ("" when it does not say).
func CheckCRD(ctx context.Context, client apiextensionsclient.Interface) (string, error) {
	crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, PoolCRD, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("the cluster has no InferencePool CRD (%s), so the pool cannot be created; nothing was installed: run igwctl install crds first", PoolCRD)
	}
	if err != nil {
		return "", fmt.Errorf("reading CRD %s: %w", PoolCRD, err)
	}
	return crd.GetAnnotations()[api.BundleVersionAnnotation], nil
}

// CheckGateway refuses a Gateway that does not exist (or a cluster without the Gateway API).
func CheckGateway(ctx context.Context, dc discovery.DiscoveryInterface, dyn dynamic.Interface, ns, name, provider string) error {
	missing, err := gateway.MissingResources(dc, gateway.APIGroupVersion, gateway.APIResources()...)
	if err != nil {
		return err
	}
	install := "igwctl install provider " + provider
	if provider == "" || provider == "none" {
		install = "igwctl install provider istio|agentgateway|nginx|gke"
	}
	if len(missing) > 0 {
		return fmt.Errorf("the cluster does not serve the Gateway API (%s missing), so there is no Gateway %s/%s to route to the pool; nothing was installed: run igwctl install crds, then %s",
			gateway.APIGroupVersion, ns, name, install)
	}
	_, err = dyn.Resource(gateway.GatewayGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("there is no Gateway %s/%s; nothing was installed: create it with %s --gateway %s --gateway-namespace %s, or name an existing one with --gateway and --gateway-namespace",
			ns, name, install, name, ns)
	}
	if err != nil {
		return fmt.Errorf("reading Gateway %s/%s: %w", ns, name, err)
	}
	return nil
}

// MatchingPods counts the pods in ns the selector matches.
func MatchingPods(ctx context.Context, dyn dynamic.Interface, ns string, selector map[string]string) (int, error) {
	list, err := dyn.Resource(podGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return 0, fmt.Errorf("listing pods in %s: %w", ns, err)
	}
	return len(list.Items), nil
}

// Served says, for each InferenceObjective group version, whether the cluster serves it, in the
// shape diagnose.Snapshot.Served takes.
func Served(dc discovery.DiscoveryInterface) (map[string][]string, error) {
	served := map[string][]string{}
	for _, group := range []string{LLMDGroup, LegacyGroup} {
		gv := ObjectiveGVR(group).GroupVersion().String()
		list, err := dc.ServerResourcesForGroupVersion(gv)
		if apierrors.IsNotFound(err) {
			served[gv] = nil
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("asking the API server whether it serves %s: %w", gv, err)
		}
		for _, r := range list.APIResources {
			served[gv] = append(served[gv], r.Name)
		}
	}
	return served, nil
}

// ObjectivesServed reports whether the cluster serves InferenceObjectives in group.
func ObjectivesServed(served map[string][]string, group string) bool {
	return slices.Contains(served[ObjectiveGVR(group).GroupVersion().String()], "inferenceobjectives")
}
