package testbed_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/igw-dev/igw/internal/testbed"
)

// The tests of Main re-run this test binary as a child whose TestMain hands over to testbed.Main,
// because Main exits the process.
const (
	childEnv = "IGW_TESTBED_TEST_CHILD" // "main": TestMain calls testbed.Main; "netns": testbed.MainInNetNS
	thenEnv  = "IGW_TESTBED_TEST_THEN"  // what the child's test does once it used the bed: "wait" for a signal, "panic" or "fail"
	podIP    = "10.99.0.2"              // what the "netns" children put on their namespace's loopback
)

var bed *testbed.Env

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "main":
		testbed.Main(m, &bed)
	case "netns":
		testbed.MainInNetNS(m, &bed, podIP)
	}
	os.Exit(m.Run())
}

// requireBed applies the package's policy to tests that start their own control plane: fail when
// the binaries are missing, skip only if asked to.
func requireBed(t *testing.T) {
	t.Helper()
	if err := testbed.Check(); err != nil {
		if os.Getenv(testbed.SkipEnv) == "1" {
			t.Skipf("NOT RUN (%s=1): %v", testbed.SkipEnv, err)
		}
		t.Fatal(err)
	}
}

func TestScriptAndPackageUseTheSameDirectory(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", "")
	for _, xdg := range []string{"", t.TempDir()} {
		t.Setenv("XDG_CACHE_HOME", xdg)
		out, err := exec.Command("bash", "../../hack/testbed.sh", "path").Output()
		if err != nil {
			t.Fatalf("hack/testbed.sh path: %v", err)
		}
		if got, want := strings.TrimSpace(string(out)), testbed.AssetsDir(); got != want {
			t.Errorf("XDG_CACHE_HOME=%q: script builds into %s, package looks in %s", xdg, got, want)
		}
	}
}

