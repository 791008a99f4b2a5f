//go:build linux

package testbed_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/internal/testbed"
)

// requireNetNS applies the package's policy to tests that need network namespaces.
func requireNetNS(t *testing.T) {
	t.Helper()
	probe := exec.Command("ip", "link", "show", "lo")
	probe.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if out, err := probe.CombinedOutput(); err != nil {
		if os.Getenv(testbed.SkipEnv) == "1" {
			t.Skipf("NOT RUN (%s=1): cannot make a network namespace: %v %s", testbed.SkipEnv, err, out)
		}
		t.Fatalf("cannot make a network namespace (run as root, with iproute2's ip): %v %s", err, out)
	}
}

// netnsChild is childCommand for a child whose TestMain calls MainInNetNS, with these test flags.
func netnsChild(args []string, extraEnv ...string) *exec.Cmd {
	cmd := childCommand(append([]string{childEnv + "=netns", "IGW_TESTBED_NETNS="}, extraEnv...)...)
	cmd.Args = append([]string{cmd.Args[0]}, args...)
	return cmd
}

// TestChildInNetNS checks, in the "netns" children, the namespace MainInNetNS made; elsewhere it
// skips.
func TestChildInNetNS(t *testing.T) {
	if os.Getenv(childEnv) != "netns" {
		t.Skip("runs only in the child processes of the TestMainInNetNS* tests")
	}
	if bed.PodIP != podIP {
		t.Errorf("PodIP %q, want %q", bed.PodIP, podIP)
	}
	self, _ := os.Readlink("/proc/self/ns/net")
	parent, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", os.Getppid()))
	if self == "" || self == parent {
		t.Errorf("network namespace %q, the parent's %q", self, parent)
	}

	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" || ifaces[0].Flags&net.FlagUp == 0 {
		t.Fatalf("interfaces %+v, want only lo, up", ifaces)
	}
	addrs, err := ifaces[0].Addrs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		if s := a.String(); s != "::1/128" { // there when the kernel has IPv6
			got = append(got, s)
		}
	}
	slices.Sort(got)
	if want := []string{podIP + "/32", "127.0.0.1/8"}; !slices.Equal(got, want) {
		t.Errorf("lo has %v, want %v", got, want)
	}
	// No route out: the dial fails here, before any packet is sent.
	if _, err := net.DialTimeout("tcp", "203.0.113.1:80", time.Second); !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("dialing out of the namespace: %v, want network unreachable", err)
	}

	// What the namespace is for: the API server's pod proxy reaches a server on the pod IP.
	l, err := net.Listen("tcp", net.JoinHostPort(podIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "pod answers %s", r.URL.Path)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(bed.Config)
	pod, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "netns-"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "none"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}}}
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	body, err := cs.CoreV1().Pods("default").ProxyGet("http", pod.Name, port, "/hello", nil).DoRaw(ctx)
	if err != nil || string(body) != "pod answers /hello" {
		t.Errorf("through the pod proxy: %q, %v", body, err)
	}
}

// BenchmarkChildInNetNS shows that -bench reaches the child.
func BenchmarkChildInNetNS(b *testing.B) {
	if os.Getenv(childEnv) != "netns" {
		b.Skip("runs only in the child processes of the TestMainInNetNS* tests")
	}
	for b.Loop() {
	}
}

func TestMainInNetNSRunsTheTestsInside(t *testing.T) {
	requireBed(t)
	requireNetNS(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	out, err := netnsChild([]string{"-test.run=^TestChild(UsesBed|InNetNS)$", "-test.bench=^BenchmarkChildInNetNS$",
		"-test.benchtime=1x", "-test.count=2", "-test.v"}, "TMPDIR="+tmp).CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestChildUsesBed", "--- PASS: TestChildInNetNS", "BenchmarkChildInNetNS-"} {
		if n := bytes.Count(out, []byte(want)); n != 2 {
			t.Errorf("%q %d times, want 2 (-count=2):\n%s", want, n, out)
		}
	}
	assertNothingLeft(t, tmp)
}

func TestMainInNetNSFailsWhenATestFails(t *testing.T) {
	requireBed(t)
	requireNetNS(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	out, err := netnsChild([]string{"-test.run=^TestChildUsesBed$"}, "TMPDIR="+tmp, thenEnv+"=fail").CombinedOutput()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- FAIL: TestChildUsesBed")) || !bytes.Contains(out, []byte("a test failed")) {
		t.Errorf("output lacks the failure:\n%s", out)
	}
	assertNothingLeft(t, tmp)
}

