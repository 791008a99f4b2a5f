package helm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

// guardDir is where $HELM_*_HOME and $DOCKER_CONFIG point during the tests. Nothing may create it:
// TestMain checks, after every test, that no code path fell back to Helm's or Docker's default
// locations.
var guardDir = filepath.Join(os.TempDir(), fmt.Sprintf("igw-helm-test-guard-%d", os.Getpid()))

func TestMain(m *testing.M) {
	for _, name := range []string{"HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME", "DOCKER_CONFIG"} {
		os.Setenv(name, filepath.Join(guardDir, strings.ToLower(name)))
	}
	code := testbed.Run(m, &bed, testbed.WithCRDPaths("testdata/crds"))
	if err := homeStateWritten(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// homeStateWritten says what, if anything, was written under guardDir.
func homeStateWritten() error {
	if _, err := os.Stat(guardDir); os.IsNotExist(err) {
		return nil
	}
	entries, _ := filepath.Glob(filepath.Join(guardDir, "*", "*"))
	return fmt.Errorf("something wrote under the $HELM_*/$DOCKER_CONFIG stand-in %s: %v", guardDir, entries)
}

// Test charts (testdata/charts at the repository root) and the bbr chart.
const (
	chartsDir   = "../../testdata/charts"
	bbrChartDir = "../../charts/bbr"
)

func testChart(name string) string { return filepath.Join(chartsDir, name) }

// testSettings keep every path in the test's temporary directory.
func testSettings(t *testing.T) Settings {
	t.Helper()
	dir := t.TempDir()
	return Settings{
		RegistryConfig:  filepath.Join(dir, "registry", "config.json"),
		RepositoryCache: filepath.Join(dir, "repository"),
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func clientset(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var nsCounter atomic.Int32

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, nsCounter.Add(1))
	_, err := clientset(t).CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// newClient is a Client for the test bed as cluster-admin, releases in ns.
func newClient(t *testing.T, ns string) *Client {
	t.Helper()
	c, err := NewForConfig(bed.Config, ns, testSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func configMap(t *testing.T, ns, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := clientset(t).CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap %s/%s: %v", ns, name, err)
	}
	return cm
}

func wantGone(t *testing.T, err error, what string) {
	t.Helper()
	if !apierrors.IsNotFound(err) {
		t.Fatalf("%s: got %v, want NotFound", what, err)
	}
}

// wantError checks err is an *Error of kind and that its message holds every fragment.
func wantError(t *testing.T, err error, kind error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, kind) {
		t.Fatalf("error %q (%T) is not an *Error of kind %v", err, err, kind)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
	if e.Fix == "" && kind != ErrReleaseNotFound {
		t.Errorf("error %q says nothing about how to fix it", err)
	}
}
