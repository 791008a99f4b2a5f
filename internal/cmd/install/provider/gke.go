package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/providers"
)

// gkeProxySubnet is said for the regional classes, whose requirement igwctl cannot check.
const gkeProxySubnet = "regional load balancer classes (gke-l7-regional-external-managed, gke-l7-rilb) need a proxy-only subnet in the cluster's region and VPC, which igwctl cannot see: gcloud compute networks subnets create proxy-only --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=REGION --network=NETWORK --range=CIDR (see the guide: "

// runManaged checks a managed provider (GKE): it installs no chart, says what is missing and how
// to fix it, fails when something required is missing, and otherwise creates the Gateway.
func runManaged(ctx context.Context, o *Options, p providers.Provider) error {
	if o.Kube == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	dc, err := o.Kube.Discovery()
	if err != nil {
		return err
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	res := &Result{Provider: string(p.Name), Title: p.Title, managed: true}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	class := p.GatewayClass
	if o.GatewayClass != "" {
		class = o.GatewayClass
	}
	if res.Checks, res.GatewayClass, err = gateway.CheckGKE(ctx, dc, dyn, class); err != nil {
		return err
	}
	if strings.Contains(class, "regional") || strings.Contains(class, "rilb") {
		res.Notes = append(res.Notes, gkeProxySubnet+p.Docs+")")
	}
	if failed := gateway.Failed(res.Checks); len(failed) > 0 {
		res.NotReady = append(res.NotReady, "missing: "+strings.Join(failed, ", "))
		if err := cmdutil.Print(o.IO.Out, o.Output, res); err != nil {
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
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// managedGateway creates the Gateway, or in a dry run says what would happen to it.
func (o *Options) managedGateway(ctx context.Context, dyn dynamic.Interface, p providers.Provider) (*Gateway, error) {
	gw, err := o.gatewayObject(p)
	if err != nil {
		return nil, err
	}
	if o.DryRun.Enabled() {
		return o.dryRunGateway(ctx, gw)
	}
	return applyGateway(ctx, dyn, gw, kube.DryRunNone)
}
