package ocitest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

const istiod = "../../testdata/charts/istio/istiod"

func TestMain(m *testing.M) {
	// The Helm registry client falls back to Docker's credentials; point that at nothing.
	os.Setenv("DOCKER_CONFIG", filepath.Join(os.TempDir(), "igw-ocitest-no-docker-config"))
	os.Exit(m.Run())
}

func newClient(t *testing.T) *registry.Client {
	t.Helper()
	c, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPushAndPull(t *testing.T) {
	reg := Start(t)
	if !strings.HasPrefix(reg.Host, "127.0.0.1:") {
		t.Fatalf("Host = %q, want loopback", reg.Host)
	}
	ref, version := reg.MustPushChart(t, istiod, "")
	if want := "oci://" + reg.Host + "/charts/istiod"; ref != want || version != "1.28.0" {
		t.Fatalf("pushed %s %s, want %s 1.28.0", ref, version, want)
	}
	if _, v := reg.MustPushChart(t, istiod, "1.29.0-rc.1+build.7"); v != "1.29.0-rc.1+build.7" {
		t.Fatalf("pushed version %s", v)
	}

	client := newClient(t)
	tags, err := client.Tags(strings.TrimPrefix(ref, "oci://"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1.29.0-rc.1+build.7", "1.28.0"}; !slices.Equal(tags, want) {
		t.Fatalf("tags = %v, want %v", tags, want)
	}
	res, err := client.Pull(strings.TrimPrefix(ref, "oci://") + ":1.29.0-rc.1_build.7")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(res.Chart.Data))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "istiod" || ch.Metadata.Version != "1.29.0-rc.1+build.7" {
		t.Fatalf("pulled %s %s", ch.Name(), ch.Metadata.Version)
	}
}

func TestCloseRefusesConnections(t *testing.T) {
	reg := Start(t)
	host := reg.Host
	reg.Close()
	reg.Close() // twice is fine
	_, err := newClient(t).Tags(host + "/charts/istiod")
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Tags after Close: %v, want connection refused", err)
	}
}

func TestPushRejectsNonChart(t *testing.T) {
	reg := Start(t)
	if _, _, err := reg.PushChart(t.TempDir(), ""); err == nil {
		t.Fatal("pushing an empty directory worked")
	}
}

func TestChartRepo(t *testing.T) {
	r := StartChartRepo(t)
	r.MustAddChart(t, istiod, "")
	if name, v := r.MustAddChart(t, istiod, "1.28.1"); name != "istiod" || v != "1.28.1" {
		t.Fatalf("added %s %s", name, v)
	}
	resp, err := http.Get(r.URL + "/index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	path := filepath.Join(t.TempDir(), "index.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := repo.LoadIndexFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := idx.Get("istiod", "")
	if err != nil || cv.Version != "1.28.1" {
		t.Fatalf("newest istiod = %v, %v; want 1.28.1", cv, err)
	}
	if !strings.HasPrefix(cv.URLs[0], r.URL+"/") || cv.Digest == "" {
		t.Fatalf("entry %v %q", cv.URLs, cv.Digest)
	}
	get, err := http.Get(cv.URLs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer get.Body.Close()
	if get.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", cv.URLs[0], get.Status)
	}
}
