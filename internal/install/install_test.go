package install

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/kube"
)

var defaults = Selection{GatewayAPI: GatewayAPIStandard, Objective: ObjectiveLLMD, InferenceVersion: api.BundleVersion}

func TestInstallEstablishesAndIsIdempotent(t *testing.T) {
	reset(t)
	crds := load(t, defaults)
	var progress bytes.Buffer
	res := mustInstall(t, installer(t, &progress), crds)
	if got := actions(res); got != "all created" {
		t.Fatalf("first install: %s", got)
	}
	if !strings.Contains(progress.String(), "waiting for "+strconv.Itoa(len(crds))+" CRDs to be established...") {
		t.Errorf("progress = %q", progress.String())
	}
	for _, c := range crds {
		crd := getCRD(t, c.Name)
		if crd == nil {
			t.Fatalf("%s not installed", c.Name)
		}
		if !isTrue(condition(crd, "Established")) || !isTrue(condition(crd, "NamesAccepted")) {
			t.Errorf("%s: conditions %+v", c.Name, crd.Status.Conditions)
		}
		if !AppliedByIgwctl(crd.ManagedFields) || len(SpecManagers(crd.ManagedFields)) != 0 {
			t.Errorf("%s: managed fields %+v", c.Name, crd.ManagedFields)
		}
	}

	// The same again changes nothing, and all three ways of asking say so.
	in := installer(t, &bytes.Buffer{})
	for _, mode := range []kube.DryRun{kube.DryRunClient, kube.DryRunServer, kube.DryRunNone} {
		in.DryRun = mode
		if got := actions(mustInstall(t, in, crds)); got != "all unchanged" {
			t.Errorf("re-run (dry run %s): %s", mode, got)
		}
	}
	rv := getCRD(t, crds[0].Name).ResourceVersion
	mustInstall(t, in, crds)
	if getCRD(t, crds[0].Name).ResourceVersion != rv {
		t.Error("an unchanged re-run wrote the CRD")
	}

	// The installed CRD enforces upstream's validation, CEL included.
	ctx := testCtx(t)
	if err := createPool(t, "default", "valid", 8000, 8001); err != nil {
		t.Fatalf("valid InferencePool rejected: %v", err)
	}
	err := createPool(t, "default", "duplicate-ports", 8000, 8000)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "port number must be unique") {
		t.Fatalf("duplicate ports: err = %v, want the CEL rule's message", err)
	}
	_ = dyn(t).Resource(poolGVR).Namespace("default").Delete(ctx, "valid", metav1.DeleteOptions{})
}

func TestDryRunChangesNothing(t *testing.T) {
	reset(t)
	crds := load(t, defaults)
	for _, mode := range []kube.DryRun{kube.DryRunClient, kube.DryRunServer} {
		in := installer(t, &bytes.Buffer{})
		in.DryRun = mode
		res := mustInstall(t, in, crds)
		if got := actions(res); got != "all created" || res.DryRun != mode {
			t.Errorf("dry run %s on an empty cluster: %s", mode, got)
		}
		if n := len(installedNames(t)); n != 0 {
			t.Fatalf("dry run %s installed %d CRDs", mode, n)
		}
	}

	// On an installed cluster with a changed CRD, both dry runs see the change and keep it.
	mustInstall(t, installer(t, &bytes.Buffer{}), crds)
	old := crds[len(crds)-1]
	changed := old
	changed.Object = old.Object.DeepCopy()
	changed.Object.SetLabels(map[string]string{"team": "inference"})
	for _, mode := range []kube.DryRun{kube.DryRunClient, kube.DryRunServer} {
		in := installer(t, &bytes.Buffer{})
		in.DryRun = mode
		res := mustInstall(t, in, []CRD{crds[0], changed})
		if got := actions(res); got != crds[0].Name+"=unchanged "+changed.Name+"=configured" {
			t.Errorf("dry run %s with a change: %s", mode, got)
		}
	}
	if getCRD(t, changed.Name).Labels["team"] != "" {
		t.Error("a dry run stored the change")
	}
	var out bytes.Buffer
	in := installer(t, &bytes.Buffer{})
	in.DryRun = kube.DryRunServer
	if err := mustInstall(t, in, []CRD{changed}).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if want := "customresourcedefinition.apiextensions.k8s.io/" + changed.Name + " configured (server dry run)\n"; out.String() != want {
		t.Errorf("text = %q, want %q", out.String(), want)
	}
	if got := actions(mustInstall(t, installer(t, &bytes.Buffer{}), []CRD{changed})); got != "all configured" {
		t.Errorf("real apply of the change: %s", got)
	}
}

