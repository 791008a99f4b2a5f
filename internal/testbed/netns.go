package testbed

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// netnsEnv marks the re-executed test binary inside the namespace, and carries the address to put
// on its loopback.
const netnsEnv = "IGW_TESTBED_NETNS"

// ErrNoNetNS is wrapped by the error that says why a package cannot run in a network namespace of
// its own.
var ErrNoNetNS = errors.New("cannot run the tests in a network namespace of their own")

// MainInNetNS is Main, run in a network namespace made for the test package. Tests may send
// traffic only to loopback and into namespaces they make, never to this machine's own addresses;
// yet the API server's pod proxy refuses loopback pod IPs. Inside the namespace, addr is on the
// loopback interface too, with no other interface, so a pod given addr as its IP is reached
// through the real pod proxy by servers listening on addr, and nothing leaves the namespace.
//
//	const podIP = "10.99.0.2"
//
//	func TestMain(m *testing.M) { testbed.MainInNetNS(m, &bed, podIP, testbed.WithCRDPaths(...)) }
//
// Env.PodIP holds addr. On Linux it re-runs the test binary with the same arguments (so -run, -v,
// -count and -bench apply as usual) in a new network namespace, where it brings up lo, adds
// addr/32 (addr/128 for IPv6) to it with iproute2's ip, and runs Main; its output and exit status
// become the package's. An interrupt or SIGTERM is passed on to it, so it stops its control plane
// as Main's would, and it is sent SIGTERM if this process dies first.
//
// Making a network namespace needs CAP_SYS_ADMIN (root) and ip; without them the package fails,
// saying which is missing, or, when SkipEnv is 1, passes without running its tests, as Main does
// without the binaries.
func MainInNetNS(m *testing.M, env **Env, addr string, opts ...Option) {
	os.Exit(RunInNetNS(m, env, addr, opts...))
}

// RunInNetNS is MainInNetNS without the exit: it returns the exit code.
func RunInNetNS(m *testing.M, env **Env, addr string, opts ...Option) int {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" || ip.Is4In6() {
		fmt.Fprintf(os.Stderr, "FAIL: testbed: the namespace's address %q is not a plain IP address\n", addr)
		return 1
	}
	if marked := os.Getenv(netnsEnv); marked != "" {
		// The tests' own subprocesses are no namespace children and must not set it up again.
		os.Unsetenv(netnsEnv)
		if marked != addr {
			fmt.Fprintf(os.Stderr, "FAIL: testbed: %s=%q, but the package asks for address %s\n", netnsEnv, marked, addr)
			return 1
		}
		if err := setUpNetNS(ip); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: testbed: setting up the network namespace: %v\n", err)
			return 1
		}
		// kube-apiserver takes the address it advertises from the default route, which a namespace
		// with only lo lacks; the caller's options may still choose another.
		advertise := func(e *envtest.Environment) {
			e.ControlPlane.GetAPIServer().Configure().Set("advertise-address", addr)
		}
		return run(m, env, addr, append([]Option{advertise}, opts...)...)
	}
	code, err := runInNewNetNS(ip)
	if err == nil {
		return code
	}
	if errors.Is(err, ErrNoNetNS) && os.Getenv(SkipEnv) == "1" {
		return skipAll(m, err)
	}
	fmt.Fprintf(os.Stderr, "FAIL: testbed: %v\n", err)
	if errors.Is(err, ErrNoNetNS) {
		fmt.Fprintf(os.Stderr, "(to skip these tests instead, knowing they did not run: %s=1)\n", SkipEnv)
	}
	return 1
}

// ipScript is what ip -batch runs to give a fresh namespace its loopback with ip on it.
func ipScript(ip netip.Addr) string {
	return fmt.Sprintf("link set lo up\naddr add %s dev lo\n", netip.PrefixFrom(ip, ip.BitLen()))
}
