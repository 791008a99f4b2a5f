package image

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestTag(t *testing.T) {
	for v, want := range map[string]string{"v1.2.3": "1.2.3", "1.2.3": "1.2.3", "v0.2.0-3-gabcdef0-dirty": "0.2.0-3-gabcdef0-dirty", "1e0e0cd": "1e0e0cd", "vnext": "vnext"} {
		if got, ok := Tag(v); !ok || got != want {
			t.Errorf("Tag(%q) = %q %v, want %q", v, got, ok, want)
		}
	}
	if _, ok := Tag("v1.2.3+build"); ok {
		t.Error("a version with + is no valid tag")
	}
}

// A snapshot's images go to an OCI image layout, named by tag, and read back with the digest
// they were built with.
func TestToLayout(t *testing.T) {
	host := startRegistry(t)
	baseRef, _ := pushBase(t, host)
	o := Options{Base: baseRef, Version: "v0.3.0", Created: time.Unix(1764547200, 0).UTC()}
	// Assemble takes any file as the binary; what it is does not matter to the layout.
	bin := filepath.Join(t.TempDir(), "bbr")
	if err := os.WriteFile(bin, []byte("not really bbr"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := Lookup("bbr")
	idx, err := Assemble(o, b, map[string]string{"linux/amd64": bin, "linux/arm64": bin})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "images")
	res, err := ToLayout(dir, "ghcr.io/igw-dev", []string{"0.3.0"})(context.Background(), o, b, idx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	if res.Digest.String() != "ghcr.io/igw-dev/bbr@"+want.String() || len(res.Tags) != 1 || res.Tags[0].String() != "ghcr.io/igw-dev/bbr:0.3.0" {
		t.Fatalf("result %s %v", res.Digest, res.Tags)
	}
	if got := sortedKeys(res.Platforms); !slices.Equal(got, []string{"linux/amd64", "linux/arm64/v8"}) {
		t.Errorf("platforms %v", got)
	}
	// A second image goes into the same layout beside the first.
	igwctl, _ := Lookup("igwctl")
	if _, err := ToLayout(dir, "ghcr.io/igw-dev", nil)(context.Background(), o, igwctl, idx); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range im.Manifests {
		names = append(names, m.Annotations[RefNameAnnotation])
		if m.Digest != want {
			t.Errorf("%s: digest %s, built %s", m.Annotations[RefNameAnnotation], m.Digest, want)
		}
		inner, err := top.ImageIndex(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := inner.IndexManifest(); len(got.Manifests) != 2 {
			t.Errorf("%d platforms in the layout's index", len(got.Manifests))
		}
	}
	if want := []string{"ghcr.io/igw-dev/bbr:0.3.0", "ghcr.io/igw-dev/igwctl@" + want.String()}; !slices.Equal(names, want) {
		t.Errorf("layout names %v, want %v", names, want)
	}
}

// igwctl records the bbr image's digest it was built with; bbr is built first for it.
func TestBBRDigestLinkedIntoIgwctl(t *testing.T) {
	bbr, _ := Lookup("bbr")
	igwctl, _ := Lookup("igwctl")
	if got := bbrFirst([]Binary{igwctl, bbr}); got[0].Name != "bbr" || got[1].Name != "igwctl" {
		t.Fatalf("build order %v", got)
	}
	o := Options{Version: "v1.0.0", BBRDigest: "sha256:" + strings.Repeat("a", 64)}
	if !strings.Contains(o.LDFlags(), versionPkg+".bbrDigest=sha256:aaaa") {
		t.Errorf("ldflags %q lack the bbr digest", o.LDFlags())
	}
	if strings.Contains(Options{Version: "v1.0.0"}.LDFlags(), "bbrDigest") {
		t.Error("ldflags name a bbr digest nobody gave")
	}
}
