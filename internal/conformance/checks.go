package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Checks are the checks of the "Gateway" profile, in upstream's order.
func Checks() []Check {
	return []Check{
		{Name: "InferencePoolAccepted", Needs: Status, Run: poolAccepted,
			Description: "An InferencePool a route on the Gateway refers to gets Accepted=True under that Gateway in status.parents."},
		{Name: "HTTPRouteInvalidInferencePoolRef", Needs: Status, Run: invalidPoolRef,
			Description: "A route to an InferencePool that does not exist is Accepted, with ResolvedRefs=False reason BackendNotFound."},
		{Name: "InferencePoolMissingEPPRef", Needs: Status, Run: missingPickerRef,
			Description: "A route to an InferencePool without endpointPickerRef is Accepted; the pool is Accepted, or not with reason EndpointPickerRefMissing."},
		{Name: "InferencePoolInvalidEPPService", Needs: StatusTraffic, Run: invalidPickerService,
			Description: "An InferencePool whose picker Service does not exist gets ResolvedRefs=False, and requests to it fail with a 5xx."},
		{Name: "InferencePoolResolvedRefsCondition", Needs: StatusTraffic, Run: resolvedRefsCondition,
			Description: "A pool routed from two Gateways is accepted under both and reachable through both; removing a route removes that Gateway's parent entry and its traffic."},
		{Name: "InferencePoolHTTPRoutePortValidation", Needs: StatusTraffic, Run: portValidation,
			Description: "A backendRef's port to an InferencePool is ignored: unset, matching and non-matching ports all resolve and serve."},
		{Name: "HTTPRouteMultipleGatewaysDifferentPools", Needs: StatusTraffic, Run: multipleGateways,
			Description: "Two Gateways route to two different pools; each pool is accepted under its Gateway and serves its requests."},
		{Name: "HTTPRouteMultipleRulesDifferentPools", Needs: StatusTraffic, Run: multipleRules,
			Description: "One route with two path rules to two pools sends each path to its pool."},
		{Name: "GatewayFollowingEPPRouting", Needs: Traffic, Run: followPicker,
			Description: "The Gateway sends each request to the pod the endpoint picker chose, for one, two and three allowed pods."},
		{Name: "GatewayFollowingEPPRoutingWithDataParallelism", Needs: Traffic, Run: followPickerDP,
			Description: "With several target ports (data-parallel ranks), the Gateway sends each request to the pod and port the picker chose."},
		{Name: "GatewayWeightedAcrossTwoInferencePools", Needs: Traffic, Run: weightedPools,
			Description: "Route weights 70/30 across two pools split the traffic 70/30, each request served by a pod of the chosen pool."},
		{Name: "GatewayDestinationEndpointServed", Needs: Traffic, Run: destinationServed,
			Description: "The Gateway tells the picker which endpoint served the request (envoy.lb x-gateway-destination-endpoint-served)."},
		{Name: "InferencePoolAppProtocol", Needs: Traffic, Run: appProtocol,
			Description: "Pools with appProtocol kubernetes.io/h2c, http and unset are reached with HTTP/2 cleartext, HTTP/1.1 and HTTP/1.1."},
		{Name: "EppUnAvailableFailOpen", Needs: Traffic, Run: failOpen,
			Description: "With failureMode FailOpen, requests still reach the pool's pods while its endpoint picker is unavailable.",
			Differs:     "upstream makes the primary pool's picker unavailable, which the fail-open pool under test does not use; igwctl makes that pool's own picker unavailable"},
	}
}

// CheckNames are the names of Checks, in order.
func CheckNames() []string {
	var names []string
	for _, c := range Checks() {
		names = append(names, c.Name)
	}
	return names
}

// Select returns the checks named in run (all when empty), in suite order, and an error naming
// the known checks when run or skip names one that does not exist.
func Select(run, skip []string) ([]Check, error) {
	known := CheckNames()
	for _, n := range slices.Concat(run, skip) {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("unknown check %q; known checks: %s", n, strings.Join(known, ", "))
		}
	}
	var out []Check
	for _, c := range Checks() {
		if len(run) == 0 || slices.Contains(run, c.Name) {
			out = append(out, c)
		}
	}
	return out, nil
}

var (
	accepted      = cond{typ: "Accepted", status: "True", reason: "Accepted", generation: true}
	resolved      = cond{typ: "ResolvedRefs", status: "True", reason: "ResolvedRefs", generation: true}
	poolAcceptedC = cond{typ: "Accepted", status: "True", reason: "Accepted"}
)

// routeOK waits until the route is Accepted with its refs resolved by gw, at its generation.
func (s *Suite) routeOK(ctx context.Context, route, gw string) error {
	return lookAt(s.parentCondition(ctx, gvrHTTPRoute, route, gw, s.cfg.Timeouts.HTTPRouteMustHaveCondition, accepted, resolved), "httproute", route)
}

