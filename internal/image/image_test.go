package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/igw-dev/igw/internal/image/imagetest"
)

// igwctlARM64Budget bounds igwctl's arm64 build: seconds with a warm build cache.
const igwctlARM64Budget = 2 * time.Minute

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// startRegistry serves go-containerregistry's in-memory registry on loopback, which the
// client speaks plain HTTP to without being told.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushBase pushes imagetest's stand-in for distroless static:nonroot, which this machine cannot
// pull.
func pushBase(t *testing.T, host string) (string, v1.Hash) {
	t.Helper()
	idx, err := imagetest.Base()
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/" + imagetest.BasePath
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, d
}

func TestImages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to cross-compile with")
	}
	ctx := context.Background()
	host := startRegistry(t)
	baseRef, baseDigest := pushBase(t, host)
	o := Options{
		Dir:      "../..",
		Base:     baseRef,
		Version:  "v0.0.0-imagetest",
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Created:  time.Unix(1764547200, 0).UTC(),
	}
	dir := t.TempDir()
	compile := func(b Binary, p v1.Platform, dir string) string {
		t.Helper()
		start := time.Now()
		path, err := Compile(ctx, o, b, p, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("go build %s for %s: %s", b.Name, PlatformString(p), time.Since(start).Round(10*time.Millisecond))
		return path
	}

	bbr, _ := Lookup("bbr")
	igwctl, _ := Lookup("igwctl")
	bbrBins := map[string]string{"linux/amd64": compile(bbr, amd64, dir), "linux/arm64": compile(bbr, arm64, dir)}
	igwctlOpts := o
	igwctlBins := map[string]string{"linux/amd64": compile(igwctl, amd64, dir)}
	igwctlPlatforms := []string{"linux/amd64", "linux/arm64/v8"}
	// igwctl's arm64 build is the heaviest part of the test and shows nothing bbr's does not:
	// -short leaves it out, and so does a cold build cache, where compiling Helm and Kubernetes
	// for arm64 takes many minutes on two cores and would run into go test's timeout.
	if !testing.Short() {
		bctx, cancel := context.WithTimeout(ctx, igwctlARM64Budget)
		start := time.Now()
		path, err := Compile(bctx, o, igwctl, arm64, dir)
		cancel()
		switch {
		case err == nil:
			igwctlBins["linux/arm64"] = path
			t.Logf("go build igwctl for linux/arm64: %s", time.Since(start).Round(10*time.Millisecond))
		case bctx.Err() != nil:
			t.Logf("igwctl for linux/arm64 not built within %s (cold build cache): its image is checked for linux/amd64 only", igwctlARM64Budget)
		default:
			t.Fatal(err)
		}
	}
	if igwctlBins["linux/arm64"] == "" {
		igwctlOpts.Platforms = []v1.Platform{amd64}
		igwctlPlatforms = igwctlPlatforms[:1]
	}

	start := time.Now()
	bbrIdx, err := Assemble(o, bbr, bbrBins)
	if err != nil {
		t.Fatal(err)
	}
	bbrRes, err := Push(ctx, o, host+"/igw-dev", []string{"v0.0.0-imagetest"}, bbr, bbrIdx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("assembled and pushed %s in %s", bbrRes.Digest, time.Since(start).Round(10*time.Millisecond))
	igwctlIdx, err := Assemble(igwctlOpts, igwctl, igwctlBins)
	if err != nil {
		t.Fatal(err)
	}
	igwctlRes, err := Push(ctx, igwctlOpts, host+"/igw-dev", nil, igwctl, igwctlIdx)
	if err != nil {
		t.Fatal(err)
	}

	wantBase := map[string]string{
		"org.opencontainers.image.base.name":   baseRef,
		"org.opencontainers.image.base.digest": baseDigest.String(),
	}
	for _, tc := range []struct {
		b         Binary
		res       Result
		platforms []string
	}{
		{bbr, bbrRes, []string{"linux/amd64", "linux/arm64/v8"}},
		{igwctl, igwctlRes, igwctlPlatforms},
	} {
		t.Run(tc.b.Name, func(t *testing.T) {
			idx, err := remote.Index(tc.res.Digest)
			if err != nil {
				t.Fatal(err)
			}
			if mt, _ := idx.MediaType(); mt != types.OCIImageIndex {
				t.Errorf("index media type %s", mt)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range im.Manifests {
				got = append(got, PlatformString(*m.Platform))
				img, err := idx.Image(m.Digest)
				if err != nil {
					t.Fatal(err)
				}
				checkImage(t, o, tc.b, *m.Platform, img, wantBase)
				if tc.b.Name == "bbr" && m.Platform.Architecture == "amd64" {
					runVersion(t, img)
				}
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.platforms) {
				t.Errorf("platforms %q, want %q", got, tc.platforms)
			}
			if !reflect.DeepEqual(sortedKeys(tc.res.Platforms), tc.platforms) {
				t.Errorf("result platforms %v", tc.res.Platforms)
			}
		})
	}
	if tagged, err := remote.Index(bbrRes.Tags[0]); err != nil {
		t.Error(err)
	} else if d, _ := tagged.Digest(); d.String() != bbrRes.Digest.DigestStr() {
		t.Errorf("tag %s is %s, pushed %s", bbrRes.Tags[0], d, bbrRes.Digest)
	}

	t.Run("reproducible", func(t *testing.T) {
		// A second go build of the same source, then a second assembly and push: the digest
		// must not move. The arm64 binary is reused: go build is deterministic per platform,
		// which the amd64 rebuild shows, and compiling it twice costs a minute.
		again := map[string]string{"linux/amd64": compile(bbr, amd64, t.TempDir()), "linux/arm64": bbrBins["linux/arm64"]}
		if a, b := readFile(t, bbrBins["linux/amd64"]), readFile(t, again["linux/amd64"]); !bytes.Equal(a, b) {
			t.Fatal("two go builds of bbr differ")
		}
		idx, err := Assemble(o, bbr, again)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Push(ctx, o, host+"/igw-dev", nil, bbr, idx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Digest != bbrRes.Digest {
			t.Errorf("second build %s, first %s", res.Digest, bbrRes.Digest)
		}
		t.Logf("both builds: %s", res.Digest)
		later := o
		later.Created = o.Created.Add(time.Second)
		idx, err = Assemble(later, bbr, again)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := idx.Digest(); d.String() == bbrRes.Digest.DigestStr() {
			t.Error("a different SOURCE_DATE_EPOCH gave the same digest: the timestamps are not taken from it")
		}
	})
}

// checkImage checks what the index says about one platform against the build's options and
// the Dockerfile.
func checkImage(t *testing.T, o Options, b Binary, p v1.Platform, img v1.Image, wantAnn map[string]string) {
	t.Helper()
	plat := PlatformString(p)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != p.OS || cf.Architecture != p.Architecture || cf.Variant != p.Variant {
		t.Errorf("%s: config says %s/%s/%s", plat, cf.OS, cf.Architecture, cf.Variant)
	}
	if c.User != "65532:65532" || !reflect.DeepEqual(c.Entrypoint, []string{"/" + b.Name}) || c.Cmd != nil {
		t.Errorf("%s: user %q entrypoint %q cmd %q", plat, c.User, c.Entrypoint, c.Cmd)
	}
	if got := sortedKeys(c.ExposedPorts); !reflect.DeepEqual(got, sortedStrings(b.Ports)) {
		t.Errorf("%s: exposed ports %q, want %q", plat, got, b.Ports)
	}
	if b.Name == "bbr" {
		d := parseDockerfile(t, "../../Dockerfile")
		if c.User != d.User || !reflect.DeepEqual(c.Entrypoint, d.Entrypoint) ||
			!reflect.DeepEqual(sortedKeys(c.ExposedPorts), sortedStrings(d.Ports)) {
			t.Errorf("%s: image and Dockerfile disagree: %+v vs %+v", plat, c, d)
		}
	}
	want := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/igw-dev/igw",
		"org.opencontainers.image.version":  o.Version,
		"org.opencontainers.image.revision": o.Revision,
		"test.base":                         "kept",
	}
	if !reflect.DeepEqual(c.Labels, want) {
		t.Errorf("%s: labels %v", plat, c.Labels)
	}
	if !cf.Created.Equal(o.Created) || !cf.History[len(cf.History)-1].Created.Equal(o.Created) {
		t.Errorf("%s: created %s, layer history %s, want %s", plat, cf.Created, cf.History[len(cf.History)-1].Created, o.Created)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || !reflect.DeepEqual(m.Annotations, wantAnn) {
		t.Errorf("%s: manifest %s, annotations %v", plat, m.MediaType, m.Annotations)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("%s: %d layers (base + binary), %v", plat, len(layers), err)
	}
	path := extractBinary(t, layers[1], b.Name, o.Created)
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Architecture]
	if f.Machine != wantMachine {
		t.Errorf("%s: binary is for %s", plat, f.Machine)
	}
}

// extractBinary checks that the layer holds the binary alone, as root:root 0755 dated created,
// and writes it out.
func extractBinary(t *testing.T, l v1.Layer, name string, created time.Time) string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != name || h.Mode != 0o755 || h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(created) {
		t.Errorf("layer entry %s mode %o uid %d gid %d mtime %s", h.Name, h.Mode, h.Uid, h.Gid, h.ModTime)
	}
	path := filepath.Join(t.TempDir(), name)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, tr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if h, err := tr.Next(); err != io.EOF {
		t.Errorf("layer holds more than the binary: %v %v", h, err)
	}
	return path
}

// runVersion runs the bbr binary taken from the image's layer on this machine: --version, then
// one ext_proc request.
func runVersion(t *testing.T, img v1.Image) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Log("not running the amd64 binary on", runtime.GOOS+"/"+runtime.GOARCH)
		return
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	path := extractBinary(t, layers[len(layers)-1], "bbr", time.Unix(1764547200, 0))
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "bbr version v0.0.0-imagetest") {
		t.Errorf("bbr --version from the image: %v\n%s", err, out)
	}
	t.Logf("bbr --version from the image: %s", strings.TrimSpace(string(out)))
	serveOne(t, path)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func sortedStrings(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	if len(s) == 0 {
		return nil
	}
	return s
}
