package fleet

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/kube"
)

// ProxyGetter reaches pods through the API server's pods/proxy subresource: a laptop with a
// kubeconfig and RBAC for get on pods/proxy is enough, the pod network need not be reachable.
type ProxyGetter struct {
	*kube.APIProxy
}

// NewProxyGetter builds the proxy's client from the cluster connection.
func NewProxyGetter(cfg *rest.Config) (*ProxyGetter, error) {
	p, err := kube.NewAPIProxy(cfg)
	if err != nil {
		return nil, err
	}
	return &ProxyGetter{p}, nil
}

// Get implements Getter.
func (p *ProxyGetter) Get(ctx context.Context, t *Target, buf *bytes.Buffer) error {
	return fetch(ctx, p.Client, p.PodURL(t.Namespace, t.Name, t.Port, t.Path), buf, apiStatus("pods/proxy", t.Namespace))
}

// getService reads path from a Service's port through the API server's services/proxy.
func (p *ProxyGetter) getService(ctx context.Context, ns, name string, port int32, path string, buf *bytes.Buffer) error {
	return fetch(ctx, p.Client, p.ServiceURL(ns, name, port, path), buf, apiStatus("services/proxy", ns))
}

// apiStatus words the API server's own answers for a person; the target's answers it leaves
// to fetch.
func apiStatus(resource, ns string) func(code int, body []byte) error {
	return func(code int, body []byte) error {
		st, ok := kube.ParseProxyStatus(code, body)
		if !ok {
			return nil
		}
		if cause, ok := st.Unreachable(); ok {
			return fmt.Errorf("the API server could not reach it: %s", cause)
		}
		switch st.Code {
		case http.StatusForbidden:
			return fmt.Errorf("RBAC: needs \"get\" on %q in namespace %s (%s)", resource, ns, st.Message)
		case http.StatusUnauthorized:
			return fmt.Errorf("the API server did not accept the credentials: %s", st.Message)
		}
		return fmt.Errorf("the API server answered %d %s: %s", st.Code, st.Reason, st.Message)
	}
}
