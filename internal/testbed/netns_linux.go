package testbed

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

// runInNewNetNS re-runs this test binary in a new network namespace with netnsEnv set, and returns
// its exit code once it ends. Its error wraps ErrNoNetNS when no namespace can be made here.
func runInNewNetNS(ip netip.Addr) (int, error) {
	ipCmd, err := exec.LookPath("ip")
	if err != nil {
		return 0, fmt.Errorf("%w: no ip command (iproute2) to set up its loopback interface: %v", ErrNoNetNS, err)
	}
	// A dry run of the child's setup in a namespace of its own, so that lacking the right to make
	// one is reported as such rather than as a failed test run.
	probe := exec.Command(ipCmd, "-batch", "-")
	probe.Stdin = strings.NewReader(ipScript(ip))
	probe.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if out, err := probe.CombinedOutput(); err != nil {
		why := "making network namespaces needs CAP_SYS_ADMIN: run the tests as root"
		if !errors.Is(err, syscall.EPERM) {
			why = "ip failed to set up a namespace's loopback"
		}
		return 0, fmt.Errorf("%w: %s (%v) %s", ErrNoNetNS, why, err, strings.TrimSpace(string(out)))
	}

	// /proc/self/exe rather than os.Args[0], which may be relative or found through PATH; the
	// binary keeps os.Args[0] as its name.
	child := exec.Command("/proc/self/exe")
	child.Args = os.Args
	child.Env = append(os.Environ(), netnsEnv+"="+ip.String())
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Pdeathsig fires when the thread that started the child exits, not the process: keep this
	// goroutine on its thread so the Go runtime cannot retire it. SIGTERM rather than SIGKILL lets
	// the child stop its control plane on the way out.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGTERM}

	// Until the child ends this process only waits for it; the child stops the control plane, so
	// an interrupt must reach it instead of ending this process under it. From a terminal the
	// child gets it twice (it is in the same process group), which it tolerates.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	if err := child.Start(); err != nil {
		return 0, fmt.Errorf("starting the test binary in a new network namespace: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-signals:
				_ = child.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	err = child.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case !errors.As(err, &exit):
		return 0, fmt.Errorf("waiting for the test binary in the network namespace: %w", err)
	}
	// A child killed by a signal exits as a shell would report it.
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		fmt.Fprintf(os.Stderr, "testbed: the test binary in the network namespace was killed by %v\n", ws.Signal())
		return 128 + int(ws.Signal()), nil
	}
	return exit.ExitCode(), nil
}

// setUpNetNS gives the namespace this process runs in its loopback interface with ip on it. It
// refuses to touch the namespace of the process that started it, which is no fresh one: netnsEnv
// may have been set by hand, or inherited by a process not started by runInNewNetNS.
func setUpNetNS(ip netip.Addr) error {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return err
	}
	parent, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", os.Getppid()))
	if err != nil {
		return err
	}
	if self == parent {
		return fmt.Errorf("this process shares its network namespace (%s) with its parent: %s is set outside a namespace testbed made", self, netnsEnv)
	}
	cmd := exec.Command("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(ipScript(ip))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -batch: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