func TestStartServesTheAPIAndStopLeavesNothingBehind(t *testing.T) {
	requireBed(t)
	// Everything envtest and Start write goes under TMPDIR, so an empty directory after Stop shows
	// that nothing leaked, and the servers' command lines name it, which identifies them below.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	t0 := time.Now()
	e, err := testbed.Start(testbed.WithCRDPaths("testdata/crds"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() }) // only matters when a check below fails first
	t.Logf("control plane and CRD ready in %v", time.Since(t0).Round(time.Millisecond))

	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(e.Config)

	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := version.ParseSemantic(info.GitVersion); err != nil {
		t.Errorf("/version is not a semantic version (is the build stamped?): %v", err)
	}
	// Other binaries may stand in through KUBEBUILDER_ASSETS; those from hack/testbed.sh must be the pinned version.
	fromScript := filepath.Base(testbed.AssetsDir()) == "k8s-"+testbed.K8sVersion+"-etcd-"+testbed.EtcdVersion
	if fromScript && info.GitVersion != testbed.K8sVersion {
		t.Errorf("server version %s, want %s", info.GitVersion, testbed.K8sVersion)
	}

	const ns = "testbed-proof"
	created, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gotNS, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotNS.UID != created.UID {
		t.Errorf("namespace read back with uid %s, created %s", gotNS.UID, created.UID)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "created", Namespace: ns}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gotCM, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "created", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotCM.Data["k"] != "v" {
		t.Errorf("configmap read back with data %v", gotCM.Data)
	}

	apply := func(manager, owner string) error {
		_, err := cs.CoreV1().ConfigMaps(ns).Apply(ctx,
			corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"owner": owner}),
			metav1.ApplyOptions{FieldManager: manager})
		return err
	}
	if err := apply("igw-test", "igw"); err != nil {
		t.Fatalf("server-side apply: %v", err)
	}
	applied, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "applied", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if applied.Data["owner"] != "igw" {
		t.Errorf("applied configmap has data %v", applied.Data)
	}
	if !slices.ContainsFunc(applied.ManagedFields, func(f metav1.ManagedFieldsEntry) bool {
		return f.Manager == "igw-test" && f.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("no Apply entry for igw-test in managedFields: %+v", applied.ManagedFields)
	}
	// Only a real server-side apply tracks field ownership and refuses a second manager's change.
	if err := apply("someone-else", "them"); !apierrors.IsConflict(err) {
		t.Errorf("apply by a second manager: want a conflict, got %v", err)
	}

	widgets := dynamic.NewForConfigOrDie(e.Config).
		Resource(schema.GroupVersionResource{Group: "testbed.igw.test", Version: "v1", Resource: "widgets"}).Namespace(ns)
	widget := func(minimum, maximum int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "testbed.igw.test/v1", "kind": "Widget",
			"metadata": map[string]any{"name": "w", "namespace": ns},
			"spec":     map[string]any{"min": minimum, "max": maximum},
		}}
	}
	if _, err := widgets.Apply(ctx, "w", widget(1, 2), metav1.ApplyOptions{FieldManager: "igw-test"}); err != nil {
		t.Fatalf("apply a custom resource of the CRD from WithCRDPaths: %v", err)
	}
	if _, err := widgets.Apply(ctx, "w", widget(3, 2), metav1.ApplyOptions{FieldManager: "igw-test"}); !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), "min must be <= max") {
		t.Errorf("CEL rule of the CRD: want Invalid, got %v", err)
	}

	fromFile, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(fromFile).CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Errorf("client from the Kubeconfig file: %v", err)
	}

	if runtime.GOOS == "linux" {
		if got, want := serversUsing(t, tmp), []string{"etcd", "kube-apiserver"}; !slices.Equal(got, want) {
			t.Fatalf("before Stop: servers using %s = %v, want %v", tmp, got, want)
		}
	}
	t1 := time.Now()
	if err := e.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stopped in %v", time.Since(t1).Round(time.Millisecond))
	assertNothingLeft(t, tmp)
	if runtime.GOOS == "linux" {
		if z := zombieChildren(t); len(z) > 0 {
			t.Errorf("unreaped children after Stop: %v", z)
		}
	}
	if err := e.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestChildUsesBed is the package's test inside the children started below; elsewhere it skips.
func TestChildUsesBed(t *testing.T) {
	if c := os.Getenv(childEnv); c != "main" && c != "netns" {
		t.Skip("runs only in the child processes of the TestMain* tests")
	}
	cs := kubernetes.NewForConfigOrDie(bed.Config)
	if _, err := cs.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	switch os.Getenv(thenEnv) {
	case "wait":
		fmt.Println("CHILD READY")
		time.Sleep(time.Minute)
		t.Fatal("no signal within a minute")
	case "panic":
		panic("a test crashed")
	case "fail":
		t.Fatal("a test failed")
	}
}

func childCommand(extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildUsesBed$", "-test.v")
	// Later entries win, so these override whatever the developer's shell has set.
	cmd.Env = append(os.Environ(), childEnv+"=main", thenEnv+"=", testbed.SkipEnv+"=",
		"TEST_ASSET_KUBE_APISERVER=", "TEST_ASSET_ETCD=")
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}

func TestMainFailsWhenBinariesAreMissing(t *testing.T) {
	out, err := childCommand("KUBEBUILDER_ASSETS=" + t.TempDir()).CombinedOutput()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v\n%s", err, out)
	}
	for _, want := range []string{"FAIL: testbed:", "hack/testbed.sh build", "make testbed"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("=== RUN")) {
		t.Errorf("tests ran without a control plane:\n%s", out)
	}
}

func TestMainSkipsLoudlyOnlyWhenAsked(t *testing.T) {
	out, err := childCommand("KUBEBUILDER_ASSETS="+t.TempDir(), testbed.SkipEnv+"=1").CombinedOutput()
	if err != nil {
		t.Fatalf("want success, got %v\n%s", err, out)
	}
	for _, want := range []string{"SKIPPING EVERY TEST", "did NOT run", "hack/testbed.sh build", "no tests to run"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("=== RUN")) {
		t.Errorf("tests ran without a control plane:\n%s", out)
	}
}

