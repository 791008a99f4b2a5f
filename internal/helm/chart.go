package helm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

// ChartRef says where a chart comes from: an OCI reference, a chart repository URL plus a chart
// name, or a local directory or archive.
type ChartRef struct {
	// Chart is "oci://HOST/PATH/NAME" (a ":TAG" or "@sha256:..." suffix is allowed), the chart's
	// name when RepoURL is set, or else a local chart directory or .tgz.
	Chart string
	// RepoURL is an HTTP(S) chart repository (the URL `helm repo add` takes), e.g.
	// https://istio-release.storage.googleapis.com/charts.
	RepoURL string
	// Version is an exact version or a semver constraint ("1.28.x", ">=1.28"); empty means the
	// newest stable version. For a local chart it is checked against Chart.yaml.
	Version string

	// PlainHTTP talks HTTP instead of HTTPS to an OCI registry (local test registries).
	PlainHTTP bool
	// InsecureSkipTLSVerify skips verifying the server's certificate.
	InsecureSkipTLSVerify bool
	// CAFile verifies the server with this CA bundle; CertFile and KeyFile are a client
	// certificate.
	CAFile, CertFile, KeyFile string
	// Username and Password authenticate to the registry or repository; for OCI registries, stored
	// credentials (Settings.RegistryConfig) are used otherwise.
	Username, Password string
}

// IsOCI reports whether the chart comes from an OCI registry.
func (r ChartRef) IsOCI() bool { return registry.IsOCI(r.Chart) }

func (r ChartRef) String() string {
	s := r.Chart
	if r.RepoURL != "" {
		s = fmt.Sprintf("%s from %s", r.Chart, r.RepoURL)
	}
	if r.Version != "" {
		s += " version " + r.Version
	}
	return s
}

// LoadChart fetches the chart and loads it. source says where it came from, with the version
// resolved (e.g. "oci://ghcr.io/x/charts/bbr:0.1.0").
func (c *Client) LoadChart(ctx context.Context, ref ChartRef) (ch *chart.Chart, source string, err error) {
	return LoadChart(ctx, c.settings, ref)
}

// LoadChart is Client.LoadChart without a cluster.
func LoadChart(ctx context.Context, s Settings, ref ChartRef) (ch *chart.Chart, source string, err error) {
	ref.Chart = strings.TrimSpace(ref.Chart)
	ref.Version = strings.TrimSpace(ref.Version)
	if ref.Chart == "" {
		return nil, "", newError(ErrChartNotFound, "no chart given", "give a chart directory or .tgz, an oci:// reference, or a repository URL with a chart name", nil)
	}
	switch {
	case ref.IsOCI():
		ch, source, err = loadOCI(ctx, s, ref)
	case ref.RepoURL != "":
		ch, source, err = loadFromRepo(ctx, s, ref)
	default:
		ch, source, err = loadLocal(ref)
	}
	if err != nil {
		return nil, "", err
	}
	if deps := ch.Metadata.Dependencies; len(deps) > 0 {
		if err := action.CheckDependencies(ch, deps); err != nil {
			return nil, "", newError(ErrChartNotFound, fmt.Sprintf("chart %s from %s lacks subcharts it depends on", ch.Name(), source), "run `helm dependency build` on the chart directory first", err)
		}
	}
	return ch, source, nil
}

func loadLocal(ref ChartRef) (*chart.Chart, string, error) {
	if _, err := os.Stat(ref.Chart); err != nil {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("chart path %q does not exist", ref.Chart), "give a chart directory or .tgz, an oci:// reference, or a repository URL with a chart name", nil)
	}
	ch, err := loader.Load(ref.Chart)
	if err != nil {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("%s is not a valid chart", ref.Chart), "check its Chart.yaml and templates (`helm lint`)", err)
	}
	if ref.Version != "" && !versionMatches(ch.Metadata.Version, ref.Version) {
		return nil, "", newError(ErrVersionNotFound, fmt.Sprintf("local chart %s is version %s, not %s", ref.Chart, ch.Metadata.Version, ref.Version), "drop the version for a local chart, or point at the chart of that version", nil)
	}
	abs, err := filepath.Abs(ref.Chart)
	if err != nil {
		abs = ref.Chart
	}
	return ch, abs, nil
}

func versionMatches(have, want string) bool {
	if have == want {
		return true
	}
	c, err := semver.NewConstraint(want)
	if err != nil {
		return false
	}
	v, err := semver.NewVersion(have)
	return err == nil && c.Check(v)
}

// splitOCI splits "HOST/PATH/NAME:TAG" or "HOST/PATH/NAME@DIGEST" into its parts.
func splitOCI(ref string) (repository, tag, digest string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], "", ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:], ""
	}
	return ref, "", ""
}