func TestDowngradeRefused(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveBoth})
	pool := crds[0]
	// A newer release installed it, as igwctl (so only the version stands in the way).
	applyAs(t, kube.FieldManager, pool, func(u *unstructured.Unstructured) {
		ann := u.GetAnnotations()
		ann[api.BundleVersionAnnotation] = "v1.7.0"
		u.SetAnnotations(ann)
	})
	_, err := installer(t, &bytes.Buffer{}).Install(testCtx(t), crds)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a refusal", err)
	}
	for _, want := range []string{pool.Name, "v1.7.0", api.BundleVersion, "downgrade", "--force", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to mention %q", err, want)
		}
	}
	// Checked before anything was applied: the objectives were not created.
	if names := installedNames(t); len(names) != 1 {
		t.Errorf("after a refusal the cluster has %v", names)
	}

	in := installer(t, &bytes.Buffer{})
	in.Force = true
	res := mustInstall(t, in, crds)
	if res.CRDs[0].Action != ActionConfigured || res.CRDs[0].PreviousBundleVersion != "v1.7.0" {
		t.Errorf("forced: %+v", res.CRDs[0])
	}
	if got := getCRD(t, pool.Name).Annotations[api.BundleVersionAnnotation]; got != api.BundleVersion {
		t.Errorf("forced downgrade left %s", got)
	}
}

func TestUpgradeFromRelease(t *testing.T) {
	reset(t)
	f, _ := fakeReleases(t)
	old, _, err := LoadFromRelease(testCtx(t), f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.5.0", ObjectiveFromRelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(mustInstall(t, installer(t, &bytes.Buffer{}), old)); got != "all created" {
		t.Fatalf("v1.5.0: %s", got)
	}
	// Upgrading to the embedded release: the pool changes version, the x-k8s objective is updated
	// the same way.
	res := mustInstall(t, installer(t, &bytes.Buffer{}), load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveXK8s}))
	if got := actions(res); got != "all configured" || res.CRDs[0].PreviousBundleVersion != "v1.5.0" || res.CRDs[0].BundleVersion != api.BundleVersion {
		t.Errorf("upgrade: %s %+v", got, res.CRDs[0])
	}
	// And back is a downgrade.
	if _, err := installer(t, &bytes.Buffer{}).Install(testCtx(t), old); err == nil || !strings.Contains(err.Error(), "v1.5.0") {
		t.Errorf("downgrade to v1.5.0: %v", err)
	}
}

func TestTakeoverRefused(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone})
	pool := crds[0]
	applyAs(t, "kubectl", pool, nil)
	_, err := installer(t, &bytes.Buffer{}).Install(testCtx(t), crds)
	if err == nil {
		t.Fatal("took over a CRD kubectl installed")
	}
	for _, want := range []string{pool.Name, `"kubectl"`, "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to mention %q", err, want)
		}
	}
	if AppliedByIgwctl(getCRD(t, pool.Name).ManagedFields) {
		t.Error("the refusal applied anyway")
	}

	in := installer(t, &bytes.Buffer{})
	in.Force = true
	if got := actions(mustInstall(t, in, crds)); got != "all configured" {
		t.Errorf("forced take-over: %s", got)
	}
	// Taken over once, it is igwctl's from then on.
	if got := actions(mustInstall(t, installer(t, &bytes.Buffer{}), crds)); got != "all unchanged" {
		t.Errorf("after the take-over: %s", got)
	}

	// Someone changes a field igwctl owns: the server's conflict stops the next apply, before
	// anything is written, and says whom it conflicts with.
	applyAs(t, "platform-operator", pool, func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedStringSlice(u.Object, []string{"ip"}, "spec", "names", "shortNames")
	})
	_, err = installer(t, &bytes.Buffer{}).Install(testCtx(t), crds)
	if err == nil || !strings.Contains(err.Error(), "platform-operator") || !strings.Contains(err.Error(), "--force") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("conflict: %v", err)
	}
	if got := getCRD(t, pool.Name).Spec.Names.ShortNames; len(got) != 1 || got[0] != "ip" {
		t.Errorf("short names after the refused apply = %v", got)
	}
}

func TestHelmOwnedRefused(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone})
	applyAs(t, "helm", crds[0], func(u *unstructured.Unstructured) {
		u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "Helm"})
		ann := u.GetAnnotations()
		ann["meta.helm.sh/release-name"], ann["meta.helm.sh/release-namespace"] = "gie", "infra"
		u.SetAnnotations(ann)
	})
	_, err := installer(t, &bytes.Buffer{}).Install(testCtx(t), crds)
	if err == nil || !strings.Contains(err.Error(), "Helm release infra/gie") || !strings.Contains(err.Error(), `"helm"`) {
		t.Fatalf("err = %v", err)
	}
}

// failNthApply makes the API server's answer to the nth real (not dry-run) apply a 500.
type failNthApply struct {
	next http.RoundTripper
	n    int32
	seen atomic.Int32
}

func (f *failNthApply) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch && r.URL.Query().Get("dryRun") == "" && f.seen.Add(1) == f.n {
		return nil, errors.New("injected failure")
	}
	return f.next.RoundTrip(r)
}

