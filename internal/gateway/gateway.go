// Package gateway is what igwctl reads and writes about a cluster's inference gateway, for every
// command that needs it: whether the cluster serves the Gateway API, GatewayClass acceptance,
// the Gateway igwctl applies, whether the Deployments behind it are ready, and each managed
// provider's readiness checks as diagnose findings.
package gateway

import (
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// Resources igwctl reads and writes here.
var (
	GatewayGVR      = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	GatewayClassGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	deploymentGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	namespaceGVR    = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// APIGroupVersion is the Gateway API version igwctl needs.
const APIGroupVersion = "gateway.networking.k8s.io/v1"

// APIResources are the Gateway API resources an inference gateway needs served.
func APIResources() []string { return []string{"gatewayclasses", "gateways", "httproutes"} }

// MissingResources returns which of resources the API server does not serve in groupVersion
// (all of them when the group version is not served at all).
func MissingResources(dc discovery.DiscoveryInterface, groupVersion string, resources ...string) ([]string, error) {
	list, err := dc.ServerResourcesForGroupVersion(groupVersion)
	if apierrors.IsNotFound(err) {
		return resources, nil
	}
	if err != nil {
		return nil, fmt.Errorf("asking the API server whether it serves %s: %w", groupVersion, err)
	}
	var missing []string
	for _, r := range resources {
		if !slices.ContainsFunc(list.APIResources, func(a metav1.APIResource) bool { return a.Name == r }) {
			missing = append(missing, r)
		}
	}
	return missing, nil
}
