// Package ocitest serves Helm charts to tests: an OCI registry (distribution's own registry handler
// with in-memory storage) and a classic HTTP chart repository (index.yaml plus archives), both on
// loopback over plain HTTP, in the test process. Nothing touches $HOME or the network beyond
// 127.0.0.1.
//
//	reg := ocitest.Start(t)
//	ref, version := reg.MustPushChart(t, "testdata/charts/istio/istiod", "")
//	// install oci://127.0.0.1:PORT/charts/istiod at version, with plain HTTP
package ocitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the "inmemory" storage driver
	"github.com/igw-dev/igw/internal/chartrelease"
	"github.com/sirupsen/logrus"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Repository is the path under the registry host that charts are pushed to, as in
// oci://HOST/charts/NAME.
const Repository = "charts"

// Registry is a running in-process OCI registry.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry's address without a scheme.
	Host string

	server *httptest.Server
	app    *handlers.App
	dir    string // scratch space for packaged charts and the client's empty credentials file

	closeOnce sync.Once
}

var quietOnce sync.Once

// New starts a registry. The caller must Close it; tests should prefer Start.
func New() (reg *Registry, err error) {
	// distribution logs every request (and every expected 404) through logrus's standard logger;
	// that global logger is the only way to quiet it, and this package only runs inside test
	// binaries. IGW_OCITEST_LOG=1 keeps the logs, for debugging a test.
	quietOnce.Do(func() {
		if os.Getenv("IGW_OCITEST_LOG") != "1" {
			logrus.SetOutput(io.Discard)
		}
	})

	dir, err := os.MkdirTemp("", "igw-ocitest-")
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// No background goroutine sweeping uploads: a test registry lives seconds.
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
	}
	cfg.HTTP.Secret = hex.EncodeToString(secret)

	// NewApp panics on configuration errors; turn that into an error.
	var app *handlers.App
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("ocitest: starting the registry: %v", r)
			}
		}()
		app = handlers.NewApp(context.Background(), cfg)
	}()
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	srv := httptest.NewServer(app) // listens on 127.0.0.1
	return &Registry{
		Host:   strings.TrimPrefix(srv.URL, "http://"),
		server: srv,
		app:    app,
		dir:    dir,
	}, nil
}

// Start starts a registry that is closed when the test ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	reg, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	return reg
}

// Close stops the server (closing any open connections) and drops everything pushed. It is safe
// to call more than once; afterwards the address refuses connections, which is how tests play an
// unreachable registry.
func (r *Registry) Close() {
	r.closeOnce.Do(func() {
		r.server.CloseClientConnections()
		r.server.Close()
		_ = r.app.Shutdown()
		_ = os.RemoveAll(r.dir)
	})
}

// URL is the base chart location, "oci://127.0.0.1:PORT/charts".
func (r *Registry) URL() string { return "oci://" + r.Host + "/" + Repository }

// Ref is where a chart of this name is pushed: "oci://127.0.0.1:PORT/charts/NAME" (no tag).
func (r *Registry) Ref(name string) string { return r.URL() + "/" + name }

// PushChart packages the chart directory (or loads a .tgz) and pushes it to Ref(name) tagged with
// its version. A non-empty version replaces Chart.yaml's, so one directory can be published at
// several versions. It returns the chart's reference without a tag and the version pushed.
func (r *Registry) PushChart(dir, version string) (ref, pushed string, err error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return "", "", fmt.Errorf("ocitest: loading chart %s: %w", dir, err)
	}
	data, err := packageChart(ch, version)
	if err != nil {
		return "", "", err
	}
	// An empty credentials file of its own, so no stored login is read or written.
	_, err = chartrelease.Push(data, r.URL(), chartrelease.PushOptions{PlainHTTP: true,
		CredentialsFile: filepath.Join(r.dir, "registry-config.json"), HTTPClient: &http.Client{}})
	if err != nil {
		return "", "", fmt.Errorf("ocitest: %w", err)
	}
	return r.Ref(ch.Metadata.Name), ch.Metadata.Version, nil
}

// MustPushChart is PushChart that fails the test on error.
func (r *Registry) MustPushChart(t testing.TB, dir, version string) (ref, pushed string) {
	t.Helper()
	ref, pushed, err := r.PushChart(dir, version)
	if err != nil {
		t.Fatal(err)
	}
	return ref, pushed
}

// packageChart packages the chart as `helm package` does and returns its bytes. A non-empty
// version replaces the chart's.
func packageChart(ch *chart.Chart, version string) ([]byte, error) {
	if version != "" {
		ch.Metadata.Version = version
	}
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("ocitest: chart %s: %w", ch.Name(), err)
	}
	_, data, err := chartrelease.Package(ch, time.Unix(0, 0))
	if err != nil {
		return nil, fmt.Errorf("ocitest: %w", err)
	}
	return data, nil
}
