package standin

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// GatewayFaults are the ways a GatewayController can be wrong, one conformance check's worth each.
type GatewayFaults struct {
	// WrongBackendNotFoundReason writes reason InvalidBackend where a route's pool is missing.
	WrongBackendNotFoundReason bool
	// NoRouteObservedGeneration leaves observedGeneration out of HTTPRoute conditions.
	NoRouteObservedGeneration bool
	// IgnorePicker sends each request to the pool's first endpoint, whatever the picker chose.
	IgnorePicker bool
	// IgnoreWeights sends every request of a rule to its first backend.
	IgnoreWeights bool
	// NeverFailOpen answers 503 when a FailOpen pool's picker is unavailable.
	NeverFailOpen bool
	// AlwaysFailOpen serves a FailClose pool's pods when its picker is unavailable.
	AlwaysFailOpen bool
	// NoServedMetadata leaves out the served endpoint the picker reads on the response.
	NoServedMetadata bool
	// HTTP1Only speaks HTTP/1.1 to every pool, appProtocol kubernetes.io/h2c too.
	HTTP1Only bool
	// NoPoolParentNamespace leaves namespace out of each InferencePool status.parents[].parentRef,
	// which the API allows but leaves the parent ambiguous.
	NoPoolParentNamespace bool
}

// GatewayOptions configure a GatewayController.
type GatewayOptions struct {
	// ControllerName is the GatewayClass controllerName the controller implements.
	ControllerName string
	// Addresses gives each Gateway (by name) the address it is served on, port 80.
	Addresses map[string]string
	// PodIP returns the IP of the n-th pod the controller starts (n from 1); the test serves its
	// echo servers and pickers there.
	PodIP  func(n int) string
	Faults GatewayFaults
}

// GatewayController stands in for a Gateway implementation with inference support and for the
// cluster's own controllers, by polling the test bed: it accepts GatewayClasses of its controller
// name, accepts and programs their Gateways, writes HTTPRoute and InferencePool status.parents
// (with observedGeneration), runs Deployments as Ready pods (serving echo servers and test
// endpoint pickers on their IPs), keeps EndpointSlices of Services, and serves each Gateway's
// traffic: route matching, the picker over ext_proc, forwarding to the chosen pod.
type GatewayController struct {
	dyn   dynamic.Interface
	opts  GatewayOptions
	start metav1.Time

	mu    sync.Mutex
	snap  snapshot
	pods  map[string]*runningPod // namespace/name
	gws   map[string]*gatewayServer
	nextN int
}

// snapshot is what the data plane reads, refreshed every poll.
type snapshot struct {
	gateways, routes, pools, services, slices, pods []unstructured.Unstructured
}

