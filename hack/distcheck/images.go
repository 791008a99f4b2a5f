package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/igw-dev/igw/internal/image"
)

// images: dist/images holds REPO/bbr:VERSION and REPO/igwctl:VERSION for linux/amd64 and
// linux/arm64, entrypoint /NAME, user 65532, labelled with the version; and the linux/amd64 bbr
// in its image is byte for byte the bbr of the linux/amd64 archive.
func (c *checker) images() error {
	p, err := layout.FromPath(filepath.Join(c.dist, "images"))
	if err != nil {
		return err
	}
	top, err := p.ImageIndex()
	if err != nil {
		return err
	}
	im, err := top.IndexManifest()
	if err != nil {
		return err
	}
	tag, _ := image.Tag(c.version)
	found := map[string]bool{}
	for _, m := range im.Manifests {
		ref := m.Annotations[image.RefNameAnnotation]
		for _, b := range binaries {
			if filepath.Base(ref) != b+":"+tag {
				continue
			}
			idx, err := top.ImageIndex(m.Digest)
			if err != nil {
				return err
			}
			if err := c.checkIndex(b, idx); err != nil {
				return fmt.Errorf("%s: %w", ref, err)
			}
			found[b] = true
			fmt.Printf("    %s@%s\n", ref, m.Digest)
		}
	}
	for _, b := range binaries {
		if !found[b] {
			return fmt.Errorf("no %s:%s in dist/images", b, tag)
		}
	}
	return nil
}

func (c *checker) checkIndex(b string, idx v1.ImageIndex) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	var plats []string
	for _, m := range im.Manifests {
		plat := image.PlatformString(*m.Platform)
		plats = append(plats, plat)
		img, err := idx.Image(m.Digest)
		if err != nil {
			return err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		if cf.Config.User != image.User || !slices.Equal(cf.Config.Entrypoint, []string{"/" + b}) ||
			cf.Config.Labels["org.opencontainers.image.version"] != "v"+c.version {
			return fmt.Errorf("%s: user %q, entrypoint %q, labels %v", plat, cf.Config.User, cf.Config.Entrypoint, cf.Config.Labels)
		}
		if b == "bbr" && plat == "linux/amd64" {
			if err := c.sameBinary(img, b, "linux", "amd64"); err != nil {
				return err
			}
		}
	}
	slices.Sort(plats)
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64/v8"}) {
		return fmt.Errorf("platforms %v", plats)
	}
	return nil
}

// sameBinary compares the image's top layer binary with the archive's.
func (c *checker) sameBinary(img v1.Image, b, goos, arch string) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	if err != nil || h.Name != b {
		return fmt.Errorf("top layer starts with %v, want %s: %v", h, b, err)
	}
	inImage, err := io.ReadAll(tr)
	if err != nil {
		return err
	}
	_, data, err := readArchive(filepath.Join(c.dist, c.archive(b, goos, arch)))
	if err != nil {
		return err
	}
	if !bytes.Equal(inImage, data[b]) {
		return fmt.Errorf("the %s/%s %s in the image differs from the archive's: the two builds are not reproducible", goos, arch, b)
	}
	fmt.Printf("    the %s/%s image runs the archive's very %s\n", goos, arch, b)
	return nil
}

// chart: dist/charts/bbr-VERSION.tgz, whose version and appVersion are the release's.
func (c *checker) chart() error {
	path := filepath.Join(c.dist, "charts", "bbr-"+c.version+".tgz")
	ch, err := loader.Load(path)
	if err != nil {
		return err
	}
	if ch.Metadata.Version != c.version || ch.Metadata.AppVersion != c.version {
		return fmt.Errorf("%s: version %q, appVersion %q, want %q", path, ch.Metadata.Version, ch.Metadata.AppVersion, c.version)
	}
	fmt.Printf("    %s: version and appVersion %s\n", filepath.Base(path), c.version)
	return nil
}
