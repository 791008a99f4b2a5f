package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/install"
	catalog "github.com/igw-dev/igw/internal/install/provider"
	"github.com/igw-dev/igw/internal/kube"
)

// The fixes runManaged suggests.
const (
	gkeEnableGatewayAPI = "enable GKE's Gateway API: gcloud container clusters update CLUSTER --location=LOCATION --gateway-api=standard (needs GKE 1.24+; the Gateway controller then installs the CRDs and the gke-l7-* GatewayClasses within minutes)"
	gkeInstallPool      = "install the InferencePool CRD without touching GKE's Gateway API CRDs: igwctl install crds --gateway-api none"
	gkeProxySubnet      = "regional load balancer classes (gke-l7-regional-external-managed, gke-l7-rilb) need a proxy-only subnet in the cluster's region and VPC, which igwctl cannot see: gcloud compute networks subnets create proxy-only --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=REGION --network=NETWORK --range=CIDR (see the guide: "
)

// runManaged checks a managed provider (GKE): it installs no chart, says what is missing and how
// to fix it, fails when something required is missing, and otherwise creates the Gateway.
func runManaged(ctx context.Context, o *Options, p catalog.Provider) error {
	f := o.Factory
	if f == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, f); err != nil {
		return err
	}
	dc, err := f.Discovery()
	if err != nil {
		return err
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return err
	}
	res := &Result{Provider: string(p.Name), Title: p.Title, DryRun: o.DryRun}
	class := p.GatewayClass
	if o.GatewayClass != "" {
		class = o.GatewayClass
	}
	gwAPI, err := gatewayAPICheck(dc)
	if err != nil {
		return err
	}
	classCheck, st, err := gatewayClassCheck(ctx, dyn, class, gwAPI.OK)
	if err != nil {
		return err
	}
	res.GatewayClass = st
	pool, err := poolCRDCheck(dc)
	if err != nil {
		return err
	}
	res.Checks = append(res.Checks, gwAPI, classCheck, pool)
	if strings.Contains(class, "regional") || strings.Contains(class, "rilb") {
		res.Notes = append(res.Notes, gkeProxySubnet+p.Docs+")")
	}
	if o.Output == install.OutputText {
		fmt.Fprintf(o.IO.Out, "%s: igwctl installs nothing; checking the cluster:\n", p.Title)
	}
	if failed := failedChecks(res.Checks); len(failed) > 0 {
		res.NotReady = append(res.NotReady, "missing: "+strings.Join(failed, ", "))
		if err := printChecks(o, res); err != nil {
			return err
		}
		return fmt.Errorf("GKE is not ready for the inference gateway: %s missing (fixes above); nothing was created", strings.Join(failed, ", "))
	}
	if !o.NoGateway {
		if res.Gateway, err = o.managedGateway(ctx, dyn, p); err != nil {
			return err
		}
	}
	res.Ready = res.GatewayClass != nil && res.GatewayClass.Accepted
	if !res.Ready {
		res.NotReady = append(res.NotReady, fmt.Sprintf("GatewayClass %s not accepted: %s", class, res.GatewayClass.Reason))
	}
	return printChecks(o, res)
}

// gatewayAPICheck: GKE's Gateway controller installs the Gateway API CRDs itself.
func gatewayAPICheck(dc discovery.DiscoveryInterface) (Check, error) {
	missing, err := MissingResources(dc, GatewayAPIGroupVersion, "gatewayclasses", "gateways", "httproutes")
	if err != nil {
		return Check{}, err
	}
	c := Check{Name: "Gateway API CRDs", OK: len(missing) == 0}
	if c.OK {
		c.Detail = GatewayAPIGroupVersion + " gatewayclasses, gateways and httproutes are served"
	} else {
		c.Detail = fmt.Sprintf("%s %s not served", GatewayAPIGroupVersion, strings.Join(missing, ", "))
		c.Fix = gkeEnableGatewayAPI
	}
	return c, nil
}