func TestApplyFailureSaysWhatWasApplied(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveBoth})
	mustInstall(t, installer(t, &bytes.Buffer{}), crds[:1])

	cfg := rest.CopyConfig(bed.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &failNthApply{next: rt, n: 2} })
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := &Installer{Client: client, Progress: &bytes.Buffer{}}
	_, err = in.Install(testCtx(t), crds)
	if err == nil {
		t.Fatal("no error")
	}
	want := crds[1].Name + " failed: "
	lines := []string{"applied (1):", crds[0].Name + " (unchanged)", "not applied (2):", crds[1].Name + " (failed)", crds[2].Name}
	for _, l := range append(lines, want, "injected failure") {
		if !strings.Contains(err.Error(), l) {
			t.Errorf("err = %v\nwant it to contain %q", err, l)
		}
	}
	if names := installedNames(t); names[crds[1].Name] || names[crds[2].Name] {
		t.Errorf("the error says not applied, the cluster has %v", names)
	}
}

func TestGatewayAPIChannels(t *testing.T) {
	reset(t)
	sel := Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone}
	mustInstall(t, installer(t, &bytes.Buffer{}), load(t, sel))
	if names := installedNames(t); len(names) != 1 || !names["inferencepools.inference.networking.k8s.io"] {
		t.Errorf("--gateway-api none installed %v", names)
	}

	sel.GatewayAPI = GatewayAPIStandard
	mustInstall(t, installer(t, &bytes.Buffer{}), load(t, sel))
	names := installedNames(t)
	if !names["httproutes.gateway.networking.k8s.io"] || names["xbackends.gateway.networking.x-k8s.io"] {
		t.Errorf("standard installed %v", names)
	}
	if ch := getCRD(t, "gateways.gateway.networking.k8s.io").Annotations[GatewayAPIChannelAnnotation]; ch != "standard" {
		t.Errorf("gateways channel = %q", ch)
	}

	// Standard → experimental is an upgrade of the channel.
	sel.GatewayAPI = GatewayAPIExperimental
	res := mustInstall(t, installer(t, &bytes.Buffer{}), load(t, sel))
	got := map[string]Action{}
	for _, c := range res.CRDs {
		got[c.Name] = c.Action
	}
	if got["xbackends.gateway.networking.x-k8s.io"] != ActionCreated || got["httproutes.gateway.networking.k8s.io"] != ActionConfigured {
		t.Errorf("standard → experimental: %s", actions(res))
	}
	if ch := getCRD(t, "gateways.gateway.networking.k8s.io").Annotations[GatewayAPIChannelAnnotation]; ch != "experimental" {
		t.Errorf("gateways channel = %q", ch)
	}

	// Back to standard would drop experimental fields: refused unless forced.
	sel.GatewayAPI = GatewayAPIStandard
	_, err := installer(t, &bytes.Buffer{}).Install(testCtx(t), load(t, sel))
	if err == nil || !strings.Contains(err.Error(), "experimental Gateway API channel") || !strings.Contains(err.Error(), "--gateway-api none") {
		t.Errorf("experimental → standard: %v", err)
	}
}

func TestObjectiveGroups(t *testing.T) {
	const llmd, xk8s = "inferenceobjectives.llm-d.ai", "inferenceobjectives.inference.networking.x-k8s.io"
	for _, tc := range []struct {
		group      ObjectiveGroup
		llmd, xk8s bool
	}{
		{ObjectiveLLMD, true, false},
		{ObjectiveXK8s, false, true},
		{ObjectiveBoth, true, true},
		{ObjectiveNone, false, false},
	} {
		reset(t)
		mustInstall(t, installer(t, &bytes.Buffer{}), load(t, Selection{GatewayAPI: GatewayAPINone, Objective: tc.group}))
		names := installedNames(t)
		if names[llmd] != tc.llmd || names[xk8s] != tc.xk8s || !names["inferencepools.inference.networking.k8s.io"] {
			t.Errorf("--objective-group %s installed %v", tc.group, names)
		}
		for name := range names {
			if crd := getCRD(t, name); crd.Annotations[api.BundleVersionAnnotation] != api.BundleVersion {
				t.Errorf("%s: bundle version %q", name, crd.Annotations[api.BundleVersionAnnotation])
			}
		}
	}
}

func TestInstallWhileTerminating(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone})
	mustInstall(t, installer(t, &bytes.Buffer{}), crds)
	// A finalizer nobody removes keeps the CRD terminating.
	c := apiext(t).ApiextensionsV1().CustomResourceDefinitions()
	hold := func(finalizers string) {
		patch := `{"metadata":{"finalizers":` + finalizers + `}}`
		if _, err := c.Patch(testCtx(t), crds[0].Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hold(`["customresourcecleanup.apiextensions.k8s.io","test.igw.dev/hold"]`)
	if err := c.Delete(testCtx(t), crds[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold(`[]`) })

	in := installer(t, &bytes.Buffer{})
	in.Force = true
	_, err := in.Install(testCtx(t), crds)
	if err == nil || !strings.Contains(err.Error(), "being deleted") || !strings.Contains(err.Error(), crds[0].Name) {
		t.Fatalf("err = %v", err)
	}
}
