package requestpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/kube"
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

// APIServerProxy reaches pods through the API server's pod proxy subresource: a laptop cannot
// reach pod IPs, the API server can. It needs RBAC get on pods/proxy.
type APIServerProxy struct {
	*kube.APIProxy
}

// NewAPIServerProxy builds the proxy's client from the cluster connection.
func NewAPIServerProxy(cfg *rest.Config) (*APIServerProxy, error) {
	p, err := kube.NewAPIProxy(cfg)
	if err != nil {
		return nil, err
	}
	return &APIServerProxy{p}, nil
}

// GetPod implements PodGetter.
func (p *APIServerProxy) GetPod(ctx context.Context, pod *corev1.Pod, port int32, suffix string) (*PodResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.PodURL(pod.Namespace, pod.Name, port, suffix), nil)
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

// proxyError turns the API server's own answers into the errors the steps tell apart; the
// pod's answers are returned as they are.
func proxyError(code int, body []byte) error {
	st, ok := kube.ParseProxyStatus(code, body)
	if !ok {
		return nil
	}
	if cause, ok := st.Unreachable(); ok {
		return fmt.Errorf("%w: %s", ErrNotListening, cause)
	}
	if st.Code == http.StatusForbidden {
		return fmt.Errorf("%w: %s", ErrForbidden, st.Message)
	}
	return fmt.Errorf("the API server answered %d %s: %s", st.Code, st.Reason, st.Message)
}