// waitingNetNSChild starts a "netns" child whose test waits, and returns once it is ready, with
// its stderr and a channel closed when its stdout ends, i.e. when the child in the namespace has
// exited too.
func waitingNetNSChild(t *testing.T, tmp string) (*exec.Cmd, *bytes.Buffer, <-chan struct{}) {
	t.Helper()
	cmd := netnsChild([]string{"-test.run=^TestChildUsesBed$", "-test.v"}, "TMPDIR="+tmp, thenEnv+"=wait")
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready, eof := make(chan bool, 1), make(chan struct{})
	var lines []string
	go func() {
		defer close(eof)
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
			t.Fatalf("child ended before its test ran:\n%s\n%s", strings.Join(lines, "\n"), stderr)
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("child not ready within 2 minutes")
	}
	if got := serversUsing(t, tmp); len(got) != 2 {
		t.Fatalf("before the signal: servers using %s = %v, want etcd and kube-apiserver", tmp, got)
	}
	return cmd, stderr, eof
}

// The interrupt goes to the process `go test` started, not to the one in the namespace.
func TestMainInNetNSStopsTheControlPlaneOnInterrupt(t *testing.T) {
	requireBed(t)
	requireNetNS(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	cmd, stderr, _ := waitingNetNSChild(t, tmp)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("want exit status 130 after SIGINT, got %v", err)
	}
	if !strings.Contains(stderr.String(), "stopped 1 control plane(s)") {
		t.Errorf("stderr lacks the stop message:\n%s", stderr)
	}
	assertNothingLeft(t, tmp)
}

func TestMainInNetNSChildDiesWithItsParent(t *testing.T) {
	requireBed(t)
	requireNetNS(t)
	tmp := t.TempDir()
	killServersAtCleanup(t, tmp)
	cmd, stderr, eof := waitingNetNSChild(t, tmp)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-eof:
	case <-time.After(time.Minute):
		t.Fatal("the child in the namespace outlived its parent by a minute")
	}
	_ = cmd.Wait()
	if !strings.Contains(stderr.String(), "terminated: stopped 1 control plane(s)") {
		t.Errorf("stderr lacks the stop message:\n%s", stderr)
	}
	assertNothingLeft(t, tmp)
}

func TestMainInNetNSFailsOrSkipsLoudlyWithoutANamespace(t *testing.T) {
	noIP := "PATH=" + t.TempDir()
	out, err := netnsChild([]string{"-test.v"}, noIP).CombinedOutput()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v\n%s", err, out)
	}
	for _, want := range []string{"FAIL: testbed:", "network namespace", "no ip command", testbed.SkipEnv + "=1"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("=== RUN")) {
		t.Errorf("tests ran outside a namespace:\n%s", out)
	}

	out, err = netnsChild([]string{"-test.v"}, noIP, testbed.SkipEnv+"=1").CombinedOutput()
	if err != nil {
		t.Fatalf("want success, got %v\n%s", err, out)
	}
	for _, want := range []string{"SKIPPING EVERY TEST", "did NOT run", "no ip command", "no tests to run"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("=== RUN")) {
		t.Errorf("tests ran outside a namespace:\n%s", out)
	}
}

func TestMainInNetNSWithoutTheRightToMakeOne(t *testing.T) {
	requireNetNS(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop the right")
	}
	// The build directory of the test binary is private to root, so nobody runs a copy.
	dir, err := os.MkdirTemp("", "igw-netns-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	exe := filepath.Join(dir, "testbed.test")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(os.Args[0], exe); err != nil {
		t.Fatal(err)
	}
	cmd := netnsChild([]string{"-test.v"})
	cmd.Path, cmd.Args[0], cmd.Dir = exe, exe, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("needs CAP_SYS_ADMIN: run the tests as root")) {
		t.Errorf("output does not say why:\n%s", out)
	}
}

// A process that shares its parent's namespace was not started by MainInNetNS, whatever its
// environment says, and must leave that namespace's loopback alone. (The parent here is a shell
// in a namespace of its own, so a bug would change nothing that matters.)
func TestMainInNetNSRefusesANamespaceItDidNotMake(t *testing.T) {
	requireNetNS(t)
	child := netnsChild([]string{"-test.v"}, "IGW_TESTBED_NETNS="+podIP)
	cmd := exec.Command("sh", append([]string{"-c", `"$0" "$@"; exit $?`}, child.Args...)...)
	cmd.Env = child.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("shares its network namespace")) || bytes.Contains(out, []byte("=== RUN")) {
		t.Errorf("output:\n%s", out)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