var (
	gvrGatewayClasses = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	gvrGateways       = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	gvrHTTPRoutes     = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	gvrPools          = schema.GroupVersionResource{Group: "inference.networking.k8s.io", Version: "v1", Resource: "inferencepools"}
	gvrDeployments    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrServices       = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrPods           = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrSlices         = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// StartGatewayController runs the controller until the test ends.
func StartGatewayController(t testing.TB, cfg *rest.Config, o GatewayOptions) *GatewayController {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &GatewayController{dyn: dyn, opts: o, start: metav1.NewTime(time.Now().Truncate(time.Second)),
		pods: map[string]*runningPod{}, gws: map[string]*gatewayServer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := c.reconcile(ctx); err != nil && ctx.Err() == nil {
				t.Logf("gateway stand-in: %v", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.pods {
			p.stop()
		}
		for _, g := range c.gws {
			g.close()
		}
	})
	return c
}

func (c *GatewayController) list(ctx context.Context, gvr schema.GroupVersionResource) ([]unstructured.Unstructured, error) {
	l, err := c.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c *GatewayController) reconcile(ctx context.Context) error {
	if err := c.classes(ctx); err != nil {
		return err
	}
	if err := c.workloads(ctx); err != nil {
		return err
	}
	var s snapshot
	var err error
	for _, x := range []struct {
		gvr  schema.GroupVersionResource
		into *[]unstructured.Unstructured
	}{{gvrGateways, &s.gateways}, {gvrHTTPRoutes, &s.routes}, {gvrPools, &s.pools}, {gvrServices, &s.services}, {gvrSlices, &s.slices}, {gvrPods, &s.pods}} {
		if *x.into, err = c.list(ctx, x.gvr); err != nil {
			return err
		}
	}
	s.gateways = c.ours(ctx, s.gateways)
	if err := c.gateways(ctx, s.gateways); err != nil {
		return err
	}
	if err := c.routeStatuses(ctx, &s); err != nil {
		return err
	}
	c.mu.Lock()
	c.snap = s
	c.mu.Unlock()
	return nil
}

// current is the latest snapshot.
func (c *GatewayController) current() snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

func (c *GatewayController) condition(typ, status, reason string, gen int64) map[string]any {
	m := map[string]any{"type": typ, "status": status, "reason": reason, "message": "set by the test's gateway stand-in",
		"lastTransitionTime": c.start.UTC().Format(time.RFC3339)}
	if gen >= 0 {
		m["observedGeneration"] = gen
	}
	return m
}

// writeStatus replaces u's status with status, when it differs.
func (c *GatewayController) writeStatus(ctx context.Context, gvr schema.GroupVersionResource, u *unstructured.Unstructured, status map[string]any) error {
	if reflect.DeepEqual(u.Object["status"], status) {
		return nil
	}
	u = u.DeepCopy()
	u.Object["status"] = status
	r := c.dyn.Resource(gvr).Namespace(u.GetNamespace())
	if u.GetNamespace() == "" {
		_, err := c.dyn.Resource(gvr).UpdateStatus(ctx, u, metav1.UpdateOptions{})
		return ignoreConflict(err)
	}
	_, err := r.UpdateStatus(ctx, u, metav1.UpdateOptions{})
	return ignoreConflict(err)
}

func ignoreConflict(err error) error {
	if err != nil && (isConflict(err) || isNotFound(err)) {
		return nil
	}
	return err
}

func (c *GatewayController) classes(ctx context.Context) error {
	classes, err := c.list(ctx, gvrGatewayClasses)
	if err != nil {
		return err
	}
	for _, gc := range classes {
		if name, _, _ := unstructured.NestedString(gc.Object, "spec", "controllerName"); name != c.opts.ControllerName {
			continue
		}
		st := map[string]any{"conditions": []any{c.condition("Accepted", "True", "Accepted", gc.GetGeneration())}}
		if err := c.writeStatus(ctx, gvrGatewayClasses, &gc, st); err != nil {
			return err
		}
	}
	return nil
}

// ours keeps the Gateways of a class this controller implements.
func (c *GatewayController) ours(ctx context.Context, gws []unstructured.Unstructured) []unstructured.Unstructured {
	classes, _ := c.list(ctx, gvrGatewayClasses)
	mine := map[string]bool{}
	for _, gc := range classes {
		if name, _, _ := unstructured.NestedString(gc.Object, "spec", "controllerName"); name == c.opts.ControllerName {
			mine[gc.GetName()] = true
		}
	}
	var out []unstructured.Unstructured
	for _, gw := range gws {
		if class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName"); mine[class] {
			out = append(out, gw)
		}
	}
	return out
}

// gateways accepts and programs each Gateway, gives it its address, serves it, and runs its
// proxy pod (real implementations run one in the Gateway's namespace; the suite waits for it).
func (c *GatewayController) gateways(ctx context.Context, gws []unstructured.Unstructured) error {
	for _, gw := range gws {
		addr, ok := c.opts.Addresses[gw.GetName()]
		if !ok {
			continue
		}
		if err := c.serveGateway(gw.GetNamespace(), gw.GetName(), addr); err != nil {
			return err
		}
		gen := gw.GetGeneration()
		st := map[string]any{
			"addresses":  []any{map[string]any{"type": "IPAddress", "value": addr}},
			"conditions": []any{c.condition("Accepted", "True", "Accepted", gen), c.condition("Programmed", "True", "Programmed", gen)},
		}
		if err := c.writeStatus(ctx, gvrGateways, &gw, st); err != nil {
			return err
		}
		if err := c.ensurePod(ctx, gw.GetNamespace(), gw.GetName()+"-proxy", map[string]any{"gateway": gw.GetName()}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *GatewayController) serveGateway(ns, name, addr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.gws[ns+"/"+name]; ok {
		return nil
	}
	g, err := newGatewayServer(c, ns, name, addr)
	if err != nil {
		return fmt.Errorf("serving Gateway %s/%s on %s: %w", ns, name, addr, err)
	}
	c.gws[ns+"/"+name] = g
	return nil
}
