package verify

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/requestpath"
)

// Run reads the cluster once, walks the path of each pool asked for, prints the checklist and
// returns the exit status as an error: nil when no step failed.
func Run(ctx context.Context, o *Options) error {
	in, err := o.gather(ctx)
	if err != nil {
		return cannot(err)
	}
	if in.Pods == nil {
		if in.Pods, err = o.podProxy(); err != nil {
			return cannot(err)
		}
	}
	if o.Probe {
		in.Probe = requestpath.NewProber(o.Timeout, o.Address)
	}
	pods := in.Pods
	in.Pods = timeoutGetter{pods, o}
	report := requestpath.Walk(ctx, in)
	fmt.Fprintf(o.IO.ErrOut, "Verified %s: %s.\n", what(report, in.Scope), report.Summary)
	if err := cmdutil.Print(o.IO.Out, o.Output, report); err != nil {
		return cannot(err)
	}
	if report.Failed() {
		return &cmdutil.ExitError{Code: exitFailed}
	}
	return nil
}

func what(r *requestpath.Report, scope string) string {
	n := len(r.Sections) - 1
	if n == 1 {
		return "1 InferencePool in " + scope
	}
	return fmt.Sprintf("%d InferencePools in %s", n, scope)
}

// gather reads the snapshot of the scope with one LIST per kind.
func (o *Options) gather(ctx context.Context) (requestpath.Input, error) {
	scope, err := inventory.ScopeOf(o.Kube, o.AllNamespaces, o.Namespace)
	if err != nil {
		return requestpath.Input{}, err
	}
	res, err := inventory.Read(ctx, o.Kube, scope)
	if err != nil {
		return requestpath.Input{}, err
	}
	res.WriteGaps(o.IO.ErrOut, "steps")
	in := requestpath.Input{Snapshot: res.Snapshot, Name: o.Pool, Namespace: o.poolNamespace, Scope: scope.String(), Pods: o.Pods}
	if !scope.All {
		in.Namespace = scope.Namespace
	}
	return in, nil
}

func (o *Options) podProxy() (requestpath.PodGetter, error) {
	cfg, err := o.Kube.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return requestpath.NewAPIServerProxy(cfg)
}

// timeoutGetter bounds each pod request by --timeout.
type timeoutGetter struct {
	requestpath.PodGetter
	o *Options
}

func (t timeoutGetter) GetPod(ctx context.Context, pod *corev1.Pod, port int32, path string) (*requestpath.PodResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, t.o.Timeout)
	defer cancel()
	resp, err := t.PodGetter.GetPod(ctx, pod, port, path)
	if err != nil && strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		err = fmt.Errorf("no answer within %s (--timeout)", t.o.Timeout)
	}
	return resp, err
}
