package standin

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// gatewayServer is one Gateway's data plane on its address, port 80.
type gatewayServer struct {
	c        *GatewayController
	ns, name string
	srv      *http.Server
	h1, h2c  *http.Transport
}

func newGatewayServer(c *GatewayController, ns, name, addr string) (*gatewayServer, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "80"))
	if err != nil {
		return nil, err
	}
	g := &gatewayServer{c: c, ns: ns, name: name, h1: &http.Transport{MaxIdleConnsPerHost: 16}}
	g.h2c = &http.Transport{Protocols: new(http.Protocols), TLSClientConfig: &tls.Config{}}
	g.h2c.Protocols.SetUnencryptedHTTP2(true)
	g.srv = &http.Server{Handler: g}
	go g.srv.Serve(l)
	return g, nil
}

func (g *gatewayServer) close() {
	g.srv.Close()
	g.h1.CloseIdleConnections()
	g.h2c.CloseIdleConnections()
}

// match finds the backends of the rule this request takes: routes attached to this Gateway
// whose hostnames take the host, the longest path prefix winning.
func (g *gatewayServer) match(s snapshot, host, path string) (ns string, backends []any, ok bool) {
	gw := findObj(s.gateways, g.ns, g.name)
	if gw == nil {
		return "", nil, false
	}
	listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	for _, l := range listeners {
		if h, _ := l.(map[string]any)["hostname"].(string); h != "" && h != host {
			return "", nil, false
		}
	}
	best := -1
	for i := range s.routes {
		route := &s.routes[i]
		if parents, _ := parentsOf(route, []unstructured.Unstructured{*gw}); len(parents) == 0 {
			continue
		}
		hosts, _, _ := unstructured.NestedStringSlice(route.Object, "spec", "hostnames")
		if len(hosts) > 0 && !containsString(hosts, host) {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
		for _, r := range rules {
			rm := r.(map[string]any)
			prefix := "/"
			if ms, _ := rm["matches"].([]any); len(ms) > 0 {
				if v, ok, _ := unstructured.NestedString(ms[0].(map[string]any), "path", "value"); ok {
					prefix = v
				}
			}
			if pathHasPrefix(path, prefix) && len(prefix) > best {
				best, ns = len(prefix), route.GetNamespace()
				backends, _ = rm["backendRefs"].([]any)
			}
		}
	}
	return ns, backends, best >= 0
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pathHasPrefix(path, prefix string) bool {
	if prefix == "/" || path == prefix {
		return true
	}
	return strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

func (g *gatewayServer) pickBackend(backends []any) map[string]any {
	if g.c.opts.Faults.IgnoreWeights || len(backends) == 1 {
		return backends[0].(map[string]any)
	}
	total := int64(0)
	for _, b := range backends {
		total += weight(b)
	}
	n := rand.Int64N(max(total, 1))
	for _, b := range backends {
		if n -= weight(b); n < 0 {
			return b.(map[string]any)
		}
	}
	return backends[0].(map[string]any)
}

func weight(b any) int64 {
	if w, ok := b.(map[string]any)["weight"].(int64); ok {
		return w
	}
	return 1
}

func (g *gatewayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	s := g.c.current()
	ns, backends, ok := g.match(s, host, r.URL.Path)
	if !ok || len(backends) == 0 {
		http.Error(w, "no route", http.StatusNotFound)
		return
	}
	b := g.pickBackend(backends)
	pool := findObj(s.pools, ns, fmt.Sprint(b["name"]))
	if pool == nil {
		http.Error(w, "backend not found", http.StatusInternalServerError)
		return
	}
	g.servePool(w, r, s, pool)
}

// servePool asks the pool's picker for an endpoint, forwards to it, and tells the picker what
// served the request; without a picker it fails open or closed as the pool says.
func (g *gatewayServer) servePool(w http.ResponseWriter, r *http.Request, s snapshot, pool *unstructured.Unstructured) {
	f := g.c.opts.Faults
	eps := g.c.endpoints(pool.GetNamespace(), pool.GetName())
	svc, _, _ := unstructured.NestedString(pool.Object, "spec", "endpointPickerRef", "name")
	mode, _, _ := unstructured.NestedString(pool.Object, "spec", "endpointPickerRef", "failureMode")
	failOpen := (mode == "FailOpen" && !f.NeverFailOpen) || f.AlwaysFailOpen
	picker := g.pickerNow(r.Context(), s, pool.GetNamespace(), svc)
	var stream extprocv3.ExternalProcessor_ProcessClient
	var dest string
	if picker != "" {
		var err error
		if stream, err = g.openStream(r.Context(), picker); err == nil {
			var status int
			dest, status, err = pickRequest(stream, r)
			if status != 0 {
				http.Error(w, "the picker refused the request", status)
				return
			}
		}
		if err != nil {
			stream = nil
		}
	}
	switch {
	case dest == "" && (failOpen && len(eps) > 0):
		dest = eps[rand.IntN(len(eps))]
	case dest == "":
		http.Error(w, "no endpoint picker available", http.StatusServiceUnavailable)
		return
	case f.IgnorePicker && len(eps) > 0:
		dest = eps[0]
	}
	proto, _, _ := unstructured.NestedString(pool.Object, "spec", "appProtocol")
	transport := g.h1
	if proto == "kubernetes.io/h2c" && !f.HTTP1Only {
		transport = g.h2c
	}
	out := r.Clone(r.Context())
	out.RequestURI, out.URL.Scheme, out.URL.Host = "", "http", dest
	resp, err := transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if stream != nil {
		served := dest
		if f.NoServedMetadata {
			served = ""
		}
		_ = pickResponse(stream, resp, served)
		stream.CloseSend()
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// pickerAddress is the ip:port of a ready endpoint of the picker Service, from its slices.
// pickerNow reads the picker Service's EndpointSlices as they are now, not as the last poll
// saw them: a real gateway's lag is its own, and a stand-in that answered from a snapshot
// taken before a check emptied the Service would pass a fail-open check it should fail.
func (g *gatewayServer) pickerNow(ctx context.Context, s snapshot, ns, svc string) string {
	list, err := g.c.dyn.Resource(gvrSlices).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + svc})
	if err != nil {
		return pickerAddress(s, ns, svc)
	}
	return pickerAddress(snapshot{slices: list.Items}, ns, svc)
}

func pickerAddress(s snapshot, ns, svc string) string {
	for _, sl := range s.slices {
		if sl.GetNamespace() != ns || sl.GetLabels()["kubernetes.io/service-name"] != svc {
			continue
		}
		eps, _, _ := unstructured.NestedSlice(sl.Object, "endpoints")
		ports, _, _ := unstructured.NestedSlice(sl.Object, "ports")
		if len(eps) == 0 || len(ports) == 0 {
			continue
		}
		addrs, _ := eps[0].(map[string]any)["addresses"].([]any)
		if len(addrs) == 0 {
			continue
		}
		return net.JoinHostPort(fmt.Sprint(addrs[0]), fmt.Sprint(ports[0].(map[string]any)["port"]))
	}
	return ""
}

func (g *gatewayServer) openStream(ctx context.Context, addr string) (extprocv3.ExternalProcessor_ProcessClient, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	// The stream lives as long as the request; the connection goes with it.
	context.AfterFunc(ctx, func() { conn.Close() })
	return extprocv3.NewExternalProcessorClient(conn).Process(ctx)
}

// pickRequest sends the request headers and applies the picker's answer to r; it returns the
// chosen endpoint, or the status of an immediate response.
func pickRequest(stream extprocv3.ExternalProcessor_ProcessClient, r *http.Request) (string, int, error) {
	hm := &corev3.HeaderMap{}
	hm.Headers = append(hm.Headers, &corev3.HeaderValue{Key: ":path", RawValue: []byte(r.URL.Path)}, &corev3.HeaderValue{Key: ":authority", RawValue: []byte(r.Host)})
	for k, vs := range r.Header {
		for _, v := range vs {
			hm.Headers = append(hm.Headers, &corev3.HeaderValue{Key: strings.ToLower(k), RawValue: []byte(v)})
		}
	}
	if err := stream.Send(&extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{
		RequestHeaders: &extprocv3.HttpHeaders{Headers: hm, EndOfStream: r.ContentLength == 0}}}); err != nil {
		return "", 0, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return "", 0, err
	}
	if im := resp.GetImmediateResponse(); im != nil {
		return "", max(int(im.GetStatus().GetCode()), 500), nil
	}
	dest := ""
	for _, h := range resp.GetRequestHeaders().GetResponse().GetHeaderMutation().GetSetHeaders() {
		v := string(h.GetHeader().GetRawValue())
		r.Header.Set(h.GetHeader().GetKey(), v)
		if h.GetHeader().GetKey() == pickHeader {
			dest = v
		}
	}
	return dest, 0, nil
}

// pickResponse sends the response headers with the served endpoint in metadata_context, as
// Envoy does, and applies the picker's answer.
func pickResponse(stream extprocv3.ExternalProcessor_ProcessClient, resp *http.Response, served string) error {
	req := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: &extprocv3.HttpHeaders{Headers: &corev3.HeaderMap{}}}}
	if served != "" {
		md, _ := structpb.NewStruct(map[string]any{servedMetadata: served})
		req.MetadataContext = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{lbNamespace: md}}
	}
	if err := stream.Send(req); err != nil {
		return err
	}
	answer, err := stream.Recv()
	if err != nil {
		return err
	}
	for _, h := range answer.GetResponseHeaders().GetResponse().GetHeaderMutation().GetSetHeaders() {
		resp.Header.Set(h.GetHeader().GetKey(), string(h.GetHeader().GetRawValue()))
	}
	return nil
}
