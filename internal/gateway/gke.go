package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/providers"
)

// Check is one readiness check: what it looked at and, when that is missing, the finding.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail is what was seen when OK; a failed check says it in Finding.Message.
	Detail  string            `json:"detail,omitempty"`
	Finding *diagnose.Finding `json:"finding,omitempty"`
}

// Seen is what the check saw, passed or not.
func (c Check) Seen() string {
	if c.Finding != nil {
		return c.Finding.Message
	}
	return c.Detail
}

func passed(name, detail string) Check { return Check{Name: name, OK: true, Detail: detail} }

func failed(name string, code diagnose.Code, obj diagnose.Object, message, fix string) Check {
	return Check{Name: name, Finding: &diagnose.Finding{Code: code, Severity: diagnose.Error, Object: obj, Message: message, Fix: fix}}
}

// Failed names the checks that did not pass.
func Failed(checks []Check) []string {
	var names []string
	for _, c := range checks {
		if !c.OK {
			names = append(names, c.Name)
		}
	}
	return names
}

// The fixes the GKE checks give.
const (
	gkeEnableGatewayAPI = "enable GKE's Gateway API: gcloud container clusters update CLUSTER --location=LOCATION --gateway-api=standard (needs GKE 1.24+; the Gateway controller then installs the CRDs and the gke-l7-* GatewayClasses within minutes)"
	gkeInstallPool      = "install the InferencePool CRD without touching GKE's Gateway API CRDs: igwctl install crds --gateway-api none"
)

// CheckGKE checks what GKE's managed gateway must provide before an inference gateway can use
// class: the Gateway API, the GatewayClass, and the InferencePool CRD (which GKE does not
// install). It returns the class's status when the class exists.
func CheckGKE(ctx context.Context, dc discovery.DiscoveryInterface, dyn dynamic.Interface, class string) ([]Check, *ClassStatus, error) {
	api, err := gatewayAPICheck(dc)
	if err != nil {
		return nil, nil, err
	}
	cls, st, err := gkeClassCheck(ctx, dyn, class, api.OK)
	if err != nil {
		return nil, nil, err
	}
	pool, err := poolCRDCheck(dc)
	if err != nil {
		return nil, nil, err
	}
	return []Check{api, cls, pool}, st, nil
}

// gatewayAPICheck: GKE's Gateway controller installs the Gateway API CRDs itself.
func gatewayAPICheck(dc discovery.DiscoveryInterface) (Check, error) {
	const name = "Gateway API CRDs"
	missing, err := MissingResources(dc, APIGroupVersion, APIResources()...)
	if err != nil {
		return Check{}, err
	}
	if len(missing) == 0 {
		return passed(name, APIGroupVersion+" gatewayclasses, gateways and httproutes are served"), nil
	}
	return failed(name, diagnose.GatewayAPINotServed, diagnose.Object{},
		fmt.Sprintf("%s %s not served", APIGroupVersion, strings.Join(missing, ", ")), gkeEnableGatewayAPI), nil
}

// gkeClassCheck looks for class among the cluster's GatewayClasses and names the GKE ones there
// are.
func gkeClassCheck(ctx context.Context, dyn dynamic.Interface, class string, gatewayAPI bool) (Check, *ClassStatus, error) {
	name, obj := "GatewayClass "+class, diagnose.Object{Kind: "GatewayClass", Name: class}
	if !gatewayAPI {
		return failed(name, diagnose.GatewayClassMissing, obj, "cannot exist without the Gateway API CRDs", gkeEnableGatewayAPI), nil, nil
	}
	list, err := dyn.Resource(GatewayClassGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return Check{}, nil, fmt.Errorf("listing GatewayClasses: %w", err)
	}
	var all, gke []string
	for _, gc := range list.Items {
		all = append(all, gc.GetName())
		if strings.HasPrefix(gc.GetName(), providers.GKEClassPrefix) {
			gke = append(gke, gc.GetName())
		}
	}
	slices.Sort(gke)
	switch {
	case slices.Contains(all, class):
		st, err := GatewayClassStatus(ctx, dyn, class)
		if err != nil {
			return Check{}, nil, err
		}
		detail := "present and accepted"
		if !st.Accepted {
			detail = "present, not accepted yet: " + st.Reason
		}
		if others := slices.DeleteFunc(slices.Clone(gke), func(s string) bool { return s == class }); len(others) > 0 {
			detail += "; other GKE classes: " + strings.Join(others, ", ")
		}
		return passed(name, detail), &st, nil
	case len(gke) > 0:
		return failed(name, diagnose.GatewayClassMissing, obj, "not present; GKE classes present: "+strings.Join(gke, ", "),
			"use one of them with --gateway-class, or enable the class's load balancer type for the cluster"), nil, nil
	}
	return failed(name, diagnose.GatewayClassMissing, obj,
		"not present, and no "+providers.GKEClassPrefix+"* GatewayClass is: GKE's Gateway controller is not enabled", gkeEnableGatewayAPI), nil, nil
}

// poolCRDCheck: GKE serves the Gateway API but not the inference extension's InferencePool.
func poolCRDCheck(dc discovery.DiscoveryInterface) (Check, error) {
	const name, gv = "InferencePool CRD", "inference.networking.k8s.io/v1"
	missing, err := MissingResources(dc, gv, "inferencepools")
	if err != nil {
		return Check{}, err
	}
	if len(missing) == 0 {
		return passed(name, gv+" inferencepools is served"), nil
	}
	return failed(name, diagnose.InferencePoolNotServed, diagnose.Object{Kind: "CustomResourceDefinition", Name: "inferencepools.inference.networking.k8s.io"},
		gv+" inferencepools is not served", gkeInstallPool), nil
}
