package kube

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// APIProxy reaches one port of a pod or a Service through the API server's proxy
// subresources (pods/proxy, services/proxy): a laptop with a kubeconfig gets there without a
// route to the pod network, given RBAC get on the subresource.
type APIProxy struct {
	Client *http.Client
	// Host is the API server's URL as rest.Config has it (it may carry a path prefix).
	Host string
}

// NewAPIProxy builds the proxy's client from the cluster connection.
func NewAPIProxy(cfg *rest.Config) (*APIProxy, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &APIProxy{Client: c, Host: strings.TrimRight(cfg.Host, "/")}, nil
}

// PodURL is GET /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH.
func (p *APIProxy) PodURL(ns, name string, port int32, path string) string {
	return p.url(ns, "pods", name, port, path)
}

// ServiceURL is GET /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH.
func (p *APIProxy) ServiceURL(ns, name string, port int32, path string) string {
	return p.url(ns, "services", name, port, path)
}

func (p *APIProxy) url(ns, resource, name string, port int32, path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return p.Host + "/api/v1/namespaces/" + url.PathEscape(ns) + "/" + resource + "/" + url.PathEscape(name) + ":" +
		strconv.Itoa(int(port)) + "/proxy" + path
}

// ProxyStatus is an answer the API server wrote itself on a proxy path (RBAC refused, the
// target could not be reached, it is gone), as opposed to the target's own answer, which the
// API server passes through as it is.
type ProxyStatus struct {
	Code            int
	Reason, Message string
}

// ParseProxyStatus reads a failed proxy answer as the API server's own Status object; false
// when the answer is the target's.
func ParseProxyStatus(code int, body []byte) (ProxyStatus, bool) {
	var st struct{ Kind, APIVersion, Message, Reason string }
	if code < 400 || json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.APIVersion != "v1" {
		return ProxyStatus{}, false
	}
	return ProxyStatus{Code: code, Reason: st.Reason, Message: st.Message}, true
}

// Unreachable is why the API server could not reach the target (its dial error), when that is
// what the status says.
func (s ProxyStatus) Unreachable() (string, bool) {
	return strings.CutPrefix(s.Message, "error trying to reach service: ")
}
