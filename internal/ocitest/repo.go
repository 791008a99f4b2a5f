package ocitest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
)

// ChartRepo is a classic Helm chart repository (index.yaml and .tgz archives, what `helm repo add`
// points at) served over plain HTTP on loopback.
type ChartRepo struct {
	// URL is "http://127.0.0.1:PORT", the repository URL to give Helm.
	URL string

	server *httptest.Server
	dir    string

	mu    sync.Mutex
	index *repo.IndexFile
}

// StartChartRepo starts an empty chart repository that is closed when the test ends.
func StartChartRepo(t testing.TB) *ChartRepo {
	t.Helper()
	dir := t.TempDir()
	r := &ChartRepo{dir: dir, index: repo.NewIndexFile()}
	if err := r.index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.server = httptest.NewServer(http.FileServer(http.Dir(dir)))
	r.URL = r.server.URL
	t.Cleanup(r.server.Close)
	return r
}

// Close stops serving; later requests are refused.
func (r *ChartRepo) Close() { r.server.Close() }

// AddChart packages the chart directory into the repository and lists it in index.yaml. A
// non-empty version replaces Chart.yaml's. It returns the chart's name and version.
func (r *ChartRepo) AddChart(dir, version string) (name, added string, err error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return "", "", fmt.Errorf("ocitest: loading chart %s: %w", dir, err)
	}
	if version != "" {
		ch.Metadata.Version = version
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := packageChart(ch, "")
	if err != nil {
		return "", "", err
	}
	file := fmt.Sprintf("%s-%s.tgz", ch.Metadata.Name, ch.Metadata.Version)
	path := filepath.Join(r.dir, file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", "", err
	}
	digest, err := provenance.DigestFile(path)
	if err != nil {
		return "", "", err
	}
	if err := r.index.MustAdd(ch.Metadata, file, r.URL, digest); err != nil {
		return "", "", err
	}
	r.index.SortEntries()
	if err := r.index.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		return "", "", err
	}
	return ch.Metadata.Name, ch.Metadata.Version, nil
}

// MustAddChart is AddChart that fails the test on error.
func (r *ChartRepo) MustAddChart(t testing.TB, dir, version string) (name, added string) {
	t.Helper()
	name, added, err := r.AddChart(dir, version)
	if err != nil {
		t.Fatal(err)
	}
	return name, added
}