func loadOCI(ctx context.Context, s Settings, ref ChartRef) (*chart.Chart, string, error) {
	repository, tag, digest := splitOCI(strings.TrimPrefix(ref.Chart, "oci://"))
	where := "oci://" + repository
	version := ref.Version
	if tag != "" {
		tag = strings.ReplaceAll(tag, "_", "+")
		if version != "" && version != tag {
			return nil, "", newError(ErrVersionNotFound, fmt.Sprintf("%s names version %s but version %s was asked for", ref.Chart, tag, version), "give the version once, either in the reference or as the version", nil)
		}
		version = tag
	}
	client, cleanup, err := newRegistryClient(ctx, s, ref)
	if err != nil {
		return nil, "", err
	}
	defer cleanup()

	var target string
	switch {
	case digest != "":
		target = repository + "@" + digest
	case exactVersion.MatchString(version):
		// Pulled by tag without listing, as Helm does: registries need not allow listing, and
		// Helm's tag listing drops tags that are not strict semver (Agentgateway's "v1.0.0").
		target = repository + ":" + strings.ReplaceAll(version, "+", "_")
	default:
		tags, err := client.Tags(repository)
		if err != nil {
			return nil, "", explainFetch(err, "registry", where)
		}
		if len(tags) == 0 {
			return nil, "", newError(ErrChartNotFound, fmt.Sprintf("no chart versions with semver tags at %s", where), "check the reference (registry host, path and chart name); if its tags have a \"v\" prefix, give the exact version", nil)
		}
		chosen, err := registry.GetTagMatchingVersionOrConstraint(tags, version)
		if err != nil {
			return nil, "", versionNotFound(where, version, tags)
		}
		target = repository + ":" + strings.ReplaceAll(chosen, "+", "_")
	}
	res, err := client.Pull(target, registry.PullOptWithChart(true))
	if err != nil {
		if digest == "" && isNotFound(err) {
			// Say whether the chart or only the version is missing.
			tags, terr := client.Tags(repository)
			if terr != nil {
				return nil, "", explainFetch(terr, "registry", where)
			}
			return nil, "", versionNotFound(where, version, tags)
		}
		return nil, "", explainFetch(err, "registry", "oci://"+target)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(res.Chart.Data))
	if err != nil {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("oci://%s is not a valid Helm chart", target), "check that the reference names a chart, not a container image", err)
	}
	return ch, "oci://" + repository + ":" + ch.Metadata.Version, nil
}

// exactVersion is a full version (not a constraint): MAJOR.MINOR.PATCH with an optional "v",
// pre-release and build.
var exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func isNotFound(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "not found") || strings.Contains(msg, "MANIFEST_UNKNOWN") || strings.Contains(msg, "404")
}

func versionNotFound(where, version string, available []string) error {
	want := "version " + version
	if version == "" {
		want = "a stable version"
	}
	fix := "pick an existing version"
	if len(available) > 0 {
		shown := available
		if len(shown) > 10 {
			shown = shown[:10]
		}
		fix = fmt.Sprintf("available, newest first: %s", strings.Join(shown, ", "))
		if len(available) > len(shown) {
			fix += fmt.Sprintf(" (and %d older)", len(available)-len(shown))
		}
	}
	return newError(ErrVersionNotFound, fmt.Sprintf("%s has no %s", where, want), fix, nil)
}

