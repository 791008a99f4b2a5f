package chartrelease_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igw-dev/igw/internal/chartrelease"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/igw-dev/igw/internal/ocitest"
)

const chartDir = "../../charts/bbr"

var epoch = time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z

func TestChartVersion(t *testing.T) {
	for in, want := range map[string]string{"v0.2.0": "0.2.0", "0.2.0": "0.2.0", "v1.0.0-rc.1": "1.0.0-rc.1", "v1.2.3+build.5": "1.2.3+build.5"} {
		if got, err := chartrelease.ChartVersion(in); err != nil || got != want {
			t.Errorf("ChartVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "dev", "0.2", "v1.2.3.4", "v01.2.3", "latest", "1.2.3-"} {
		if _, err := chartrelease.ChartVersion(bad); err == nil || !strings.Contains(err.Error(), "SemVer") {
			t.Errorf("ChartVersion(%q) = %v, want a SemVer error", bad, err)
		}
	}
}

func packaged(t *testing.T, version string, modTime time.Time) (string, []byte) {
	t.Helper()
	ch, err := chartrelease.Load(chartDir, version)
	if err != nil {
		t.Fatal(err)
	}
	name, data, err := chartrelease.Package(ch, modTime)
	if err != nil {
		t.Fatal(err)
	}
	return name, data
}

type entry struct {
	name    string
	mode    int64
	modTime time.Time
	body    string
}

func entries(t *testing.T, tgz []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "Helm" {
		t.Errorf("gzip comment %q, want Helm's", zr.Comment)
	}
	tr := tar.NewReader(zr)
	var out []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out = append(out, entry{h.Name, h.Mode, h.ModTime, string(body)})
	}
}

// The archive is what `helm package` writes, file for file, except that every file is dated
// modTime: the same chart and time give the same bytes.
func TestPackage(t *testing.T) {
	name, a := packaged(t, "v0.2.0", epoch)
	_, b := packaged(t, "0.2.0", epoch)
	if name != "bbr-0.2.0.tgz" {
		t.Errorf("name %s", name)
	}
	if !bytes.Equal(a, b) {
		t.Error("two packagings of the same chart at the same time differ")
	}
	if _, c := packaged(t, "v0.2.0", epoch.Add(time.Hour)); bytes.Equal(a, c) {
		t.Error("the time is not in the archive")
	}

	ch, err := loader.LoadArchive(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != "0.2.0" || ch.Metadata.AppVersion != "0.2.0" || ch.Schema == nil {
		t.Errorf("packaged chart: version %s, appVersion %s, schema %d bytes", ch.Metadata.Version, ch.Metadata.AppVersion, len(ch.Schema))
	}

	// The Helm SDK's own archive of the same chart holds the same files in the same order.
	helmChart, err := chartrelease.Load(chartDir, "v0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	path, err := chartutil.Save(helmChart, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ours, helms := entries(t, a), entries(t, raw)
	if len(ours) != len(helms) || len(ours) < 5 {
		t.Fatalf("%d files, helm package writes %d", len(ours), len(helms))
	}
	for i := range ours {
		o, h := ours[i], helms[i]
		if o.name != h.name || o.mode != h.mode || o.body != h.body {
			t.Errorf("file %d: %s (%o) differs from helm's %s (%o)", i, o.name, o.mode, h.name, h.mode)
		}
		if !o.modTime.Equal(epoch) {
			t.Errorf("%s dated %s, want %s", o.name, o.modTime, epoch)
		}
	}
	if !slices.ContainsFunc(ours, func(e entry) bool { return e.name == "bbr/templates/deployment.yaml" }) {
		t.Error("no deployment template")
	}
}

// Push puts the archive at oci://HOST/PATH/bbr:VERSION, as helm push does; the same archive and
// time give the same manifest digest, and it pulls back unchanged.
func TestPush(t *testing.T) {
	reg := ocitest.Start(t)
	creds := filepath.Join(t.TempDir(), "config.json")
	_, data := packaged(t, "v0.2.0", epoch)
	o := chartrelease.PushOptions{PlainHTTP: true, CredentialsFile: creds, Created: epoch, HTTPClient: &http.Client{}}
	p, err := chartrelease.Push(data, reg.URL(), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Ref != reg.Host+"/charts/bbr:0.2.0" || !strings.HasPrefix(p.Digest, "sha256:") || len(p.Digest) != 71 {
		t.Fatalf("pushed %+v", p)
	}
	again, err := chartrelease.Push(data, reg.URL()+"/", o)
	if err != nil || again.Digest != p.Digest {
		t.Fatalf("second push: %+v, %v; first digest %s", again, err, p.Digest)
	}

	client, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(creds), registry.ClientOptWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Pull(reg.Host+"/charts/bbr@"+p.Digest, registry.PullOptWithChart(true))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Chart.Data, data) || res.Chart.Meta.AppVersion != "0.2.0" {
		t.Errorf("pulled back %d bytes (appVersion %s), pushed %d", len(res.Chart.Data), res.Chart.Meta.AppVersion, len(data))
	}
	if got := res.Manifest.Data; !bytes.Contains(got, []byte(`"org.opencontainers.image.created":"2026-01-01T00:00:00Z"`)) {
		t.Errorf("manifest lacks the creation time: %s", got)
	}

	for dest, want := range map[string]string{
		reg.Host + "/charts":       "not an OCI reference",
		reg.URL() + "/bbr:0.2.0":   "names a tag or digest",
		reg.URL() + "@" + p.Digest: "names a tag or digest",
	} {
		if _, err := chartrelease.Push(data, dest, o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Push to %s: %v, want %q", dest, err, want)
		}
	}
}

// helm lint --strict is clean on the released archive with the default values, each provider's
// glue, and a digest-pinned image.
func TestLint(t *testing.T) {
	name, data := packaged(t, "v0.2.0", epoch)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]any{"defaults": nil}
	for _, p := range []string{"none", "istio", "gke", "agentgateway", "nginx"} {
		cases[p] = map[string]any{"provider": map[string]any{"name": p}}
	}
	cases["istio plaintext"] = map[string]any{"provider": map[string]any{"name": "istio"}, "secureServing": false}
	cases["digest"] = map[string]any{"image": map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)}}
	for _, target := range []string{path, chartDir} {
		for what, vals := range cases {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = "igw"
			res := lint.Run([]string{target}, vals)
			for _, m := range res.Messages {
				if m.Severity > support.InfoSev {
					t.Errorf("%s, %s: %s", filepath.Base(target), what, m)
				}
			}
			for _, err := range res.Errors {
				t.Errorf("%s, %s: %v", filepath.Base(target), what, err)
			}
			if res.TotalChartsLinted != 1 {
				t.Errorf("%s, %s: %d charts linted", filepath.Base(target), what, res.TotalChartsLinted)
			}
		}
	}

	// The check sees what lint reports: a value the schema refuses.
	lint := action.NewLint()
	lint.Strict = true
	if res := lint.Run([]string{path}, map[string]any{"image": map[string]any{"digest": "sha256:short"}}); len(res.Errors) == 0 {
		t.Error("lint passed a bad image.digest")
	}
}
