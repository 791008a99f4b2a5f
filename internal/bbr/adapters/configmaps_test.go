package adapters

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/testbed"
)

var env *testbed.Env

func TestMain(m *testing.M) { testbed.Main(m, &env) }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func configMap(ns, name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}, Data: data}
}

// watchRuns numbers the runs of TestConfigMapWatch (go test -count=N).
var watchRuns atomic.Int32

// TestConfigMapWatch drives the watch through a real apiserver: both labels,
// updates, an invalid edit, label removal, deletion and namespace scoping.
func TestConfigMapWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	// Namespaces never finish deleting without a controller manager, so
	// each run (go test -count=N) gets its own.
	run := watchRuns.Add(1)
	nsName, elsewhere := fmt.Sprintf("bbr-cm-%d", run), fmt.Sprintf("elsewhere-%d", run)
	cms := cs.CoreV1().ConfigMaps(nsName)
	for _, ns := range []string{nsName, elsewhere} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bbrLabel := map[string]string{Labels[0]: "true"}
	ippLabel := map[string]string{Labels[1]: "true"}
	create := func(cm *corev1.ConfigMap) {
		t.Helper()
		if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create(configMap(nsName, "llama", bbrLabel, map[string]string{"baseModel": "llama", "adapters": "- a1\n- a2\n"}))
	create(configMap(nsName, "qwen", ippLabel, map[string]string{"baseModel": "qwen", "adapters": "[q1]"}))
	create(configMap(nsName, "unlabelled", nil, map[string]string{"baseModel": "x", "adapters": "[c1]"}))
	create(configMap(elsewhere, "other-ns", bbrLabel, map[string]string{"baseModel": "y", "adapters": "[o1]"}))

	store := NewStore(quiet(), nil)
	status := NewStatus("configmaps", true, "")
	core, err := NewCoreClient(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	src := &ConfigMapSource{Client: core, Namespace: nsName, Store: store, Log: quiet(), Status: status}
	go src.Run(ctx)

	base := func(m string) string { b, _ := store.Snapshot().BaseOf(m); return b }
	eventually(t, "the initial mapping", func() bool { return base("a1") == "llama" && base("q1") == "qwen" && status.View().Synced })
	if base("c1") != "" || base("o1") != "" {
		t.Fatalf("unlabelled or out-of-namespace ConfigMap mapped: c1=%q o1=%q", base("c1"), base("o1"))
	}

	llama, _ := cms.Get(ctx, "llama", metav1.GetOptions{})
	llama.Data["adapters"] = "- a3\n"
	if _, err := cms.Update(ctx, llama, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the update", func() bool { return base("a3") == "llama" && base("a1") == "" })

	llama, _ = cms.Get(ctx, "llama", metav1.GetOptions{})
	delete(llama.Data, "baseModel")
	if _, err := cms.Update(ctx, llama, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the invalid edit to be reported", func() bool { return status.View().LastError != "" })
	if base("a3") != "llama" {
		t.Fatal("an invalid edit dropped the previous mapping")
	}

	qwen, _ := cms.Get(ctx, "qwen", metav1.GetOptions{})
	qwen.Labels = nil
	if _, err := cms.Update(ctx, qwen, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "label removal to unmap", func() bool { return base("q1") == "" && base("qwen") == "" })

	if err := cms.Delete(ctx, "llama", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deletion to unmap", func() bool { return base("a3") == "" && base("llama") == "" })
}

// TestUnreachableAPIServer: the watch keeps trying and reports it, and never
// ends the source on its own.
func TestUnreachableAPIServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cs, err := NewCoreClient(&rest.Config{Host: "http://127.0.0.1:1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	status := NewStatus("configmaps", true, "")
	var errs atomic.Int32
	src := &ConfigMapSource{Client: cs, Store: NewStore(quiet(), nil), Log: quiet(), Status: status, OnError: func() { errs.Add(1) }}
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	eventually(t, "the watch error", func() bool { return status.View().LastError != "" && errs.Load() > 0 })
	select {
	case <-done:
		t.Fatal("the source gave up while the apiserver was unreachable")
	case <-time.After(200 * time.Millisecond):
	}
	if status.View().Synced {
		t.Fatal("reported synced without an apiserver")
	}
	cancel()
	<-done
}

// TestStatusBrokenAndMended: a failed list or watch shows until one
// succeeds; an invalid ConfigMap's error is not cleared by a reconnect.
func TestStatusBrokenAndMended(t *testing.T) {
	s := NewStatus("configmaps", true, "")
	var views []StatusView
	s.OnChange(func(v StatusView) { views = append(views, v) })
	s.MarkSynced()
	if s.Mended() {
		t.Fatal("a healthy source reported a recovery")
	}
	if !s.Broke(fmt.Errorf("connection refused")) || s.Broke(fmt.Errorf("connection refused")) {
		t.Fatal("Broke must report the first failure of a run, and only that one")
	}
	if v := s.View(); v.LastError != "connection refused" || v.ErrorAt.IsZero() || !v.Synced {
		t.Fatalf("while broken: %+v; want the error, its time, and the last mapping still synced", v)
	}
	if !s.Mended() || s.Mended() {
		t.Fatal("Mended must report the end of a failure once")
	}
	if v := s.View(); v.LastError != "" || !v.ErrorAt.IsZero() {
		t.Fatalf("after recovery: %+v", v)
	}
	if last := views[len(views)-1]; last.LastError != "" {
		t.Fatalf("metrics were not told of the recovery: %+v", last)
	}
	s.SetError(fmt.Errorf("ConfigMap models/llama: no baseModel"))
	if s.Mended() || s.View().LastError == "" {
		t.Fatal("a successful watch cleared an invalid ConfigMap's error")
	}
}