func TestMainRunsTheTestsAndCleansUp(t *testing.T) {
	requireBed(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	out, err := childCommand("TMPDIR=" + tmp).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestChildUsesBed")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	assertNothingLeft(t, tmp)
}

func TestMainStopsTheControlPlaneOnInterrupt(t *testing.T) {
	requireBed(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	cmd := childCommand("TMPDIR="+tmp, thenEnv+"=wait")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	var lines []string
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines = append(lines, s.Text())
			if s.Text() == "CHILD READY" {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("child ended before its test ran:\n%s\n%s", strings.Join(lines, "\n"), &stderr)
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("child not ready within 2 minutes")
	}
	if runtime.GOOS == "linux" {
		if got := serversUsing(t, tmp); len(got) != 2 {
			t.Fatalf("before the interrupt: servers using %s = %v, want etcd and kube-apiserver", tmp, got)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("want exit status 130 after SIGINT, got %v", err)
	}
	if !strings.Contains(stderr.String(), "stopped 1 control plane(s)") {
		t.Errorf("stderr lacks the stop message:\n%s", &stderr)
	}
	assertNothingLeft(t, tmp)
}

func TestStartReapsTheServersOfACrashedTestProcess(t *testing.T) {
	requireBed(t)
	if runtime.GOOS != "linux" {
		t.Skip("reaping finds the orphans through /proc")
	}
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	out, err := childCommand("TMPDIR="+tmp, thenEnv+"=panic").CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("panic: a test crashed")) {
		t.Fatalf("want the child to crash, got %v\n%s", err, out)
	}
	if got := serversUsing(t, tmp); len(got) != 2 {
		t.Fatalf("after the crash: servers using %s = %v, want the orphaned etcd and kube-apiserver", tmp, got)
	}

	t.Setenv("TMPDIR", tmp)
	e, err := testbed.Start()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, tmp)
}

// killServersAtCleanup keeps a failing test from leaving servers behind for the next one to trip over.
func killServersAtCleanup(t *testing.T, dir string) {
	t.Cleanup(func() {
		for _, pid := range pids(t) {
			if cmdline, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline")); err == nil && bytes.Contains(cmdline, []byte(dir+"/")) {
				if p, err := strconv.Atoi(pid); err == nil {
					_ = syscall.Kill(p, syscall.SIGKILL)
				}
			}
		}
	})
}

func assertNothingLeft(t *testing.T, tmp string) {
	t.Helper()
	if runtime.GOOS == "linux" {
		if got := serversUsing(t, tmp); len(got) > 0 {
			t.Errorf("still running after Stop: %v", got)
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// serversUsing returns the sorted program names of live processes whose command line mentions dir.
func serversUsing(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, pid := range pids(t) {
		cmdline, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir+"/")) {
			continue // exited meanwhile, or not ours
		}
		names = append(names, filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0])))
	}
	slices.Sort(names)
	return names
}

// zombieChildren lists children of this process that exited but were never waited for.
func zombieChildren(t *testing.T) []string {
	t.Helper()
	var zombies []string
	self := fmt.Sprint(os.Getpid())
	for _, pid := range pids(t) {
		stat, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		if err != nil {
			continue
		}
		// The fields after the parenthesised command name: state, ppid, ...
		i := bytes.LastIndexByte(stat, ')')
		if f := strings.Fields(string(stat[i+1:])); len(f) > 1 && f[0] == "Z" && f[1] == self {
			zombies = append(zombies, pid)
		}
	}
	return zombies
}

func pids(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Trim(e.Name(), "0123456789") == "" {
			out = append(out, e.Name())
		}
	}
	return out
}
