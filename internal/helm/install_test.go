package helm

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/ocitest"
)

func envValue(t *testing.T, ns, deployment, name string) (string, bool) {
	t.Helper()
	d, err := clientset(t).AppsV1().Deployments(ns).Get(context.Background(), deployment, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Deployment %s/%s: %v", ns, deployment, err)
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// TestInstallUpgradeUninstall walks one release through its life: install from the OCI registry
// with the inference switch as a base value, status, upgrade to a newer chart with other values,
// wait (which cannot succeed: no controllers run in the test bed), uninstall.
func TestInstallUpgradeUninstall(t *testing.T) {
	reg := ocitest.Start(t)
	ref, _ := reg.MustPushChart(t, testChart("istio/istiod"), "1.28.0")
	reg.MustPushChart(t, testChart("istio/istiod"), "1.28.1")
	ns := "istio-upgrade" // created by the install
	c := newClient(t, ns)
	inference := map[string]any{"pilot": map[string]any{"env": map[string]any{"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}}
	extra := writeFile(t, "extra.yaml", "pilot:\n  env:\n    PILOT_EXTRA: \"1\"\n")

	st, err := c.Status(ctx(t), "istiod", "")
	if err != nil || st.Installed {
		t.Fatalf("Status before install: %+v, %v", st, err)
	}

	res, err := c.Install(ctx(t), InstallOptions{
		ReleaseName:     "istiod",
		Chart:           ChartRef{Chart: ref, Version: "1.28.0", PlainHTTP: true},
		Values:          Values{Base: inference, Files: []string{extra}},
		CreateNamespace: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "install" || res.Revision != 1 || res.Status != "deployed" || res.ChartVersion != "1.28.0" || res.Namespace != ns {
		t.Fatalf("install result %+v", res)
	}
	if res.Source != ref+":1.28.0" || res.Waited || len(res.Objects) != 2 {
		t.Fatalf("install result source %q waited %v objects %v", res.Source, res.Waited, res.Objects)
	}
	if cm := configMap(t, ns, "istiod-test-values"); cm.Data["inferenceExtension"] != "true" {
		t.Fatalf("inference switch not set: %v", cm.Data)
	}
	if v, _ := envValue(t, ns, "istiod", "PILOT_EXTRA"); v != "1" {
		t.Fatalf("PILOT_EXTRA = %q", v)
	}
	t.Log(res.Summary())

	st, err = c.Status(ctx(t), "istiod", ns)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Installed || st.Chart != "istiod" || st.ChartVersion != "1.28.0" || st.AppVersion != "1.28.0" || st.Revision != 1 || st.Status != "deployed" {
		t.Fatalf("Status %+v", st)
	}
	if v, _ := ValuesPath(st.Values, "pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION"); v != "true" {
		t.Fatalf("Status values %v", st.Values)
	}

	// Upgrade: newer chart, no values file this time. The previous run's PILOT_EXTRA must not
	// survive (no silent reuse of old values); --set adds another variable.
	res, err = c.Install(ctx(t), InstallOptions{
		ReleaseName: "istiod",
		Chart:       ChartRef{Chart: ref, PlainHTTP: true},
		Values:      Values{Base: inference, Set: []string{"pilot.env.PILOT_TRACE=yes"}},
		Wait:        true,
		Timeout:     3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "upgrade" || res.Revision != 2 || res.ChartVersion != "1.28.1" {
		t.Fatalf("upgrade result %+v", res)
	}
	if _, ok := envValue(t, ns, "istiod", "PILOT_EXTRA"); ok {
		t.Fatal("PILOT_EXTRA survived an upgrade that did not set it")
	}
	if v, _ := envValue(t, ns, "istiod", "PILOT_TRACE"); v != "yes" {
		t.Fatalf("PILOT_TRACE = %q", v)
	}
	if !res.Waited || res.Ready || res.WaitErr == nil || len(res.NotReady) != 1 || res.NotReady[0] != "Deployment "+ns+"/istiod: 0 of 1 replicas ready" {
		t.Fatalf("wait: ready %v, not ready %q, err %v", res.Ready, res.NotReady, res.WaitErr)
	}
	if sum := res.Summary(); !strings.Contains(sum, "but not ready") || !strings.Contains(sum, "istiod") {
		t.Fatalf("Summary %q", sum)
	}
	t.Log(res.Summary())

	// ReuseValues keeps the last revision's values and merges the new ones over them.
	res, err = c.Install(ctx(t), InstallOptions{
		ReleaseName: "istiod",
		Chart:       ChartRef{Chart: ref, Version: "1.28.1", PlainHTTP: true},
		Values:      Values{Set: []string{"pilot.env.PILOT_MORE=1"}},
		ReuseValues: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := envValue(t, ns, "istiod", "PILOT_TRACE"); v != "yes" || res.Revision != 3 {
		t.Fatalf("reuse values: PILOT_TRACE = %q, revision %d", v, res.Revision)
	}

	un, err := c.Uninstall(ctx(t), "istiod", UninstallOptions{DryRun: kube.DryRunServer})
	if st, _ := c.Status(ctx(t), "istiod", ns); err != nil || !un.Existed || !st.Installed {
		t.Fatalf("Uninstall dry run: %+v, %v; installed after it: %v", un, err, st.Installed)
	}
	un, err = c.Uninstall(ctx(t), "istiod", UninstallOptions{Wait: true, Timeout: 30 * time.Second})
	if err != nil || !un.Existed {
		t.Fatalf("Uninstall: %+v, %v", un, err)
	}
	_, err = clientset(t).CoreV1().ConfigMaps(ns).Get(context.Background(), "istiod-test-values", metav1.GetOptions{})
	wantGone(t, err, "ConfigMap after uninstall")
	_, err = clientset(t).AppsV1().Deployments(ns).Get(context.Background(), "istiod", metav1.GetOptions{})
	wantGone(t, err, "Deployment after uninstall")
	if st, err := c.Status(ctx(t), "istiod", ns); err != nil || st.Installed {
		t.Fatalf("Status after uninstall: %+v, %v", st, err)
	}

	_, err = c.Uninstall(ctx(t), "istiod", UninstallOptions{})
	wantError(t, err, ErrReleaseNotFound, `"istiod"`, ns)
	_, err = c.Uninstall(ctx(t), "istiod", UninstallOptions{DryRun: kube.DryRunClient})
	wantError(t, err, ErrReleaseNotFound, `"istiod"`, ns)
	if un, err := c.Uninstall(ctx(t), "istiod", UninstallOptions{IgnoreNotFound: true}); err != nil || un.Existed {
		t.Fatalf("Uninstall IgnoreNotFound: %+v, %v", un, err)
	}
}

// TestInstallProviderCharts installs every test chart with its real inference extension switch,
// from the OCI registry and from an HTTP chart repository, and checks the switch reached the
// objects.
func TestInstallProviderCharts(t *testing.T) {
	reg := ocitest.Start(t)
	repo := ocitest.StartChartRepo(t)
	repo.MustAddChart(t, testChart("istio/base"), "")
	repo.MustAddChart(t, testChart("istio/istiod"), "")
	agwCRDs, _ := reg.MustPushChart(t, testChart("agentgateway-crds"), "")
	agw, _ := reg.MustPushChart(t, testChart("agentgateway"), "")
	ngf, _ := reg.MustPushChart(t, testChart("nginx-gateway-fabric"), "")

	for _, tc := range []struct {
		ns, release string
		chart       ChartRef
		set         string
		configMap   string
	}{
		{"istio-system", "istio-base", ChartRef{RepoURL: repo.URL, Chart: "base"}, "defaultRevision=default", "istio-base-test-values"},
		{"istio-system", "istiod", ChartRef{RepoURL: repo.URL, Chart: "istiod", Version: "1.28.0"}, "pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true", "istiod-test-values"},
		{"agentgateway-system", "agentgateway-crds", ChartRef{Chart: agwCRDs, Version: "v1.0.0", PlainHTTP: true}, "", "agentgateway-crds-test-values"},
		{"agentgateway-system", "agentgateway", ChartRef{Chart: agw, Version: "v1.0.0", PlainHTTP: true}, "inferenceExtension.enabled=true", "agentgateway-test-values"},
		{"nginx-gateway", "ngf", ChartRef{Chart: ngf, PlainHTTP: true}, "nginxGateway.gwAPIInferenceExtension.enable=true", "ngf-test-values"},
	} {
		t.Run(tc.release, func(t *testing.T) {
			var set []string
			if tc.set != "" {
				set = []string{tc.set}
			}
			res, err := newClient(t, tc.ns).Install(ctx(t), InstallOptions{
				ReleaseName: tc.release, Chart: tc.chart, Values: Values{Set: set}, CreateNamespace: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			cm := configMap(t, tc.ns, tc.configMap)
			if cm.Data["chart"] != res.Chart+"-"+res.ChartVersion {
				t.Fatalf("ConfigMap %s records chart %q, release has %s %s", tc.configMap, cm.Data["chart"], res.Chart, res.ChartVersion)
			}
			if _, hasSwitch := cm.Data["inferenceExtension"]; hasSwitch && cm.Data["inferenceExtension"] != "true" {
				t.Fatalf("inference extension switch %q in %v", cm.Data["inferenceExtension"], cm.Data)
			}
		})
	}
	d, err := clientset(t).AppsV1().Deployments("nginx-gateway").Get(context.Background(), "ngf-nginx-gateway-fabric", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if args := d.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--gateway-api-inference-extension") {
		t.Fatalf("NGF args %v lack --gateway-api-inference-extension", args)
	}
	if v, _ := envValue(t, "istio-system", "istiod", "ENABLE_GATEWAY_API_INFERENCE_EXTENSION"); v != "true" {
		t.Fatalf("istiod env ENABLE_GATEWAY_API_INFERENCE_EXTENSION = %q", v)
	}
}

// TestWaitReady: a release with nothing that takes time to become ready is ready at once.
func TestWaitReady(t *testing.T) {
	ns := namespace(t, "wait")
	res, err := newClient(t, ns).Install(ctx(t), InstallOptions{
		ReleaseName: "base", Chart: ChartRef{Chart: testChart("istio/base")}, Wait: true, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Waited || !res.Ready || len(res.NotReady) != 0 || res.WaitErr != nil {
		t.Fatalf("wait: %+v", res)
	}
	if !strings.HasSuffix(res.Summary(), ", ready") {
		t.Fatalf("Summary %q", res.Summary())
	}
}

// TestInstallErrors: each failure names the problem and the fix, and leaves no release behind.
func TestInstallErrors(t *testing.T) {
	reg := ocitest.Start(t)
	ref, _ := reg.MustPushChart(t, testChart("istio/istiod"), "1.28.0")
	down := ocitest.Start(t)
	downRef, _ := down.MustPushChart(t, testChart("istio/istiod"), "1.28.0")
	down.Close()
	bad := writeFile(t, "bad.yaml", "pilot:\n  env: {\n")
	ns := namespace(t, "errors")
	c := newClient(t, ns)

	for _, tc := range []struct {
		name      string
		opts      InstallOptions
		kind      error
		fragments []string
	}{
		{"missing version", InstallOptions{Chart: ChartRef{Chart: ref, Version: "1.99.0", PlainHTTP: true}}, ErrVersionNotFound, []string{ref, "1.99.0", "1.28.0"}},
		{"bad values file", InstallOptions{Chart: ChartRef{Chart: ref, PlainHTTP: true}, Values: Values{Files: []string{bad}}}, ErrBadValues, []string{bad, "line"}},
		{"registry down", InstallOptions{Chart: ChartRef{Chart: downRef, Version: "1.28.0", PlainHTTP: true}}, ErrUnreachable, []string{down.Host}},
		{"bad release name", InstallOptions{ReleaseName: "Not_Valid", Chart: ChartRef{Chart: ref, PlainHTTP: true}}, ErrBadValues, []string{"Not_Valid"}},
		{"no namespace", InstallOptions{Namespace: "not-there", Chart: ChartRef{Chart: ref, PlainHTTP: true}}, ErrNoNamespace, []string{`"not-there"`, "kubectl create namespace not-there"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts.ReleaseName == "" {
				opts.ReleaseName = "istiod"
			}
			_, err := c.Install(ctx(t), opts)
			wantError(t, err, tc.kind, tc.fragments...)
			t.Log(err)
			if st, err := c.Status(ctx(t), opts.ReleaseName, opts.Namespace); err == nil && st.Installed {
				t.Fatalf("a failed install left release %+v", st)
			}
		})
	}
}

// TestInstallConflict: objects made outside Helm block an install until it may adopt them.
func TestInstallConflict(t *testing.T) {
	ns := namespace(t, "conflict")
	_, err := clientset(t).CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "istio-base-test-values"}, Data: map[string]string{"by": "kubectl"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ns)
	opts := InstallOptions{ReleaseName: "base", Chart: ChartRef{Chart: testChart("istio/base")}}
	_, err = c.Install(ctx(t), opts)
	wantError(t, err, ErrConflict, "ConfigMap "+ns+"/istio-base-test-values", "take ownership")
	t.Log(err)
	opts.TakeOwnership = true
	if _, err := c.Install(ctx(t), opts); err != nil {
		t.Fatal(err)
	}
	if cm := configMap(t, ns, "istio-base-test-values"); cm.Data["chart"] != "base-1.28.0" || cm.Labels["app.kubernetes.io/managed-by"] != "Helm" {
		t.Fatalf("adopted ConfigMap %v %v", cm.Labels, cm.Data)
	}
}

// TestInstallForbidden: a user without RBAC is told which verb on which resource is missing.
func TestInstallForbidden(t *testing.T) {
	ns := namespace(t, "rbac")
	user, err := bed.Environment.AddUser(envtest.User{Name: "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewForConfig(user.Config(), ns, testSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Install(ctx(t), InstallOptions{ReleaseName: "base", Chart: ChartRef{Chart: testChart("istio/base")}})
	wantError(t, err, ErrForbidden, `"alice"`, "secrets", "list", ns)
	t.Log(err)
	_, err = c.Status(ctx(t), "base", "")
	wantError(t, err, ErrForbidden, "secrets")
}

// TestDryRun renders without a cluster: nothing is created, not even the release record.
func TestDryRun(t *testing.T) {
	reg := ocitest.Start(t)
	ref, _ := reg.MustPushChart(t, testChart("istio/istiod"), "")
	ns := namespace(t, "dryrun")
	c := newClient(t, ns)
	res, err := c.Install(ctx(t), InstallOptions{
		ReleaseName: "istiod",
		Chart:       ChartRef{Chart: ref, PlainHTTP: true},
		Values:      Values{Set: []string{"pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true"}},
		DryRun:      kube.DryRunClient,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "dry-run" || res.Namespace != ns || !strings.Contains(res.Manifest, "kind: Deployment") ||
		!strings.Contains(res.Manifest, "ENABLE_GATEWAY_API_INFERENCE_EXTENSION") || len(res.Objects) != 2 {
		t.Fatalf("dry run result %+v", res)
	}
	t.Log(res.Summary())
	_, err = clientset(t).CoreV1().ConfigMaps(ns).Get(context.Background(), "istiod-test-values", metav1.GetOptions{})
	wantGone(t, err, "ConfigMap after a dry run")
	if st, err := c.Status(ctx(t), "istiod", ""); err != nil || st.Installed {
		t.Fatalf("Status after a dry run: %+v, %v", st, err)
	}
}

// A server dry run renders against the cluster and checks the objects there, changing nothing:
// an object that exists outside the release is a conflict, as on a real install.
func TestServerDryRun(t *testing.T) {
	reg := ocitest.Start(t)
	ref, _ := reg.MustPushChart(t, testChart("istio/istiod"), "")
	ns := namespace(t, "serverdry")
	c := newClient(t, ns)
	opts := InstallOptions{ReleaseName: "istiod", Chart: ChartRef{Chart: ref, PlainHTTP: true}, DryRun: kube.DryRunServer}
	res, err := c.Install(ctx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "dry-run" || res.DryRun != kube.DryRunServer || len(res.Objects) != 2 || !strings.HasSuffix(res.Summary(), "(server dry run)") {
		t.Fatalf("server dry run %+v\n%s", res, res.Summary())
	}
	_, err = clientset(t).CoreV1().ConfigMaps(ns).Get(context.Background(), "istiod-test-values", metav1.GetOptions{})
	wantGone(t, err, "ConfigMap after a server dry run")
	if st, err := c.Status(ctx(t), "istiod", ""); err != nil || st.Installed {
		t.Fatalf("Status after a server dry run: %+v, %v", st, err)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "istiod-test-values", Namespace: ns}}
	if _, err := clientset(t).CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Install(ctx(t), opts)
	wantError(t, err, ErrConflict, "istiod-test-values")
}

// A chart the caller loaded (and checked) is installed as it is: Chart is
// not read, so a reference that resolves to nothing does not matter.
func TestInstallLoadedChart(t *testing.T) {
	ch, err := loader.Load(testChart("istio/istiod"))
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "loaded")
	c := newClient(t, ns)
	for _, dry := range []kube.DryRun{kube.DryRunClient, kube.DryRunNone} {
		res, err := c.Install(ctx(t), InstallOptions{
			ReleaseName: "istiod", Chart: ChartRef{Chart: "/nonexistent/chart"},
			Loaded: ch, Source: "checked earlier", DryRun: dry,
		})
		if err != nil {
			t.Fatalf("dry run %v: %v", dry, err)
		}
		if res.Source != "checked earlier" || res.Chart != ch.Name() || len(res.Objects) != 2 {
			t.Fatalf("dry run %v: result %+v", dry, res)
		}
	}
	if st, err := c.Status(ctx(t), "istiod", ""); err != nil || !st.Installed {
		t.Fatalf("Status after installing the loaded chart: %+v, %v", st, err)
	}
}
