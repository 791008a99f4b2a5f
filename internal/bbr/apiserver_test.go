package bbr

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/testbed"
)

// startTestbed runs a control plane for one test; the rest of this package
// needs none, so it is not started for every run.
func startTestbed(t *testing.T) *testbed.Env {
	t.Helper()
	env, err := testbed.Start()
	if errors.Is(err, testbed.ErrNotBuilt) && os.Getenv(testbed.SkipEnv) == "1" {
		t.Skipf("%s=1: %v", testbed.SkipEnv, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	return env
}

// TestLostAPIServerIsReported: bbr synced its adapter ConfigMaps, then the
// apiserver goes away. Within seconds /readyz, the metrics and the log say
// so, while routing goes on with the last mapping; once the apiserver is
// back, all three clear and edits take effect again.
func TestLostAPIServerIsReported(t *testing.T) {
	env := startTestbed(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	const ns = "models"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "llama", Namespace: ns, Labels: map[string]string{adapters.Labels[0]: "true"}},
		Data:       map[string]string{"baseModel": "llama-base", "adapters": "- food-review-1\n"},
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	bbr := startBBRLogging(t, func(o *Options) {
		o.ConfigMaps, o.Kubeconfig, o.Namespace, o.LogLevel = "true", env.Kubeconfig, ns, "info"
	}, &logs)
	source := func() adapters.StatusView {
		for _, s := range bbr.readyzJSON(t).Sources {
			if s.Source == "configmaps" {
				return s
			}
		}
		t.Fatal("no configmaps source in /readyz")
		return adapters.StatusView{}
	}
	synced := func() float64 { return bbr.metricValue(t, `bbr_adapter_source_synced{source="configmaps"}`) }
	errorsTotal := func() float64 {
		if bbr.metric(t, `bbr_adapter_source_errors_total{source="configmaps"} `) == "" {
			return 0
		}
		return bbr.metricValue(t, `bbr_adapter_source_errors_total{source="configmaps"}`)
	}
	eventually(t, "the initial sync", func() bool {
		b, _ := bbr.baseOf(t, "food-review-1")
		return b == "llama-base" && source().Synced && synced() == 1
	})
	if errorsTotal() != 0 || source().LastError != "" {
		t.Fatalf("errors before the apiserver was stopped: %v, %+v", errorsTotal(), source())
	}

	// A watch that ends within a second of starting makes the reflector
	// relist, and a failed list always reached its error handler; after
	// that, a refused connection is retried as a watch and reached nothing.
	// Production watches run for minutes, so this one must outlive that.
	time.Sleep(1500 * time.Millisecond)
	if err := env.KillAPIServer(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	eventually(t, "/readyz, the metrics and the log to report the lost apiserver", func() bool {
		return source().LastError != "" && synced() == 0 && errorsTotal() > 0 &&
			strings.Contains(logs.String(), "adapter ConfigMap watch failed")
	})
	t.Logf("reported %v after the apiserver stopped: %s", time.Since(stopped).Round(time.Millisecond), source().LastError)
	if r := bbr.readyzJSON(t); r.Status != "serving" {
		t.Fatalf("/readyz status %q: a lost apiserver must not take bbr out of service", r.Status)
	}
	if b, _ := bbr.baseOf(t, "food-review-1"); b != "llama-base" {
		t.Fatalf("routing lost the last mapping: base %q", b)
	}
	// Retries while it stays down are counted but logged once as a warning.
	time.Sleep(2 * time.Second)
	if n := strings.Count(logs.String(), "adapter ConfigMap watch failed"); n > 2 {
		t.Fatalf("the loss was logged %d times; once per watch is enough", n)
	}

	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the report to clear once the apiserver answers", func() bool {
		return source().LastError == "" && synced() == 1 && strings.Contains(logs.String(), "adapter ConfigMap watch restored")
	})
	cm.Data["adapters"] = "- food-review-1\n- sql-lora\n"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "an edit after the restart", func() bool { b, _ := bbr.baseOf(t, "sql-lora"); return b == "llama-base" })
}