// routeAndPoolsOK waits until the route is accepted by gw, then each of its pools under gw.
func (s *Suite) routeAndPoolsOK(ctx context.Context, route, gw string, pools ...string) error {
	if err := s.routeOK(ctx, route, gw); err != nil {
		return err
	}
	for _, p := range pools {
		if err := s.poolOK(ctx, p, gw); err != nil {
			return err
		}
	}
	return nil
}

// poolOK waits until the pool is Accepted (reason Accepted) under gw.
func (s *Suite) poolOK(ctx context.Context, pool, gw string) error {
	return lookAt(s.parentCondition(ctx, gvrInferencePool, pool, gw, s.cfg.Timeouts.InferencePoolMustHaveCondition, poolAcceptedC), "inferencepool", pool)
}

// lookAt adds to a failure the command that shows the object it is about.
func lookAt(err error, resource, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w\n  look at: kubectl get %s -n %s %s -o yaml", err, resource, AppNamespace, name)
}

func poolAccepted(ctx context.Context, s *Suite) error {
	const route = "httproute-for-inferencepool-accepted"
	if err := s.use(ctx, httpRoute(route, PrimaryGateway, nil, rule{"/", []backend{{pool: PrimaryPool}}})); err != nil {
		return err
	}
	return lookAt(s.parentCondition(ctx, gvrInferencePool, PrimaryPool, PrimaryGateway, s.cfg.Timeouts.InferencePoolMustHaveCondition,
		cond{typ: "Accepted", status: "True"}), "inferencepool", PrimaryPool)
}

func invalidPoolRef(ctx context.Context, s *Suite) error {
	const route = "httproute-to-non-existent-pool"
	if err := s.use(ctx, httpRoute(route, PrimaryGateway, nil, rule{"/invalid-pool-ref", []backend{{pool: "non-existent-inference-pool"}}})); err != nil {
		return err
	}
	return lookAt(s.parentCondition(ctx, gvrHTTPRoute, route, PrimaryGateway, s.cfg.Timeouts.HTTPRouteMustHaveCondition,
		accepted, cond{typ: "ResolvedRefs", status: "False", reason: "BackendNotFound", generation: true}), "httproute", route)
}

func missingPickerRef(ctx context.Context, s *Suite) error {
	const pool, route = "pool-with-missing-epp-ref", "httproute-for-missing-epp-ref-pool"
	if err := s.use(ctx, inferencePool(poolSpec{name: pool, app: "primary-inference-model-server", ports: []int{3000}}),
		httpRoute(route, PrimaryGateway, nil, rule{"/missing-epp-ref", []backend{{pool: pool}}})); err != nil {
		return err
	}
	if err := lookAt(s.parentCondition(ctx, gvrHTTPRoute, route, PrimaryGateway, s.cfg.Timeouts.HTTPRouteMustHaveCondition, accepted), "httproute", route); err != nil {
		return err
	}
	return lookAt(s.parentMatch(ctx, gvrInferencePool, pool, PrimaryGateway, s.cfg.Timeouts.InferencePoolMustHaveCondition,
		[]cond{{typ: "Accepted", status: "True"}},
		[]cond{{typ: "Accepted", status: "False", reason: "EndpointPickerRefMissing"}}), "inferencepool", pool)
}

func invalidPickerService(ctx context.Context, s *Suite) error {
	const pool, route = "pool-with-invalid-epp", "httproute-for-invalid-epp-pool"
	if err := s.use(ctx, inferencePool(poolSpec{name: pool, app: "primary-inference-model-server", ports: []int{3000}, picker: "non-existent-epp-svc"}),
		httpRoute(route, PrimaryGateway, nil, rule{"/invalid-epp-test", []backend{{pool: pool}}})); err != nil {
		return err
	}
	if err := lookAt(s.parentCondition(ctx, gvrHTTPRoute, route, PrimaryGateway, s.cfg.Timeouts.HTTPRouteMustHaveCondition,
		cond{typ: "Accepted", status: "True", generation: true}), "httproute", route); err != nil {
		return err
	}
	if err := lookAt(s.parentCondition(ctx, gvrInferencePool, pool, PrimaryGateway, s.cfg.Timeouts.InferencePoolMustHaveCondition,
		cond{typ: "ResolvedRefs", status: "False"}), "inferencepool", pool); err != nil {
		return err
	}
	return lookAt(s.eventually(ctx, request{gateway: PrimaryGateway, path: "/invalid-epp-test"}, expect{status: []int{500, 501, 502, 503, 504}}),
		"inferencepool", pool)
}
