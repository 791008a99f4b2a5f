package pool

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/gateway"
	"github.com/igw-dev/igw/internal/helm"
)

// Parent is one Gateway's word on the pool (status.parents[]).
type Parent struct {
	Gateway  string `json:"gateway"` // namespace/name
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"` // why not, as the gateway says it
}

// Readiness is the pool as it is now: what is not ready, and each parent's acceptance.
type Readiness struct {
	NotReady []string `json:"notReady,omitempty"`
	Parents  []Parent `json:"parents,omitempty"`
}

// Ready reports whether nothing is pending.
func (r Readiness) Ready() bool { return len(r.NotReady) == 0 }

// Check reads, once, the Deployments among the release's objects (the picker's) and the pool's
// parents. Every parent must accept the pool; wantGateway ("ns/name", "" for none) must be one
// of them, since the route igwctl created attaches the pool to it.
func Check(ctx context.Context, dyn dynamic.Interface, objects []helm.Object, ns, pool, wantGateway string) (Readiness, error) {
	var r Readiness
	var err error
	if r.NotReady, err = gateway.NotReadyDeployments(ctx, dyn, objects, ns); err != nil {
		return r, err
	}
	if r.Parents, err = Parents(ctx, dyn, ns, pool); err != nil {
		return r, err
	}
	seen := false
	for _, p := range r.Parents {
		seen = seen || p.Gateway == wantGateway
		if !p.Accepted {
			r.NotReady = append(r.NotReady, fmt.Sprintf("InferencePool %s/%s not accepted by Gateway %s: %s", ns, pool, p.Gateway, p.Reason))
		}
	}
	if wantGateway != "" && !seen {
		r.NotReady = append(r.NotReady, fmt.Sprintf("InferencePool %s/%s not accepted by Gateway %s: the gateway has not reported on it yet (status.parents has no entry for it)", ns, pool, wantGateway))
	}
	return r, nil
}

// Parents reads the pool's status.parents.
func Parents(ctx context.Context, dyn dynamic.Interface, ns, name string) ([]Parent, error) {
	u, err := dyn.Resource(PoolGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("InferencePool %s/%s is not there after the install: does the chart create it?", ns, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading InferencePool %s/%s: %w", ns, name, err)
	}
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	var out []Parent
	for _, item := range list {
		m, _ := item.(map[string]any)
		ref, _ := m["parentRef"].(map[string]any)
		gwNS, _ := ref["namespace"].(string)
		if gwNS == "" {
			gwNS = ns
		}
		p := Parent{Gateway: fmt.Sprintf("%s/%v", gwNS, ref["name"]), Reason: "no Accepted condition yet"}
		conds, _ := m["conditions"].([]any)
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if cm["type"] != "Accepted" {
				continue
			}
			if cm["status"] == "True" {
				p.Accepted, p.Reason = true, ""
			} else {
				p.Reason = fmt.Sprintf("Accepted=%v, reason %v", cm["status"], cm["reason"])
				if msg, _ := cm["message"].(string); msg != "" {
					p.Reason += ": " + msg
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// Wait checks every interval until the pool is ready or timeout passes; it returns the last
// reading either way, since "installed but not ready" is an answer, not a failure.
func Wait(ctx context.Context, dyn dynamic.Interface, objects []helm.Object, ns, pool, wantGateway string, timeout, interval time.Duration) (Readiness, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		r, err := Check(wctx, dyn, objects, ns, pool, wantGateway)
		if wctx.Err() == nil && (err != nil || r.Ready()) {
			return r, err
		}
		if wctx.Err() == nil {
			select {
			case <-wctx.Done():
			case <-time.After(interval):
				continue
			}
		}
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		// The reading cut short by the deadline may be partial: read once more to say why.
		if r, err = Check(ctx, dyn, objects, ns, pool, wantGateway); err != nil || r.Ready() {
			return r, err
		}
		r.NotReady = append(r.NotReady, fmt.Sprintf("waited %s (--timeout)", timeout))
		return r, nil
	}
}
