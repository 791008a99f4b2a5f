package requestpath

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
)

// PodGetter GETs a path from one port of a pod.
type PodGetter interface {
	GetPod(ctx context.Context, pod *corev1.Pod, port int32, path string) (*PodResponse, error)
}

// PodResponse is what the pod answered.
type PodResponse struct {
	Status int
	Body   []byte
}

// The errors a PodGetter wraps: the user may not reach pods, or nothing answered on the port.
var (
	ErrForbidden    = errors.New("forbidden")
	ErrNotListening = errors.New("not listening")
)

// maxBody bounds what is read of an answer: a model server's /metrics is a few hundred KB.
const maxBody = 8 << 20

// APIServerProxy reaches pods through the API server's pod proxy subresource
// (GET /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH): a laptop cannot reach pod IPs, the API
// server can. It needs RBAC get on pods/proxy.
type APIServerProxy struct {
	Client *http.Client
	// Host is the API server's URL, as rest.Config has it (it may carry a path prefix).
	Host string
}

// NewAPIServerProxy builds the proxy's client from the cluster connection.
func NewAPIServerProxy(cfg *rest.Config) (*APIServerProxy, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &APIServerProxy{Client: c, Host: cfg.Host}, nil
}

// GetPod implements PodGetter.
func (p *APIServerProxy) GetPod(ctx context.Context, pod *corev1.Pod, port int32, suffix string) (*PodResponse, error) {
	u, err := url.Parse(p.Host)
	if err != nil {
		return nil, err
	}
	u.Path = path.Join(u.Path, "/api/v1/namespaces", pod.Namespace, "pods", pod.Name+":"+strconv.Itoa(int(port)), "proxy", suffix)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the API server: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of pod %s: %w", pod.Name, err)
	}
	if err := proxyError(resp.StatusCode, body); err != nil {
		return nil, err
	}
	return &PodResponse{Status: resp.StatusCode, Body: body}, nil
}

// proxyError tells the API server's own answers (a Status object: RBAC refused, the pod could not
// be reached, the pod is gone) from the pod's, which are returned as they are.
func proxyError(code int, body []byte) error {
	var st struct {
		Kind, APIVersion, Message, Reason string
	}
	if code < 400 || json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.APIVersion != "v1" {
		return nil
	}
	switch {
	case code == http.StatusForbidden:
		return fmt.Errorf("%w: %s", ErrForbidden, st.Message)
	case strings.HasPrefix(st.Message, "error trying to reach service"):
		return fmt.Errorf("%w: %s", ErrNotListening, strings.TrimPrefix(st.Message, "error trying to reach service: "))
	}
	return fmt.Errorf("the API server answered %d %s: %s", code, st.Reason, st.Message)
}
