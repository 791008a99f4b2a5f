package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// PingTimeout bounds Ping when the caller's context allows longer: a server that has not answered
// /version in this time will not serve a command either, and the user should hear it early.
const PingTimeout = 15 * time.Second

// ErrUnreachable is wrapped by Ping's error when the API server could not be reached or refused
// the credentials.
var ErrUnreachable = errors.New("cluster unreachable")

// Ping asks the API server for its version, so commands fail before doing any work, with an error
// that names the server and the flags that choose it, instead of a transport error halfway
// through.
func Ping(ctx context.Context, f Factory) error {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	dc, err := f.Discovery()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	err = dc.RESTClient().Get().AbsPath("/version").Do(ctx).Error()
	if err == nil {
		return nil
	}
	target := "the Kubernetes API server at " + cfg.Host
	if d := f.Describe(); d != "" {
		target += " (" + d + ")"
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w: %s rejected the credentials: %v; check --kubeconfig, --context and --user", ErrUnreachable, target, err)
	case apierrors.IsForbidden(err):
		// /version is readable by everyone by default; a 403 here is unusual but not a connection
		// problem, so let the command try and report what it cannot do.
		return nil
	}
	return fmt.Errorf("%w: cannot reach %s: %v; check --kubeconfig and --context (or $KUBECONFIG)", ErrUnreachable, target, err)
}
