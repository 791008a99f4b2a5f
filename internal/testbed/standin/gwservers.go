package standin

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// The test picker's contract, as upstream's lwepp has it.
const (
	pickHeader       = "x-gateway-destination-endpoint"
	selectionHeader  = "test-epp-endpoint-selection"
	servedHeader     = "x-conformance-test-served-endpoint"
	lbNamespace      = "envoy.lb"
	servedMetadata   = "x-gateway-destination-endpoint-served"
	echoSetHeaderKey = "X-Echo-Set-Header"
)

// startServers starts what a pod's containers run: a test picker for a container with
// --pool-name, echo servers on HTTP_PORT (HTTP/1.1) and H2C_PORT (h2c only) otherwise.
func (c *GatewayController) startServers(rp *runningPod, ns, name string, spec map[string]any) error {
	containers, _, _ := unstructured.NestedSlice(spec, "containers")
	for _, ct := range containers {
		m := ct.(map[string]any)
		if pool := containerArg(m, "--pool-name"); pool != "" {
			poolNS := containerArg(m, "--pool-namespace")
			if err := rp.listen("9002", func(l net.Listener) func() {
				srv := grpc.NewServer()
				extprocv3.RegisterExternalProcessorServer(srv, &testPicker{c: c, ns: poolNS, pool: pool})
				go srv.Serve(l)
				return srv.Stop
			}); err != nil {
				return err
			}
			continue
		}
		for _, p := range []struct {
			env string
			h2c bool
		}{{"HTTP_PORT", false}, {"H2C_PORT", true}} {
			port := containerEnv(m, p.env)
			if port == "" {
				continue
			}
			h := echo{ns: ns, pod: name, port: port}
			if err := rp.listen(port, func(l net.Listener) func() {
				srv := &http.Server{Handler: h}
				if p.h2c {
					srv.Protocols = new(http.Protocols)
					srv.Protocols.SetUnencryptedHTTP2(true)
				}
				go srv.Serve(l)
				return func() { srv.Close() }
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (rp *runningPod) listen(port string, serve func(net.Listener) func()) error {
	l, err := net.Listen("tcp", net.JoinHostPort(rp.ip, port))
	if err != nil {
		return err
	}
	rp.stops = append(rp.stops, serve(l))
	return nil
}

// echo answers as echo-basic does: the request and who served it, as JSON, and the headers
// X-Echo-Set-Header asks for ("name:value,name:value").
type echo struct{ ns, pod, port string }

func (e echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, kv := range strings.Split(r.Header.Get(echoSetHeaderKey), ",") {
		if k, v, ok := strings.Cut(kv, ":"); ok {
			w.Header().Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "host": r.Host, "method": r.Method, "proto": r.Proto,
		"headers": r.Header, "namespace": e.ns, "pod": e.pod, "httpPort": e.port})
}

// testPicker is the test endpoint picker of one pool: round robin over the pool's endpoints
// (Ready pods × target ports), narrowed to those the selection header lists (IP or IP:port).
type testPicker struct {
	extprocv3.UnimplementedExternalProcessorServer
	c        *GatewayController
	ns, pool string
	next     atomic.Uint64
}

// endpoints are the pool's ip:port endpoints, from the controller's snapshot.
func (c *GatewayController) endpoints(ns, pool string) []string {
	s := c.current()
	p := findObj(s.pools, ns, pool)
	if p == nil {
		return nil
	}
	sel, _, _ := unstructured.NestedStringMap(p.Object, "spec", "selector", "matchLabels")
	ports, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetPorts")
	var out []string
	for _, pod := range s.pods {
		ip, _, _ := unstructured.NestedString(pod.Object, "status", "podIP")
		if pod.GetNamespace() != ns || ip == "" || pod.GetDeletionTimestamp() != nil || !labels.SelectorFromSet(sel).Matches(labels.Set(pod.GetLabels())) {
			continue
		}
		for _, tp := range ports {
			out = append(out, net.JoinHostPort(ip, fmt.Sprint(tp.(map[string]any)["number"])))
		}
	}
	return out
}

func (p *testPicker) choose(selection string) string {
	eps := p.c.endpoints(p.ns, p.pool)
	if selection != "" {
		var allowed []string
		for _, ep := range eps {
			host, _, _ := net.SplitHostPort(ep)
			for _, tok := range strings.Split(selection, ",") {
				tok = strings.TrimSpace(tok)
				if tok == ep || tok == host {
					allowed = append(allowed, ep)
					break
				}
			}
		}
		eps = allowed
	}
	if len(eps) == 0 {
		return ""
	}
	return eps[p.next.Add(1)%uint64(len(eps))]
}

func header(m *corev3.HeaderMap, key string) string {
	for _, h := range m.GetHeaders() {
		if strings.EqualFold(h.GetKey(), key) {
			if len(h.GetRawValue()) > 0 {
				return string(h.GetRawValue())
			}
			return h.GetValue()
		}
	}
	return ""
}

func setHeaders(kv ...string) *extprocv3.HeaderMutation {
	m := &extprocv3.HeaderMutation{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.SetHeaders = append(m.SetHeaders, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: kv[i], RawValue: []byte(kv[i+1])}})
	}
	return m
}

func (p *testPicker) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		var resp *extprocv3.ProcessingResponse
		switch r := req.Request.(type) {
		case *extprocv3.ProcessingRequest_RequestHeaders:
			ep := p.choose(header(r.RequestHeaders.GetHeaders(), selectionHeader))
			if ep == "" {
				resp = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{
					ImmediateResponse: &extprocv3.ImmediateResponse{Status: &typev3.HttpStatus{Code: typev3.StatusCode_ServiceUnavailable}, Body: []byte("no endpoint to pick")}}}
				break
			}
			md, _ := structpb.NewStruct(map[string]any{lbNamespace: map[string]any{pickHeader: ep}})
			resp = &extprocv3.ProcessingResponse{
				Response: &extprocv3.ProcessingResponse_RequestHeaders{RequestHeaders: &extprocv3.HeadersResponse{
					Response: &extprocv3.CommonResponse{HeaderMutation: setHeaders(pickHeader, ep, echoSetHeaderKey, servedHeader+":"+ep)}}},
				DynamicMetadata: md,
			}
		case *extprocv3.ProcessingRequest_ResponseHeaders:
			served := "fail: missing " + lbNamespace + " " + servedMetadata + " in metadata_context"
			if v := req.GetMetadataContext().GetFilterMetadata()[lbNamespace].GetFields()[servedMetadata].GetStringValue(); v != "" {
				served = v
			}
			resp = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{
				Response: &extprocv3.CommonResponse{HeaderMutation: setHeaders(servedHeader, served)}}}}
		default:
			resp = &extprocv3.ProcessingResponse{}
		}
		if err := stream.Send(resp); err != nil {
			return nil
		}
	}
}