// newRegistryClient builds a Helm registry client whose requests end with ctx. Without
// Settings.RegistryConfig it reads credentials from an empty temporary file, never Helm's default
// one.
func newRegistryClient(ctx context.Context, s Settings, ref ChartRef) (*registry.Client, func(), error) {
	cleanup := func() {}
	credentials := s.RegistryConfig
	if credentials == "" {
		dir, err := os.MkdirTemp("", "igw-helm-registry-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		credentials = filepath.Join(dir, "config.json")
	}
	httpClient, err := newHTTPClient(ctx, s, ref)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	out := io.Discard
	if s.Debug != nil {
		out = s.Debug
	}
	opts := []registry.ClientOption{
		registry.ClientOptHTTPClient(httpClient),
		registry.ClientOptWriter(out),
		registry.ClientOptCredentialsFile(credentials),
		registry.ClientOptEnableCache(true),
	}
	if ref.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if ref.Username != "" || ref.Password != "" {
		opts = append(opts, registry.ClientOptBasicAuth(ref.Username, ref.Password))
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("setting up the registry client (credentials %s): %w", credentials, err)
	}
	return client, cleanup, nil
}

// newHTTPClient is an HTTP client with the ref's TLS settings whose requests are cancelled with ctx
// (the Helm registry client itself uses context.Background).
func newHTTPClient(ctx context.Context, s Settings, ref ChartRef) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: min(30*time.Second, s.httpTimeout())}).DialContext
	if ref.CAFile != "" || ref.CertFile != "" || ref.InsecureSkipTLSVerify {
		cfg := &tls.Config{InsecureSkipVerify: ref.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it
		if ref.CAFile != "" {
			pem, err := os.ReadFile(ref.CAFile)
			if err != nil {
				return nil, newError(ErrUnreachable, fmt.Sprintf("reading CA file %s", ref.CAFile), "", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, newError(ErrUnreachable, fmt.Sprintf("CA file %s holds no PEM certificates", ref.CAFile), "", nil)
			}
			cfg.RootCAs = pool
		}
		if ref.CertFile != "" || ref.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(ref.CertFile, ref.KeyFile)
			if err != nil {
				return nil, newError(ErrUnreachable, fmt.Sprintf("loading client certificate %s and key %s", ref.CertFile, ref.KeyFile), "", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Transport: ctxTransport{ctx: ctx, base: tr}, Timeout: s.httpTimeout()}, nil
}

// ctxTransport ends requests when ctx ends, for callers that send requests with another context.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	done := func() { stop(); cancel() }
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, done: done}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	done func()
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

func loadFromRepo(ctx context.Context, s Settings, ref ChartRef) (*chart.Chart, string, error) {
	base := strings.TrimSuffix(ref.RepoURL, "/")
	client, err := newHTTPClient(ctx, s, ref)
	if err != nil {
		return nil, "", err
	}
	indexURL := base + "/index.yaml"
	data, err := httpGet(ctx, client, indexURL, ref, ref.RepoURL)
	if err != nil {
		return nil, "", err
	}

	cache := s.RepositoryCache
	if cache == "" {
		dir, err := os.MkdirTemp("", "igw-helm-repo-")
		if err != nil {
			return nil, "", err
		}
		defer os.RemoveAll(dir)
		cache = dir
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, "", fmt.Errorf("creating the repository cache %s: %w", cache, err)
	}
	sum := sha256.Sum256([]byte(base))
	indexFile := filepath.Join(cache, hex.EncodeToString(sum[:8])+"-index.yaml")
	if err := os.WriteFile(indexFile, data, 0o644); err != nil {
		return nil, "", fmt.Errorf("writing to the repository cache: %w", err)
	}
	index, err := repo.LoadIndexFile(indexFile)
	if err != nil {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("%s is not a Helm chart repository (its index.yaml does not load)", ref.RepoURL), "check the repository URL", err)
	}

	cv, err := index.Get(ref.Chart, ref.Version)
	if err != nil {
		versions, ok := index.Entries[ref.Chart]
		if !ok {
			names := make([]string, 0, len(index.Entries))
			for name := range index.Entries {
				names = append(names, name)
			}
			sort.Strings(names)
			fix := "the repository has no charts"
			if len(names) > 0 {
				fix = "charts there: " + strings.Join(names, ", ")
			}
			return nil, "", newError(ErrChartNotFound, fmt.Sprintf("chart %q is not in repository %s", ref.Chart, ref.RepoURL), fix, nil)
		}
		available := make([]string, 0, len(versions))
		for _, v := range versions {
			available = append(available, v.Version)
		}
		return nil, "", versionNotFound(fmt.Sprintf("chart %q in %s", ref.Chart, ref.RepoURL), ref.Version, available)
	}
	if len(cv.URLs) == 0 {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("chart %s %s in %s lists no download URL", ref.Chart, cv.Version, ref.RepoURL), "report it to the repository's maintainers", nil)
	}
	chartURL, err := repo.ResolveReferenceURL(base+"/", cv.URLs[0])
	if err != nil {
		return nil, "", fmt.Errorf("chart %s %s in %s: %w", ref.Chart, cv.Version, ref.RepoURL, err)
	}
	archive, err := httpGet(ctx, client, chartURL, ref, ref.RepoURL)
	if err != nil {
		return nil, "", err
	}
	if cv.Digest != "" {
		got := sha256.Sum256(archive)
		if !strings.EqualFold(hex.EncodeToString(got[:]), strings.TrimPrefix(cv.Digest, "sha256:")) {
			return nil, "", newError(ErrChartNotFound, fmt.Sprintf("%s does not match the digest in the repository index", chartURL), "retry; if it persists the repository is inconsistent or tampered with", nil)
		}
	}
	ch, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, "", newError(ErrChartNotFound, fmt.Sprintf("%s is not a valid chart archive", chartURL), "", err)
	}
	return ch, chartURL, nil
}

// httpGet fetches url; credentials go only to the repository's own host.
func httpGet(ctx context.Context, client *http.Client, target string, ref ChartRef, repoURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, newError(ErrChartNotFound, fmt.Sprintf("bad URL %q", target), "", err)
	}
	if ref.Username != "" && sameHost(target, repoURL) {
		req.SetBasicAuth(ref.Username, ref.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, explainFetch(err, "chart repository", repoURL)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, newError(ErrAccessDenied, fmt.Sprintf("chart repository %s refused %s (%s)", repoURL, target, resp.Status), "check that your account may read it; igwctl sends no credentials to HTTP chart repositories, so for a private one mirror the chart to an OCI registry, log in with `helm registry login HOST` and use --chart-repo oci://HOST/PATH", nil)
	case resp.StatusCode == http.StatusNotFound:
		return nil, newError(ErrChartNotFound, fmt.Sprintf("%s not found (404)", target), "check the repository URL (it must be the directory holding index.yaml)", nil)
	case resp.StatusCode != http.StatusOK:
		return nil, newError(ErrUnreachable, fmt.Sprintf("fetching %s: %s", target, resp.Status), "retry later or check the repository", nil)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, explainFetch(err, "chart repository", repoURL)
	}
	return data, nil
}

func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// LoadFS loads the chart at the root of fsys, e.g. one built into the binary.
func LoadFS(fsys fs.FS) (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: path, Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}