// gatewayClassCheck looks for class among the cluster's GatewayClasses and names the GKE ones
// there are. It returns the class's status when the class exists.
func gatewayClassCheck(ctx context.Context, dyn dynamic.Interface, class string, gatewayAPI bool) (Check, *ClassStatus, error) {
	c := Check{Name: "GatewayClass " + class}
	if !gatewayAPI {
		c.Detail = "cannot exist without the Gateway API CRDs"
		c.Fix = gkeEnableGatewayAPI
		return c, nil, nil
	}
	list, err := dyn.Resource(GatewayClassGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return c, nil, fmt.Errorf("listing GatewayClasses: %w", err)
	}
	var gke []string
	for _, gc := range list.Items {
		if strings.HasPrefix(gc.GetName(), catalog.GKEClassPrefix) {
			gke = append(gke, gc.GetName())
		}
	}
	slices.Sort(gke)
	switch {
	case slices.Contains(gke, class) || slices.ContainsFunc(list.Items, func(u unstructured.Unstructured) bool { return u.GetName() == class }):
		st, err := GatewayClassStatus(ctx, dyn, class)
		if err != nil {
			return c, nil, err
		}
		c.OK = true
		c.Detail = "present"
		if st.Accepted {
			c.Detail += " and accepted"
		} else {
			c.Detail += ", not accepted yet: " + st.Reason
		}
		if others := slices.DeleteFunc(slices.Clone(gke), func(s string) bool { return s == class }); len(others) > 0 {
			c.Detail += "; other GKE classes: " + strings.Join(others, ", ")
		}
		return c, &st, nil
	case len(gke) > 0:
		c.Detail = "not present; GKE classes present: " + strings.Join(gke, ", ")
		c.Fix = "use one of them with --gateway-class, or enable the class's load balancer type for the cluster"
	default:
		c.Detail = "not present, and no " + catalog.GKEClassPrefix + "* GatewayClass is: GKE's Gateway controller is not enabled"
		c.Fix = gkeEnableGatewayAPI
	}
	return c, nil, nil
}

// poolCRDCheck: GKE serves the Gateway API but not the inference extension's InferencePool.
func poolCRDCheck(dc discovery.DiscoveryInterface) (Check, error) {
	missing, err := MissingResources(dc, "inference.networking.k8s.io/v1", "inferencepools")
	if err != nil {
		return Check{}, err
	}
	c := Check{Name: "InferencePool CRD", OK: len(missing) == 0}
	if c.OK {
		c.Detail = "inference.networking.k8s.io/v1 inferencepools is served"
	} else {
		c.Detail = "inference.networking.k8s.io/v1 inferencepools is not served"
		c.Fix = gkeInstallPool
	}
	return c, nil
}

func failedChecks(checks []Check) []string {
	var failed []string
	for _, c := range checks {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	return failed
}

// managedGateway creates the Gateway, or in a dry run says it would.
func (o *Options) managedGateway(ctx context.Context, dyn dynamic.Interface, p catalog.Provider) (*Gateway, error) {
	gw, err := o.gatewayObject(p)
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		g := gatewayInfo(gw)
		g.Action = "would apply"
		return g, nil
	}
	return applyGateway(ctx, o, dyn, gw)
}

func printChecks(o *Options, res *Result) error {
	if o.Output != install.OutputText {
		return cmdutil.PrintData(o.IO.Out, string(o.Output), res)
	}
	w := o.IO.Out
	for _, c := range res.Checks {
		mark := "ok     "
		if !c.OK {
			mark = "MISSING"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(w, "          fix: %s\n", c.Fix)
		}
	}
	if g := res.Gateway; g != nil {
		fmt.Fprintf(w, "Gateway %s/%s %s (gatewayClassName %s)\n", g.Namespace, g.Name, g.Action, g.Class)
	}
	if len(res.NotReady) == 0 && res.Ready {
		fmt.Fprintf(w, "%s is ready for the inference gateway\n", res.Title)
	} else if len(res.Checks) > 0 && !slices.ContainsFunc(res.Checks, func(c Check) bool { return !c.OK }) {
		fmt.Fprintf(w, "%s has everything required, but is not ready: %s\n", res.Title, strings.Join(res.NotReady, "; "))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
