package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
)

// fakeServer answers /version like an API server, or with the given status.
func fakeServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, UserAgent) {
			t.Errorf("User-Agent = %q, want igwctl", got)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.3"}`)
			return
		}
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","code":%d,"reason":"Unauthorized","message":"Unauthorized"}`, status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// kubeconfig writes a kubeconfig with one context per server, the first current.
func kubeconfig(t *testing.T, servers map[string]string, current string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: %s\nclusters:\n", current)
	for name, url := range servers {
		fmt.Fprintf(&b, "- name: %s\n  cluster: {server: %q}\n", name, url)
	}
	b.WriteString("users:\n- name: u\n  user: {token: t}\ncontexts:\n")
	for name := range servers {
		fmt.Fprintf(&b, "- name: %s\n  context: {cluster: %s, user: u, namespace: ns-%s}\n", name, name, name)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// flagsFactory parses args the way the root command does and returns the Factory.
func flagsFactory(t *testing.T, args ...string) Factory {
	t.Helper()
	flags := NewConfigFlags()
	fs := pflag.NewFlagSet("igwctl", pflag.ContinueOnError)
	flags.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return NewFactory(flags)
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFlagsSelectContext(t *testing.T) {
	good, dead := fakeServer(t, http.StatusOK), "http://"+closedAddr(t)
	path := kubeconfig(t, map[string]string{"good": good.URL, "dead": dead}, "dead")

	f := flagsFactory(t, "--kubeconfig", path, "--context", "good")
	if err := Ping(context.Background(), f); err != nil {
		t.Fatalf("ping through --context good: %v", err)
	}
	cfg, err := f.ToRESTConfig()
	if err != nil || cfg.Host != good.URL {
		t.Fatalf("host = %v, %v; want %s", cfg, err, good.URL)
	}
	if ns, err := f.Namespace(); err != nil || ns != "ns-good" {
		t.Errorf("namespace = %q, %v; want the context's ns-good", ns, err)
	}
	if ns, _ := flagsFactory(t, "--kubeconfig", path, "-n", "other").Namespace(); ns != "other" {
		t.Errorf("-n other: namespace = %q", ns)
	}
	for _, get := range []func() error{
		func() error { _, err := f.APIExtensions(); return err },
		func() error { _, err := f.Dynamic(); return err },
		func() error { _, err := f.Discovery(); return err },
	} {
		if err := get(); err != nil {
			t.Error(err)
		}
	}

	// The current context points at a closed port: the error names it and the flags.
	err = Ping(context.Background(), flagsFactory(t, "--kubeconfig", path))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{dead, `context "dead"`, path, "--kubeconfig", "--context"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
}

func TestPingUnauthorized(t *testing.T) {
	srv := fakeServer(t, http.StatusUnauthorized)
	err := Ping(context.Background(), NewFactoryFromConfig(&rest.Config{Host: srv.URL}, ""))
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "rejected the credentials") || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadKubeconfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(path, []byte("{not yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Ping(context.Background(), flagsFactory(t, "--kubeconfig", path))
	if err == nil || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Fatalf("err = %v, want one pointing at --kubeconfig", err)
	}
	path = kubeconfig(t, map[string]string{"a": "http://" + closedAddr(t)}, "a")
	err = Ping(context.Background(), flagsFactory(t, "--kubeconfig", path, "--context", "nope"))
	if err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "--context") {
		t.Fatalf("unknown context: err = %v", err)
	}
}

func TestNoKubeconfig(t *testing.T) {
	// clientcmd falls back to http://localhost:8080 without a kubeconfig; the error must say that
	// no kubeconfig was found rather than only "connection refused".
	if c, err := net.Dial("tcp", "localhost:8080"); err == nil {
		c.Close()
		t.Skip("something listens on localhost:8080")
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	err := Ping(context.Background(), flagsFactory(t))
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no kubeconfig found") {
		t.Fatalf("err = %v", err)
	}
}

func TestFromConfigCopies(t *testing.T) {
	f := NewFactoryFromConfig(&rest.Config{Host: "https://example.invalid"}, "")
	a, _ := f.ToRESTConfig()
	a.Host = "changed"
	b, _ := f.ToRESTConfig()
	if b.Host != "https://example.invalid" || b.UserAgent != UserAgent || b.QPS == 0 {
		t.Fatalf("config = %+v", b)
	}
	if ns, _ := f.Namespace(); ns != "default" {
		t.Errorf("namespace = %q", ns)
	}
}

// Helm and kubectl's libraries take the Factory as their RESTClientGetter: they must get one
// discovery cache and mapper for the whole command, and the Factory's namespace.
func TestFactoryIsOneGetter(t *testing.T) {
	f := NewFactoryFromConfig(&rest.Config{Host: "https://example.invalid"}, "llm")
	a, err := f.ToDiscoveryClient()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.ToDiscoveryClient()
	if a != b {
		t.Error("a second ToDiscoveryClient built another cache")
	}
	if m, err := f.ToRESTMapper(); m == nil || err != nil {
		t.Errorf("ToRESTMapper: %v", err)
	}
	if ns, _, err := f.ToRawKubeConfigLoader().Namespace(); err != nil || ns != "llm" {
		t.Errorf("loader namespace = %q, %v", ns, err)
	}
	cfg, _ := f.ToRESTConfig()
	if cfg.UserAgent != UserAgent {
		t.Errorf("ToRESTConfig lacks the Factory's settings: %+v", cfg)
	}
}

func TestDryRun(t *testing.T) {
	for _, tc := range []struct {
		d       DryRun
		enabled bool
		suffix  string
	}{{"", false, ""}, {DryRunNone, false, ""}, {DryRunClient, true, " (dry run)"}, {DryRunServer, true, " (server dry run)"}} {
		if tc.d.Enabled() != tc.enabled || tc.d.Suffix() != tc.suffix {
			t.Errorf("%q: enabled %v suffix %q", tc.d, tc.d.Enabled(), tc.d.Suffix())
		}
	}
}
