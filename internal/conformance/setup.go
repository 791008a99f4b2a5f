package conformance

import (
	"context"
	"fmt"
	"net"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// setUp does what the upstream suite does before its tests: the GatewayClass must be accepted,
// the base is applied, both namespaces must be ready (their Gateways accepted and programmed,
// at least one pod each, every pod Ready), and both Gateways must have an address.
func (s *Suite) setUp(ctx context.Context) error {
	t := s.cfg.Timeouts
	fmt.Fprintf(s.log, "Waiting for GatewayClass %s to be accepted.\n", s.cfg.GatewayClass)
	if err := s.objectCondition(ctx, gvrGatewayClass, "", s.cfg.GatewayClass, cond{typ: "Accepted", status: "True", generation: true}, t.GatewayClassMustHaveCondition); err != nil {
		return fmt.Errorf("setup: %w\n  look at: kubectl get gatewayclass %s -o yaml (is its controller running?)", err, s.cfg.GatewayClass)
	}
	gc, err := s.get(ctx, gvrGatewayClass, "", s.cfg.GatewayClass)
	if err != nil {
		return err
	}
	s.controllerName, _, _ = unstructured.NestedString(gc.Object, "spec", "controllerName")
	fmt.Fprintf(s.log, "Applying the base (2 namespaces, 2 Gateways, 4 model server Deployments, 5 InferencePools with their pickers).\n")
	if err := s.apply(ctx, &s.base, Base(s.cfg.GatewayClass, s.cfg.Images)...); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	fmt.Fprintf(s.log, "Waiting for namespaces %s and %s to be ready.\n", InfraNamespace, AppNamespace)
	saw, err := poll(ctx, t.GatewayObjectPollInterval, t.NamespacesMustBeReady, s.namespacesReady)
	if err := s.mismatch(err, "namespaces "+InfraNamespace+" and "+AppNamespace,
		"every Gateway Accepted and Programmed at its generation, at least one pod in each, every pod Ready", saw, t.NamespacesMustBeReady); err != nil {
		return fmt.Errorf("setup: %w\n  look at: kubectl get gateways,pods -n %s; kubectl get pods -n %s (can the nodes pull %s and %s?)",
			err, InfraNamespace, AppNamespace, s.cfg.Images.Echo, s.cfg.Images.Picker)
	}
	for _, gw := range []string{PrimaryGateway, SecondaryGateway} {
		if err := s.gatewayAddress(ctx, gw); err != nil {
			return fmt.Errorf("setup: %w\n  look at: kubectl get gateway -n %s %s -o yaml", err, InfraNamespace, gw)
		}
	}
	return nil
}

func (s *Suite) namespacesReady(ctx context.Context) (bool, string, error) {
	for _, ns := range []string{InfraNamespace, AppNamespace} {
		gws, err := s.list(ctx, gvrGateway, ns, "")
		if err != nil {
			return false, "", err
		}
		for _, gw := range gws {
			conds, _, _ := unstructured.NestedSlice(gw.Object, "status", "conditions")
			for _, want := range []cond{{typ: "Accepted", status: "True", generation: true}, {typ: "Programmed", status: "True", generation: true}} {
				if got := findCondition(conds, want.typ); !want.meets(got, gw.GetGeneration()) {
					return false, fmt.Sprintf("Gateway %s/%s %s: %s at generation %d", ns, gw.GetName(), want.typ, got, gw.GetGeneration()), nil
				}
			}
		}
		pods, err := s.list(ctx, gvrPod, ns, "")
		if err != nil {
			return false, "", err
		}
		if len(pods) == 0 {
			return false, "no pods in namespace " + ns, nil
		}
		var notReady []string
		for _, p := range pods {
			conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
			if findCondition(conds, "Ready").status != "True" {
				notReady = append(notReady, p.GetName())
			}
		}
		if len(notReady) > 0 {
			return false, fmt.Sprintf("pods not Ready in %s: %s", ns, strings.Join(notReady, ", ")), nil
		}
	}
	return true, "", nil
}

// gatewayAddress waits for the Gateway's first status address and remembers it with the
// listener's port.
func (s *Suite) gatewayAddress(ctx context.Context, name string) error {
	timeout := s.cfg.Timeouts.GatewayMustHaveAddress
	saw, err := poll(ctx, s.cfg.Timeouts.GatewayObjectPollInterval, timeout, func(ctx context.Context) (bool, string, error) {
		gw, err := s.get(ctx, gvrGateway, InfraNamespace, name)
		if err != nil {
			return false, "", err
		}
		addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
		for _, a := range addrs {
			m, _ := a.(map[string]any)
			if v, _ := m["value"].(string); v != "" {
				s.addrs[name] = net.JoinHostPort(v, "80")
				return true, "", nil
			}
		}
		return false, "no status.addresses", nil
	})
	return s.mismatch(err, "Gateway "+nsName(InfraNamespace, name), "an address in status.addresses", saw, timeout)
}
