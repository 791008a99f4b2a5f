// Package testbed runs a real kube-apiserver and etcd for tests that need a cluster. The binaries
// come from hack/testbed.sh build; controller-runtime's envtest starts and stops them.
//
// One control plane per test package, shared by its tests:
//
//	var bed *testbed.Env
//
//	func TestMain(m *testing.M) { testbed.Main(m, &bed, testbed.WithCRDPaths("testdata/crds")) }
//
// Tests share the cluster, so each should work in its own namespace or with its own object names.
package testbed

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// The versions hack/testbed.sh builds; they name the cache directory, so the two must agree (a test
// checks that they do).
const (
	K8sVersion  = "v1.36.3"
	EtcdVersion = "v3.6.16"
)

// Every Env writes into a fresh directory named dirPrefix+random under os.TempDir, with the pid of
// its test process in ownerFile. envtest insists on making one directory of its own (for webhook
// certificates) directly under os.TempDir; webhookDirFile records its path.
const (
	dirPrefix      = "igw-testbed-env-"
	ownerFile      = "owner.pid"
	webhookDirFile = "webhook-certs.path"
)

// SkipEnv names the variable that, set to 1, makes Main skip a package's tests instead of failing
// them when the binaries are not built. For people without the ten minutes to build them; CI must
// never set it.
const SkipEnv = "IGW_SKIP_TESTBED"

// ErrNotBuilt is wrapped by the errors of Check and Start when kube-apiserver or etcd is missing.
var ErrNotBuilt = errors.New("test bed binaries not built")

// AssetsDir is where the binaries are looked up: $KUBEBUILDER_ASSETS when set, else the cache
// directory hack/testbed.sh builds into.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	// Spelled out rather than os.UserCacheDir, which differs from the script's rule on macOS.
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(cache, "igw", "testbed", "k8s-"+K8sVersion+"-etcd-"+EtcdVersion)
}

// binPath honours envtest's per-binary overrides (TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD), so a
// variable that works with plain envtest works here too.
func binPath(name string) string {
	if p := os.Getenv("TEST_ASSET_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); p != "" {
		return p
	}
	return filepath.Join(AssetsDir(), name)
}

// Check reports whether the binaries Start needs are present; its error says how to build them.
func Check() error {
	var missing []string
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if fi, err := os.Stat(binPath(name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, binPath(name))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	hint := ""
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		hint = " (KUBEBUILDER_ASSETS is set; unset it to use the directory the build fills)"
	}
	return fmt.Errorf("%w: missing %s%s; build them once from the repository root with "+
		"`hack/testbed.sh build` (or `make testbed`), which takes 4-10 minutes cold",
		ErrNotBuilt, strings.Join(missing, " and "), hint)
}

// Option adjusts the envtest environment before it starts. Besides the options below, callers may
// write their own (API server flags, extra users); they must leave the binary paths alone.
type Option func(*envtest.Environment)

// WithCRDPaths installs the CustomResourceDefinitions in these files or directories (YAML or JSON)
// during Start, and waits until they are served. A missing path fails Start, so a typo cannot
// quietly leave the CRDs out.
func WithCRDPaths(paths ...string) Option {
	return func(e *envtest.Environment) {
		e.CRDInstallOptions.Paths = append(e.CRDInstallOptions.Paths, paths...)
		// Start copies this over CRDInstallOptions.ErrorIfPathMissing.
		e.ErrorIfCRDPathMissing = true
	}
}

// Env is one running control plane.
type Env struct {
	// Config authenticates as a member of system:masters, i.e. cluster-admin.
	Config *rest.Config
	// Kubeconfig is a file with the same credentials, for running CLIs against the control plane.
	Kubeconfig string
	// Environment is the envtest environment underneath, e.g. for AddUser or the installed CRDs.
	// Stop it through Env.Stop, which also removes the files Start wrote.
	Environment *envtest.Environment
	// PodIP is the address MainInNetNS put on the loopback of the package's network namespace: pods
	// given it are reached through the API server's pod proxy by servers listening on it. Empty
	// outside such a namespace.
	PodIP string

	dir      string // everything Start writes: server data, certificates, logs, kubeconfig
	logs     []*os.File
	stopOnce sync.Once
	stopErr  error
}

// Start starts etcd and kube-apiserver on free loopback ports, installs the CRDs the options name,
// and returns once the API server is ready. The caller must call Stop.
func Start(opts ...Option) (*Env, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	reapOrphans()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir}
	// The servers' data and certificates live in dir too, so their command lines name it: that is how
	// reapOrphans recognises them once the owner recorded here has died.
	certDir := filepath.Join(dir, "apiserver")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		return nil, e.cleanupAfterFailedStart(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, e.cleanupAfterFailedStart(err)
	}
	env := &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			APIServer: &envtest.APIServer{Path: binPath("kube-apiserver"), CertDir: certDir},
			Etcd:      &envtest.Etcd{Path: binPath("etcd"), DataDir: filepath.Join(dir, "etcd")},
		},
	}
	e.Environment = env
	// envtest's 20s default is tight on a 2-core CI runner that is compiling other packages meanwhile.
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT") == "" {
		env.ControlPlaneStartTimeout = time.Minute
	}
	// envtest discards the servers' output by default, which leaves a failed start unexplained; keep it
	// in files and quote their ends in Start's error. KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true still
	// sends it to the terminal instead.
	if os.Getenv("KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT") != "true" {
		apiserverLog, err := e.createLog("kube-apiserver.log")
		if err != nil {
			return nil, e.cleanupAfterFailedStart(err)
		}
		etcdLog, err := e.createLog("etcd.log")
		if err != nil {
			return nil, e.cleanupAfterFailedStart(err)
		}
		env.ControlPlane.APIServer.Out, env.ControlPlane.APIServer.Err = apiserverLog, apiserverLog
		env.ControlPlane.Etcd.Out, env.ControlPlane.Etcd.Err = etcdLog, etcdLog
	}
	for _, opt := range opts {
		opt(env)
	}

	track(e)
	cfg, err := env.Start()
	if err != nil {
		err = fmt.Errorf("starting kube-apiserver and etcd from %s: %w%s", AssetsDir(), err, e.logTails())
		return nil, errors.Join(err, e.Stop())
	}
	if err := os.WriteFile(filepath.Join(dir, webhookDirFile), []byte(env.WebhookInstallOptions.LocalServingCertDir), 0o600); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	e.Config = cfg
	e.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, env.KubeConfig, 0o600); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

