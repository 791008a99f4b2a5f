package helm

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/igw-dev/igw/charts"
	"github.com/igw-dev/igw/internal/ocitest"
)

func TestLoadChartFromOCI(t *testing.T) {
	reg := ocitest.Start(t)
	ref, _ := reg.MustPushChart(t, testChart("istio/istiod"), "1.27.3")
	reg.MustPushChart(t, testChart("istio/istiod"), "1.28.0")
	reg.MustPushChart(t, testChart("istio/istiod"), "1.28.2")
	reg.MustPushChart(t, testChart("istio/istiod"), "1.29.0-beta.1")
	agw, _ := reg.MustPushChart(t, testChart("agentgateway"), "") // v1.0.0, as the real chart
	s := testSettings(t)

	for _, tc := range []struct {
		name, chart, version, want string
	}{
		{"newest stable", ref, "", "1.28.2"},
		{"exact", ref, "1.28.0", "1.28.0"},
		{"constraint", ref, "~1.27", "1.27.3"},
		{"wildcard", ref, "1.28.x", "1.28.2"},
		{"tag in reference", ref + ":1.27.3", "", "1.27.3"},
		{"prerelease by name", ref, "1.29.0-beta.1", "1.29.0-beta.1"},
		{"v-prefixed version", agw, "v1.0.0", "v1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, source, err := LoadChart(ctx(t), s, ChartRef{Chart: tc.chart, Version: tc.version, PlainHTTP: true})
			if err != nil {
				t.Fatal(err)
			}
			if ch.Metadata.Version != tc.want {
				t.Fatalf("loaded version %s, want %s", ch.Metadata.Version, tc.want)
			}
			if !strings.HasPrefix(source, "oci://"+reg.Host+"/charts/") || !strings.HasSuffix(source, ":"+tc.want) {
				t.Fatalf("source %q", source)
			}
		})
	}

	t.Run("missing version", func(t *testing.T) {
		_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: ref, Version: "9.9.9", PlainHTTP: true})
		wantError(t, err, ErrVersionNotFound, ref, "9.9.9", "1.28.2", "1.27.3")
		t.Log(err)
	})
	t.Run("no match for constraint", func(t *testing.T) {
		_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: ref, Version: ">=2.0", PlainHTTP: true})
		wantError(t, err, ErrVersionNotFound, ref, ">=2.0", "available, newest first: 1.29.0-beta.1, 1.28.2")
	})
	t.Run("version twice", func(t *testing.T) {
		_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: ref + ":1.28.0", Version: "1.28.2", PlainHTTP: true})
		wantError(t, err, ErrVersionNotFound, "1.28.0", "1.28.2")
	})
	t.Run("unknown chart", func(t *testing.T) {
		_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: reg.Ref("nope"), PlainHTTP: true})
		wantError(t, err, ErrChartNotFound, reg.Ref("nope"))
		t.Log(err)
	})
	t.Run("HTTPS to a plain HTTP registry", func(t *testing.T) {
		_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: ref, Version: "1.28.0"})
		wantError(t, err, ErrUnreachable, reg.Host, "plain HTTP")
		t.Log(err)
	})
	t.Run("registry down", func(t *testing.T) {
		down := ocitest.Start(t)
		gone, _ := down.MustPushChart(t, testChart("istio/istiod"), "")
		down.Close()
		for _, version := range []string{"", "1.28.0"} {
			_, _, err := LoadChart(ctx(t), s, ChartRef{Chart: gone, Version: version, PlainHTTP: true})
			wantError(t, err, ErrUnreachable, down.Host, "cannot reach")
			t.Log(err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := LoadChart(c, s, ChartRef{Chart: ref, Version: "1.28.0", PlainHTTP: true})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

func TestLoadChartFromRepo(t *testing.T) {
	repo := ocitest.StartChartRepo(t)
	repo.MustAddChart(t, testChart("istio/base"), "1.28.0")
	repo.MustAddChart(t, testChart("istio/istiod"), "1.28.0")
	repo.MustAddChart(t, testChart("istio/istiod"), "1.28.1")
	s := testSettings(t)

	ch, source, err := LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL, Chart: "istiod"})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != "1.28.1" || source != repo.URL+"/istiod-1.28.1.tgz" {
		t.Fatalf("loaded %s from %s", ch.Metadata.Version, source)
	}
	if entries, err := os.ReadDir(s.RepositoryCache); err != nil || len(entries) != 1 {
		t.Fatalf("repository cache %s: %v %v, want the index", s.RepositoryCache, entries, err)
	}
	if ch, _, err = LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL + "/", Chart: "istiod", Version: "1.28.0"}); err != nil || ch.Metadata.Version != "1.28.0" {
		t.Fatalf("1.28.0: %v %v", ch, err)
	}

	_, _, err = LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL, Chart: "istiod", Version: "1.30.0"})
	wantError(t, err, ErrVersionNotFound, "istiod", repo.URL, "1.30.0", "1.28.1, 1.28.0")
	t.Log(err)
	_, _, err = LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL, Chart: "pilot"})
	wantError(t, err, ErrChartNotFound, `"pilot"`, repo.URL, "base, istiod")
	t.Log(err)
	_, _, err = LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL + "/sub", Chart: "istiod"})
	wantError(t, err, ErrChartNotFound, repo.URL+"/sub/index.yaml")

	repo.Close()
	_, _, err = LoadChart(ctx(t), s, ChartRef{RepoURL: repo.URL, Chart: "istiod"})
	wantError(t, err, ErrUnreachable, repo.URL)
	t.Log(err)
}

