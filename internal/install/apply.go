package install

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/kube"
)

// Installer applies CRDs server-side as igwctl.
type Installer struct {
	Client apiextensionsclient.Interface
	// Progress receives what is going on (stderr); results go in the returned Result.
	Progress io.Writer
	// Force applies despite the checks' problems and takes over fields other managers hold.
	Force  bool
	DryRun kube.DryRun
	// PollInterval is how often waiting re-reads the CRDs; 0 means 250ms.
	PollInterval time.Duration
}

// Install applies the CRDs in order and waits until every one is established. It reads and checks
// all of them before changing any, and then validates every apply with a server-side dry run, so
// a refusal or an invalid manifest leaves the cluster untouched. If an apply still fails midway,
// the error says which CRDs were applied and which were not.
func (in *Installer) Install(ctx context.Context, crds []CRD) (*Result, error) {
	res := &Result{Operation: "install", DryRun: in.dryRun()}
	installed, err := readCRDs(ctx, in.Client, crds)
	if err != nil {
		return nil, err
	}

	// Not a check --force can override: whatever is applied to a CRD being deleted goes with it.
	var terminating []string
	for i, c := range crds {
		if installed[i] != nil && installed[i].DeletionTimestamp != nil {
			terminating = append(terminating, c.Name)
		}
	}
	if len(terminating) > 0 {
		return nil, fmt.Errorf("cannot install while CRDs are being deleted; nothing was changed: %s; "+
			"wait until they are gone (kubectl get crd NAME) and run the install again", strings.Join(terminating, ", "))
	}

	var problems []diagnose.Finding
	for i, c := range crds {
		problems = append(problems, CheckApply(c, installed[i])...)
	}
	if len(problems) > 0 {
		if !in.Force {
			return nil, refusal("install the CRDs", problems,
				"Rerun with --force to apply anyway: it allows downgrades and takes ownership of the fields other managers hold"+
					gatewayHint(crds, problems)+".")
		}
		for _, p := range problems {
			in.progressf("warning: --force: %s\n", problemLine(p))
		}
	}

	results := make([]CRDResult, len(crds))
	for i, c := range crds {
		results[i] = CRDResult{CRD: c}
		if installed[i] != nil {
			results[i].PreviousBundleVersion = installed[i].Annotations[c.VersionAnnotation]
		}
	}

	if res.DryRun == kube.DryRunClient {
		for i, c := range crds {
			results[i].Action = clientAction(c, installed[i])
		}
		res.CRDs = results
		return res, nil
	}

	// The server validates everything (schemas, conflicts, admission) without storing anything.
	in.progressf("checking %s with a server-side dry run...\n", countCRDs(len(crds)))
	var failures []string
	for i, c := range crds {
		out, err := in.apply(ctx, c, true)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %s", c.Name, applyError(err)))
			continue
		}
		results[i].Action = dryRunAction(installed[i], out)
	}
	if len(failures) > 0 {
		return nil, fmt.Errorf("refusing to install the CRDs; nothing was changed; the API server rejected:\n  - %s%s",
			strings.Join(failures, "\n  - "), conflictHint(failures, in.Force))
	}
	if res.DryRun == kube.DryRunServer {
		res.CRDs = results
		return res, nil
	}

	in.progressf("applying %s (server-side apply, field manager %s)...\n", countCRDs(len(crds)), kube.FieldManager)
	for i, c := range crds {
		out, err := in.apply(ctx, c, false)
		if err != nil {
			return nil, partialError("applied", "not applied", results[:i], crds[i+1:], c.Name, applyError(err))
		}
		results[i].Action = appliedAction(installed[i], out)
	}

	names := make([]string, len(crds))
	for i, c := range crds {
		names[i] = c.Name
	}
	if err := waitEstablished(ctx, in.Client, names, in.Progress, in.PollInterval); err != nil {
		return nil, fmt.Errorf("all %s applied, but %w", countCRDs(len(crds)), err)
	}
	res.CRDs = results
	return res, nil
}

func (in *Installer) dryRun() kube.DryRun {
	if in.DryRun == "" {
		return kube.DryRunNone
	}
	return in.DryRun
}

func (in *Installer) progressf(format string, args ...any) {
	if in.Progress != nil {
		fmt.Fprintf(in.Progress, format, args...)
	}
}

func (in *Installer) apply(ctx context.Context, c CRD, dryRun bool) (*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := json.Marshal(c.Object.Object)
	if err != nil {
		return nil, err
	}
	force := in.Force
	opts := metav1.PatchOptions{FieldManager: kube.FieldManager, Force: &force}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return in.Client.ApiextensionsV1().CustomResourceDefinitions().Patch(ctx, c.Name, types.ApplyPatchType, data, opts)
}

// readCRDs returns the installed CRD of each name, nil where there is none.
func readCRDs(ctx context.Context, client apiextensionsclient.Interface, crds []CRD) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	out := make([]*apiextensionsv1.CustomResourceDefinition, len(crds))
	for i, c := range crds {
		got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, c.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("reading CustomResourceDefinition %s: %w", c.Name, err)
		default:
			out[i] = got
		}
	}
	return out, nil
}

// appliedAction compares resource versions: the API server skips the write, and keeps the
// version, exactly when an apply changes nothing (managed fields included).
func appliedAction(before, after *apiextensionsv1.CustomResourceDefinition) Action {
	switch {
	case before == nil:
		return ActionCreated
	case before.ResourceVersion == after.ResourceVersion:
		return ActionUnchanged
	}
	return ActionConfigured
}

// applyError turns a server-side apply conflict into advice; other errors pass through.
func applyError(err error) string {
	if apierrors.IsConflict(err) {
		return "fields are managed by another field manager: " + err.Error()
	}
	return err.Error()
}

func conflictHint(failures []string, force bool) string {
	if force {
		return ""
	}
	for _, f := range failures {
		if strings.Contains(f, "managed by another field manager") {
			return "\nRerun with --force to take ownership of the conflicting fields."
		}
	}
	return ""
}

// gatewayHint points at --gateway-api none when the Gateway API CRDs belong to someone else (a
// provider or a managed cluster often installs them itself).
func gatewayHint(crds []CRD, problems []diagnose.Finding) string {
	gateway := map[string]bool{}
	for _, c := range crds {
		if c.IsGatewayAPI() {
			gateway[c.Name] = true
		}
	}
	for _, p := range problems {
		if gateway[p.Object.Name] {
			return ", or pass --gateway-api none to leave the installed Gateway API CRDs alone"
		}
	}
	return ""
}

// partialError says exactly what was and was not done when a change failed midway.
func partialError(doneVerb, notDoneVerb string, done []CRDResult, notDone []CRD, failed, reason string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %s\n", failed, reason)
	fmt.Fprintf(&b, "  %s (%d):", doneVerb, len(done))
	if len(done) == 0 {
		b.WriteString(" none")
	}
	for _, d := range done {
		fmt.Fprintf(&b, "\n    %s (%s)", d.Name, d.Action)
	}
	fmt.Fprintf(&b, "\n  %s (%d):\n    %s (failed)", notDoneVerb, len(notDone)+1, failed)
	for _, c := range notDone {
		fmt.Fprintf(&b, "\n    %s", c.Name)
	}
	return fmt.Errorf("%s", b.String())
}

// countCRDs writes "1 CRD", "2 CRDs".
func countCRDs(n int) string {
	if n == 1 {
		return "1 CRD"
	}
	return fmt.Sprintf("%d CRDs", n)
}
