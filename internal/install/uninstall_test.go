package install

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/igw-dev/igw/internal/kube"
)

func uninstaller(t *testing.T, progress *bytes.Buffer) *Uninstaller {
	return &Uninstaller{Client: apiext(t), Dynamic: dyn(t), Progress: progress, PollInterval: 100 * time.Millisecond}
}

func TestUninstallRefusedWhileObjectsExist(t *testing.T) {
	reset(t)
	crds := load(t, defaults)
	mustInstall(t, installer(t, &bytes.Buffer{}), crds)
	ensureNamespace(t, "team-a")
	for _, p := range [][2]string{{"default", "pool-a"}, {"default", "pool-b"}, {"team-a", "pool-c"}} {
		if err := createPool(t, p[0], p[1], 8000); err != nil {
			t.Fatal(err)
		}
	}

	_, err := uninstaller(t, &bytes.Buffer{}).Uninstall(testCtx(t), crds)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a refusal", err)
	}
	want := "inferencepools.inference.networking.k8s.io: 3 InferencePool object(s) still exist: " +
		"2 in default (pool-a, pool-b); 1 in team-a (pool-c)"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v\nwant it to contain %q and --force", err, want)
	}
	if n := len(installedNames(t)); n != len(crds) {
		t.Errorf("after the refusal %d of %d CRDs are left", n, len(crds))
	}

	// Dry runs report the deletions and keep everything.
	for _, mode := range []kube.DryRun{kube.DryRunClient, kube.DryRunServer} {
		u := uninstaller(t, &bytes.Buffer{})
		u.DryRun, u.Force = mode, true
		res, err := u.Uninstall(testCtx(t), crds)
		if err != nil {
			t.Fatalf("dry run %s: %v", mode, err)
		}
		if got := actions(res); got != "all deleted" || res.DryRun != mode {
			t.Errorf("dry run %s: %s", mode, got)
		}
	}
	if n := len(installedNames(t)); n != len(crds) {
		t.Fatalf("a dry run deleted CRDs: %d of %d left", n, len(crds))
	}

	// With the objects gone, uninstall goes ahead and waits until the CRDs are removed.
	for _, p := range [][2]string{{"default", "pool-a"}, {"default", "pool-b"}, {"team-a", "pool-c"}} {
		if err := dyn(t).Resource(poolGVR).Namespace(p[0]).Delete(testCtx(t), p[1], metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var progress bytes.Buffer
	res, err := uninstaller(t, &progress).Uninstall(testCtx(t), crds)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(res); got != "all deleted" {
		t.Errorf("uninstall: %s", got)
	}
	if res.CRDs[0].Name != crds[len(crds)-1].Name {
		t.Errorf("first deleted %s, want the reverse of the install order", res.CRDs[0].Name)
	}
	if names := installedNames(t); len(names) != 0 {
		t.Errorf("left after uninstall: %v", names)
	}
	if !strings.Contains(progress.String(), "deleting "+strconv.Itoa(len(crds))+" CRDs") {
		t.Errorf("progress = %q", progress.String())
	}

	// Nothing left to remove is not an error.
	res, err = uninstaller(t, &bytes.Buffer{}).Uninstall(testCtx(t), crds)
	if err != nil || actions(res) != "all not found" {
		t.Errorf("second uninstall: %v, %v", res, err)
	}
}

func TestUninstallForceDeletesObjects(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone})
	mustInstall(t, installer(t, &bytes.Buffer{}), crds)
	if err := createPool(t, "default", "doomed", 8000); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	u := uninstaller(t, &progress)
	u.Force = true
	res, err := u.Uninstall(testCtx(t), crds)
	if err != nil {
		t.Fatal(err)
	}
	if res.CRDs[0].Action != ActionDeleted || res.CRDs[0].Objects != 1 {
		t.Errorf("result %+v", res.CRDs[0])
	}
	if !strings.Contains(progress.String(), "warning: --force: inferencepools.inference.networking.k8s.io: 1 InferencePool object(s) still exist: 1 in default (doomed)") {
		t.Errorf("progress = %q", progress.String())
	}
	if len(installedNames(t)) != 0 {
		t.Error("CRD left")
	}
}

func TestUninstallRefusesOtherManagers(t *testing.T) {
	reset(t)
	crds := load(t, Selection{GatewayAPI: GatewayAPINone, Objective: ObjectiveNone})
	applyAs(t, "kubectl", crds[0], nil)
	_, err := uninstaller(t, &bytes.Buffer{}).Uninstall(testCtx(t), crds)
	if err == nil || !strings.Contains(err.Error(), `managed by "kubectl"`) || !strings.Contains(err.Error(), "refusing to uninstall") {
		t.Fatalf("err = %v", err)
	}
	if !installedNames(t)[crds[0].Name] {
		t.Error("deleted anyway")
	}
}
