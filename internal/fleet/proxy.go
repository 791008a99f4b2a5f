package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// ProxyGetter reaches pods through the API server's pods/proxy subresource: a laptop with a
// kubeconfig and RBAC for get on pods/proxy is enough, the pod network need not be reachable.
type ProxyGetter struct {
	Client *http.Client
	// Host is the API server's URL as rest.Config has it (it may carry a path prefix).
	Host string
}

// NewProxyGetter builds the proxy's client from the cluster connection.
func NewProxyGetter(cfg *rest.Config) (*ProxyGetter, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &ProxyGetter{Client: c, Host: strings.TrimRight(cfg.Host, "/")}, nil
}

// Get implements Getter: GET /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH.
func (p *ProxyGetter) Get(ctx context.Context, t *Target, buf *bytes.Buffer) error {
	u := p.Host + "/api/v1/namespaces/" + url.PathEscape(t.Namespace) + "/pods/" + url.PathEscape(t.Name) + ":" +
		strconv.Itoa(int(t.Port)) + "/proxy" + t.Path
	return fetch(ctx, p.Client, u, buf, apiStatus("pods/proxy", t.Namespace))
}

// getService reads path from a Service's port through the API server's services/proxy.
func (p *ProxyGetter) getService(ctx context.Context, ns, name string, port int32, path string, buf *bytes.Buffer) error {
	u := p.Host + "/api/v1/namespaces/" + url.PathEscape(ns) + "/services/" + url.PathEscape(name) + ":" +
		strconv.Itoa(int(port)) + "/proxy" + path
	return fetch(ctx, p.Client, u, buf, apiStatus("services/proxy", ns))
}

// apiStatus tells the API server's own answers (a Status object: RBAC refused, the pod could
// not be reached, the pod is gone) from the pod's, which it passes through as they are.
func apiStatus(resource, ns string) func(code int, body []byte) error {
	return func(code int, body []byte) error {
		var st struct{ Kind, APIVersion, Message, Reason string }
		if json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.APIVersion != "v1" {
			return nil
		}
		switch {
		case code == http.StatusForbidden:
			return fmt.Errorf("RBAC: needs \"get\" on %q in namespace %s (%s)", resource, ns, st.Message)
		case code == http.StatusUnauthorized:
			return fmt.Errorf("the API server did not accept the credentials: %s", st.Message)
		case strings.HasPrefix(st.Message, "error trying to reach service: "):
			return fmt.Errorf("the API server could not reach it: %s", strings.TrimPrefix(st.Message, "error trying to reach service: "))
		}
		return fmt.Errorf("the API server answered %d %s: %s", code, st.Reason, st.Message)
	}
}
