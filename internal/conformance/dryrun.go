package conformance

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/igw-dev/igw/internal/kube"
)

// DryRunBase has the API server check the base without creating it, and says per object what
// it answered. The run's own namespaces do not exist yet, and the API server refuses a dry run
// of anything inside a namespace that is missing, so those objects are checked only when their
// namespace is already there (a --cleanup=false run left it) and reported as such otherwise.
func (s *Suite) DryRunBase(ctx context.Context) ([]string, error) {
	force := true
	opts := metav1.PatchOptions{FieldManager: kube.FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}}
	missing := map[string]bool{}
	var out []string
	for _, o := range Base(s.cfg.GatewayClass, s.cfg.Images) {
		if ns := o.GetNamespace(); missing[ns] {
			out = append(out, fmt.Sprintf("%s: not checked (namespace %s is not there until the run creates it)", describe(o), ns))
			continue
		}
		r, err := s.resource(o)
		if err != nil {
			return out, err
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return out, err
		}
		_, err = r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
		switch {
		case err == nil && o.GetKind() == "Namespace":
			// A namespace still being deleted (by a previous run's cleanup) takes no new objects
			// either.
			cur, getErr := s.dyn.Resource(gvrNamespace).Get(ctx, o.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(getErr) || (getErr == nil && cur.GetDeletionTimestamp() != nil) {
				missing[o.GetName()] = true
			}
			out = append(out, describe(o)+": would apply")
		case err == nil:
			out = append(out, describe(o)+": would apply")
		default:
			return out, fmt.Errorf("the API server refuses %s: %w", describe(o), err)
		}
	}
	return out, nil
}