func (e *Env) createLog(name string) (*os.File, error) {
	f, err := os.Create(filepath.Join(e.dir, name))
	if err == nil {
		e.logs = append(e.logs, f)
	}
	return f, err
}

// cleanupAfterFailedStart is for failures before anything was started.
func (e *Env) cleanupAfterFailedStart(err error) error {
	for _, f := range e.logs {
		f.Close()
	}
	return errors.Join(err, os.RemoveAll(e.dir))
}

func (e *Env) logTails() string {
	var b strings.Builder
	for _, f := range e.logs {
		data, err := os.ReadFile(f.Name())
		if err != nil || len(data) == 0 {
			continue
		}
		lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
		lines = lines[max(0, len(lines)-15):]
		fmt.Fprintf(&b, "\n--- last lines of %s ---\n%s", filepath.Base(f.Name()), bytes.Join(lines, []byte("\n")))
	}
	return b.String()
}

// Stop stops kube-apiserver, then etcd, and removes every file and directory Start created. It waits
// for both processes to exit; calling it again returns the first call's result.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		// The CRDs vanish with etcd's data; deleting them one by one first would only slow Stop down,
		// and envtest returns before stopping the processes if that deletion fails.
		e.Environment.CRDInstallOptions.CleanUpAfterUse = false
		err := e.Environment.Stop()
		for _, f := range e.logs {
			f.Close()
		}
		untrack(e)
		e.stopErr = errors.Join(err, os.RemoveAll(e.dir))
	})
	return e.stopErr
}

// envtest starts both servers in their own process group, so a Ctrl-C on `go test` reaches only the
// test binary, and its default death would orphan them. While any Env runs, an interrupt or SIGTERM
// stops them all before exiting. A panicking test or a -timeout kill cannot be intercepted; the next
// Start cleans up after those (reapOrphans).
var (
	liveMu  sync.Mutex
	live    = map[*Env]bool{}
	signals chan os.Signal
)

func track(e *Env) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if len(live) == 0 {
		signals = make(chan os.Signal, 1)
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
		go stopOnSignal(signals)
	}
	live[e] = true
}

func untrack(e *Env) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if !live[e] {
		return
	}
	delete(live, e)
	if len(live) == 0 {
		signal.Stop(signals)
		close(signals)
	}
}

func stopOnSignal(ch <-chan os.Signal) {
	sig, ok := <-ch
	if !ok {
		return
	}
	liveMu.Lock()
	envs := make([]*Env, 0, len(live))
	for e := range live {
		envs = append(envs, e)
	}
	liveMu.Unlock()
	for _, e := range envs {
		if err := e.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: stopping the control plane: %v\n", err)
		}
	}
	fmt.Fprintf(os.Stderr, "testbed: %v: stopped %d control plane(s), exiting\n", sig, len(envs))
	code := 1
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	os.Exit(code)
}

// Main runs a test package against one control plane: it starts it, stores it in *env, runs the
// tests, stops it, and exits. Call it as the whole body of TestMain.
//
// Missing binaries fail the package with the command that builds them. Only when SkipEnv is 1 does
// the package pass without running its tests, after a banner saying so; `go test` then reports it as
// "ok ... [no tests to run]".
func Main(m *testing.M, env **Env, opts ...Option) {
	os.Exit(Run(m, env, opts...))
}

// Run is Main without the exit: it returns the exit code, for a TestMain that checks something
// after every test has run.
func Run(m *testing.M, env **Env, opts ...Option) int {
	return run(m, env, "", opts...)
}

func run(m *testing.M, env **Env, podIP string, opts ...Option) int {
	e, err := Start(opts...)
	if err != nil {
		if errors.Is(err, ErrNotBuilt) && os.Getenv(SkipEnv) == "1" {
			return skipAll(m, err)
		}
		fmt.Fprintf(os.Stderr, "FAIL: testbed: %v\n", err)
		if errors.Is(err, ErrNotBuilt) {
			fmt.Fprintf(os.Stderr, "(to skip these tests instead, knowing they did not run: %s=1)\n", SkipEnv)
		}
		return 1
	}
	e.PodIP = podIP
	*env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: testbed: stopping the control plane: %v\n", err)
		code = max(code, 1)
	}
	return code
}

func skipAll(m *testing.M, cause error) int {
	line := strings.Repeat("!", 100)
	fmt.Fprintf(os.Stderr, "%s\n!!! SKIPPING EVERY TEST IN THIS PACKAGE because %s=1: %v\n!!! These tests did NOT run.\n%s\n",
		line, SkipEnv, cause, line)
	// Running no tests, rather than exiting early, makes `go test` print "[no tests to run]" next to
	// the package even when it hides the output of passing packages.
	flag.Parse()
	for name, value := range map[string]string{"test.run": "^$", "test.bench": "", "test.fuzz": ""} {
		if err := flag.Set(name, value); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: %v\n", err)
			return 1
		}
	}
	return m.Run()
}
