package conformance

import (
	"context"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// drop deletes one of the running check's objects now, rather than when the check ends.
func (s *Suite) drop(ctx context.Context, o *unstructured.Unstructured) error {
	if err := s.remove(ctx, []*unstructured.Unstructured{o}); err != nil {
		return err
	}
	for i, x := range s.owned {
		if x == o {
			s.owned = append(s.owned[:i], s.owned[i+1:]...)
			break
		}
	}
	return nil
}

func resolvedRefsCondition(ctx context.Context, s *Suite) error {
	const primaryRoute, secondaryRoute = "httproute-for-primary-gw", "httproute-for-secondary-gw"
	primary := httpRoute(primaryRoute, PrimaryGateway, nil, rule{"/resolvedrefs-test", []backend{{pool: PrimaryPool}}})
	secondary := httpRoute(secondaryRoute, SecondaryGateway, []string{SecondaryHostname}, rule{"/resolvedrefs-test", []backend{{pool: PrimaryPool}}})
	if err := s.use(ctx, primary, secondary); err != nil {
		return err
	}
	viaPrimary := request{gateway: PrimaryGateway, path: "/resolvedrefs-test"}
	viaSecondary := request{gateway: SecondaryGateway, host: SecondaryHostname, path: "/resolvedrefs-test"}
	served := expect{podPrefix: PrimaryPodPrefix, namespace: AppNamespace}
	notFound := expect{status: []int{http.StatusNotFound}}
	for _, gw := range []string{PrimaryGateway, SecondaryGateway} {
		if err := s.poolOK(ctx, PrimaryPool, gw); err != nil {
			return err
		}
	}
	for _, r := range []request{viaPrimary, viaSecondary} {
		if err := s.eventually(ctx, r, served); err != nil {
			return err
		}
	}
	if err := s.drop(ctx, primary); err != nil {
		return err
	}
	// Upstream gives the implementation this long to notice the deletion before it looks.
	select {
	case <-time.After(s.cfg.Timeouts.HTTPRouteDeletionReconciliationTimeout):
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := s.poolOK(ctx, PrimaryPool, SecondaryGateway); err != nil {
		return err
	}
	if err := s.eventually(ctx, viaPrimary, notFound); err != nil {
		return lookAt(err, "httproute", primaryRoute)
	}
	if err := s.eventually(ctx, viaSecondary, served); err != nil {
		return err
	}
	if err := s.drop(ctx, secondary); err != nil {
		return err
	}
	if err := lookAt(s.poolHasNoParents(ctx, PrimaryPool), "inferencepool", PrimaryPool); err != nil {
		return err
	}
	return s.eventually(ctx, viaSecondary, notFound)
}

func portValidation(ctx context.Context, s *Suite) error {
	routes := []struct {
		name, path string
		port       int
	}{
		{"httproute-pool-port-unspecified", "/test-port-unspecified", 0},
		{"httproute-pool-port-matching", "/test-port-matching", 3000},
		{"httproute-pool-port-non-matching", "/test-port-non-matching", 8888},
	}
	for _, r := range routes {
		if err := s.use(ctx, httpRoute(r.name, PrimaryGateway, nil, rule{r.path, []backend{{pool: PrimaryPool, port: r.port}}})); err != nil {
			return err
		}
	}
	for _, r := range routes {
		if err := s.routeOK(ctx, r.name, PrimaryGateway); err != nil {
			return err
		}
	}
	if err := s.poolOK(ctx, PrimaryPool, PrimaryGateway); err != nil {
		return err
	}
	for _, r := range routes {
		if err := s.eventually(ctx, request{gateway: PrimaryGateway, path: r.path}, expect{podPrefix: PrimaryPodPrefix, namespace: AppNamespace}); err != nil {
			return lookAt(err, "httproute", r.name)
		}
	}
	return nil
}

func multipleGateways(ctx context.Context, s *Suite) error {
	const primaryRoute, secondaryRoute = "route-for-primary-gateway", "route-for-secondary-gateway"
	if err := s.use(ctx,
		httpRoute(primaryRoute, PrimaryGateway, nil, rule{"/test-primary-gateway", []backend{{pool: PrimaryPool}}}),
		httpRoute(secondaryRoute, SecondaryGateway, []string{SecondaryHostname}, rule{"/test-secondary-gateway", []backend{{pool: SecondaryPool}}}),
	); err != nil {
		return err
	}
	cases := []struct {
		route, gw, pool, host, path, prefix string
	}{
		{primaryRoute, PrimaryGateway, PrimaryPool, "", "/test-primary-gateway", PrimaryPodPrefix},
		{secondaryRoute, SecondaryGateway, SecondaryPool, SecondaryHostname, "/test-secondary-gateway", SecondaryPodPrefix},
	}
	for _, c := range cases {
		if err := s.routeAndPoolsOK(ctx, c.route, c.gw, c.pool); err != nil {
			return err
		}
	}
	for _, c := range cases {
		if err := s.eventually(ctx, request{gateway: c.gw, host: c.host, path: c.path}, expect{podPrefix: c.prefix, namespace: AppNamespace}); err != nil {
			return lookAt(err, "httproute", c.route)
		}
	}
	return nil
}

func multipleRules(ctx context.Context, s *Suite) error {
	const route = "httproute-multiple-rules-different-pools"
	if err := s.use(ctx, httpRoute(route, PrimaryGateway, nil,
		rule{"/primary", []backend{{pool: PrimaryPool}}},
		rule{"/secondary", []backend{{pool: SecondaryPool}}})); err != nil {
		return err
	}
	if err := s.routeAndPoolsOK(ctx, route, PrimaryGateway, PrimaryPool, SecondaryPool); err != nil {
		return err
	}
	for path, prefix := range map[string]string{"/primary": PrimaryPodPrefix, "/secondary": SecondaryPodPrefix} {
		if err := s.eventually(ctx, request{gateway: PrimaryGateway, path: path}, expect{podPrefix: prefix, namespace: AppNamespace}); err != nil {
			return lookAt(err, "httproute", route)
		}
	}
	return nil
}
