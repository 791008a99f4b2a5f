// Package chartrelease publishes igw's Helm chart the way a release does: charts/bbr packaged at
// the release's version (chart version and appVersion both, so the default image tag is the
// release's), as a reproducible .tgz, pushed to an OCI registry with `helm push` semantics through
// the Helm SDK's registry client (oci://HOST/PATH/bbr:VERSION). hack/chart is its command line.
package chartrelease

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
)

// ChartVersion turns a release version ("v0.2.0", "0.2.0-rc.1") into the chart's version and
// appVersion, Helm's spelling: strict SemVer without the leading "v". Anything else is refused.
func ChartVersion(release string) (string, error) {
	v := strings.TrimPrefix(strings.TrimSpace(release), "v")
	if v == "" {
		return "", errors.New("no version given; give the release's SemVer version, e.g. v0.2.0")
	}
	if _, err := semver.StrictNewVersion(v); err != nil {
		return "", fmt.Errorf("version %q is not SemVer (MAJOR.MINOR.PATCH with an optional -PRERELEASE and +BUILD, e.g. v0.2.0 or 0.2.0-rc.1): %v", release, err)
	}
	return v, nil
}

// Load loads the chart directory as `helm package` does (.helmignore and all) and stamps it with
// the release version: Version and AppVersion both become ChartVersion(release).
func Load(dir, release string) (*chart.Chart, error) {
	v, err := ChartVersion(release)
	if err != nil {
		return nil, err
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", dir, err)
	}
	Stamp(ch, v)
	return ch, nil
}

// Stamp sets the chart's version and appVersion to version (already without a "v").
func Stamp(ch *chart.Chart, version string) {
	ch.Metadata.Version = version
	ch.Metadata.AppVersion = version
}

// Package writes the chart as `helm package` does (chartutil.Save: the same files, names and
// order) and returns the archive's file name (NAME-VERSION.tgz) and bytes. The Helm SDK stamps
// every file with the time of packaging, so the archive is rewritten with modTime instead (the
// release passes SOURCE_DATE_EPOCH): the same chart and modTime always give the same bytes.
func Package(ch *chart.Chart, modTime time.Time) (name string, data []byte, err error) {
	dir, err := os.MkdirTemp("", "igw-chartrelease-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	path, err := chartutil.Save(ch, dir)
	if err != nil {
		return "", nil, fmt.Errorf("packaging chart %s: %w", ch.Name(), err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	data, err = normalize(raw, modTime)
	if err != nil {
		return "", nil, fmt.Errorf("rewriting %s: %w", filepath.Base(path), err)
	}
	return filepath.Base(path), data, nil
}

// normalize rewrites a gzipped tar with every entry's modification time set to modTime, keeping
// the gzip header Helm wrote (its extra field and comment) and the entries' order and contents.
func normalize(tgz []byte, modTime time.Time) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Header = zr.Header
	zw.ModTime = time.Time{}
	tr := tar.NewReader(zr)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		h.ModTime = modTime.UTC().Truncate(time.Second)
		h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// PushOptions say how to reach the registry.
type PushOptions struct {
	// PlainHTTP talks HTTP instead of HTTPS (local registries).
	PlainHTTP bool
	// Username and Password log in; without them the credentials stored by `helm registry login`
	// (CredentialsFile, by default Helm's) or `docker login` are used.
	Username, Password string
	// CredentialsFile is the Helm registry credentials file; empty means Helm's default
	// ($HELM_CONFIG_HOME/registry/config.json), which falls back to Docker's.
	CredentialsFile string
	// Created is the manifest's org.opencontainers.image.created annotation; the same archive
	// and time give the same manifest digest. Zero means the archive's own time is not known and
	// Helm's default (now) is used.
	Created time.Time
	// HTTPClient, when set, replaces the default client.
	HTTPClient *http.Client
	// Out receives Helm's own push messages; nil discards them.
	Out io.Writer
}

// Pushed is what a push produced.
type Pushed struct {
	// Ref is HOST/PATH/NAME:VERSION (with "+" spelled "_", as Helm tags it).
	Ref string
	// Digest is the manifest's digest (sha256:...), what `helm install oci://...@DIGEST` takes.
	Digest string
}

// Push pushes a packaged chart to dest, oci://HOST/PATH, as `helm push ARCHIVE oci://HOST/PATH`
// does: to HOST/PATH/NAME tagged with the chart's version.
func Push(archive []byte, dest string, o PushOptions) (*Pushed, error) {
	if !registry.IsOCI(dest) {
		return nil, fmt.Errorf("push destination %q is not an OCI reference; give oci://HOST/PATH (the chart's name and version are added)", dest)
	}
	base := strings.TrimSuffix(strings.TrimPrefix(dest, "oci://"), "/")
	if last := base[strings.LastIndex(base, "/")+1:]; strings.ContainsAny(last, ":@") {
		return nil, fmt.Errorf("push destination %q names a tag or digest; give oci://HOST/PATH: the chart's version is the tag", dest)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("the archive is not a chart: %w", err)
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	opts := []registry.ClientOption{registry.ClientOptWriter(out)}
	if o.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if o.CredentialsFile != "" {
		opts = append(opts, registry.ClientOptCredentialsFile(o.CredentialsFile))
	}
	if o.Username != "" || o.Password != "" {
		opts = append(opts, registry.ClientOptBasicAuth(o.Username, o.Password))
	}
	if o.HTTPClient != nil {
		opts = append(opts, registry.ClientOptHTTPClient(o.HTTPClient))
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up the registry client: %w", err)
	}
	// Helm itself tags a version's "+" as "_" (tags cannot hold "+").
	ref := fmt.Sprintf("%s/%s:%s", base, ch.Metadata.Name, ch.Metadata.Version)
	var pushOpts []registry.PushOption
	if !o.Created.IsZero() {
		pushOpts = append(pushOpts, registry.PushOptCreationTime(o.Created.UTC().Format(time.RFC3339)))
	}
	res, err := client.Push(archive, ref, pushOpts...)
	if err != nil {
		return nil, fmt.Errorf("pushing oci://%s: %w", ref, err)
	}
	return &Pushed{Ref: res.Ref, Digest: res.Manifest.Digest}, nil
}