func TestLoadChartLocal(t *testing.T) {
	s := Settings{}
	ch, source, err := LoadChart(ctx(t), s, ChartRef{Chart: testChart("nginx-gateway-fabric")})
	if err != nil || ch.Name() != "nginx-gateway-fabric" || !strings.HasSuffix(source, "testdata/charts/nginx-gateway-fabric") {
		t.Fatalf("got %v %q %v", ch, source, err)
	}
	if _, _, err := LoadChart(ctx(t), s, ChartRef{Chart: testChart("nginx-gateway-fabric"), Version: "2.x"}); err != nil {
		t.Fatalf("constraint matching the local chart: %v", err)
	}
	_, _, err = LoadChart(ctx(t), s, ChartRef{Chart: testChart("nginx-gateway-fabric"), Version: "2.3.0"})
	wantError(t, err, ErrVersionNotFound, "2.2.0", "2.3.0")
	_, _, err = LoadChart(ctx(t), s, ChartRef{Chart: "./no/such/chart"})
	wantError(t, err, ErrChartNotFound, "./no/such/chart")
	_, _, err = LoadChart(ctx(t), s, ChartRef{Chart: t.TempDir()})
	wantError(t, err, ErrChartNotFound, "not a valid chart")
}

func TestHTTPTimeout(t *testing.T) {
	// A "registry" that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	s := testSettings(t)
	s.HTTPTimeout = 300 * time.Millisecond
	start := time.Now()
	_, _, err = LoadChart(ctx(t), s, ChartRef{Chart: "oci://" + ln.Addr().String() + "/charts/istiod", PlainHTTP: true})
	wantError(t, err, ErrUnreachable, ln.Addr().String())
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s with a 300ms timeout", d)
	}
	t.Log(err)
}

// The chart built into igwctl loads from its embedded files as from its directory.
func TestLoadFS(t *testing.T) {
	ch, err := LoadFS(charts.BBR())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := loader.Load(bbrChartDir)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "bbr" || ch.Metadata.Version != dir.Metadata.Version || len(ch.Templates) != len(dir.Templates) || len(ch.Templates) == 0 {
		t.Errorf("embedded %s %s with %d templates, directory %s with %d", ch.Name(), ch.Metadata.Version, len(ch.Templates), dir.Metadata.Version, len(dir.Templates))
	}
	if _, err := LoadFS(fstest.MapFS{"README.md": {Data: []byte("no chart")}}); err == nil {
		t.Error("a tree without Chart.yaml loaded")
	}
}
