package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Compile cross-compiles b for p into dir and returns the binary's path.
func Compile(ctx context.Context, o Options, b Binary, p v1.Platform, dir string) (string, error) {
	out := filepath.Join(dir, b.Name+"-"+p.OS+"-"+p.Architecture)
	goCmd := o.Go
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-ldflags", o.LDFlags(), "-o", out, b.Main)
	cmd.Dir = o.Dir
	// GOAMD64 and GOARM64 are pinned to the defaults: a builder's own setting would otherwise
	// change the binary, and so the digest, of the same commit.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture,
		"GOAMD64=v1", "GOARM64=v8.0")
	if p.Architecture == "arm" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+p.Variant[1:])
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for %s: %v\n%s", b.Main, PlatformString(p), err, stderr.Bytes())
	}
	return out, nil
}

// Assemble builds b's index from binaries compiled for each of o's platforms (keyed by
// PlatformString) on o's base. Nothing is pushed; the base is read from its registry.
func Assemble(o Options, b Binary, binaries map[string]string) (v1.ImageIndex, error) {
	bases, err := pullBase(o)
	if err != nil {
		return nil, err
	}
	idx := v1.ImageIndex(empty.Index)
	oci := true
	var adds []mutate.IndexAddendum
	for _, base := range bases {
		path, ok := binaries[PlatformString(base.want)]
		if !ok {
			return nil, fmt.Errorf("%s: no binary for %s", b.Name, PlatformString(base.want))
		}
		img, err := assembleOne(o, b, base, path)
		if err != nil {
			return nil, fmt.Errorf("%s for %s: %w", b.Name, PlatformString(base.want), err)
		}
		mt, err := img.MediaType()
		if err != nil {
			return nil, err
		}
		oci = oci && mt == types.OCIManifestSchema1
		plat := base.platform
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: mt, Platform: &plat}})
	}
	// An OCI index of OCI images, as distroless is; a base still in Docker's media types gets a
	// Docker manifest list instead, as ko does, rather than a mix no spec describes.
	if oci {
		idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	} else {
		idx = mutate.IndexMediaType(idx, types.DockerManifestList)
	}
	return mutate.AppendManifests(idx, adds...), nil
}

func assembleOne(o Options, b Binary, base baseImage, binPath string) (v1.Image, error) {
	mt, err := base.img.MediaType()
	if err != nil {
		return nil, err
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	layer, err := binaryLayer(b, binPath, o, layerType)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: o.Created}
	img, err := mutate.Append(base.img, mutate.Addendum{
		Layer:     layer,
		MediaType: layerType,
		History: v1.History{
			Author:    "igw",
			Created:   created,
			CreatedBy: "igw image: go build " + b.Main + " as " + b.Entrypoint()[0],
			Comment:   "igw " + o.version(),
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config
	cfg.Entrypoint = b.Entrypoint()
	// The base's CMD would become the binary's arguments.
	cfg.Cmd = nil
	cfg.User = User
	// The base's ports (distroless has none) are not the binary's.
	cfg.ExposedPorts = nil
	if len(b.Ports) > 0 {
		cfg.ExposedPorts = map[string]struct{}{}
		for _, p := range b.Ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	for k, v := range o.Labels() {
		labels[k] = v
	}
	cfg.Labels = labels
	if img, err = mutate.Config(img, cfg); err != nil {
		return nil, err
	}
	if img, err = mutate.CreatedAt(img, created); err != nil {
		return nil, err
	}
	// The base's name and digest, as ko and BuildKit annotate them, so that scanners and
	// rebuild tools can tell what the image sits on.
	ann := map[string]string{
		"org.opencontainers.image.base.name":   base.name,
		"org.opencontainers.image.base.digest": base.digest.String(),
	}
	withAnn, ok := mutate.Annotations(img, ann).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("annotating the image: not an image")
	}
	return withAnn, nil
}

// binaryLayer is one tar with the binary at /Name, owned by root and executable by everyone
// (the image runs it as 65532), dated Created. The tar is streamed from the file each time it
// is opened; the compressed form is cached because computing the digest and the upload would
// each compress it again.
func binaryLayer(b Binary, path string, o Options, mt types.MediaType) (v1.Layer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	opener := func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() {
			defer f.Close()
			tw := tar.NewWriter(pw)
			hdr := &tar.Header{
				Typeflag: tar.TypeReg,
				Name:     b.Name,
				Mode:     0o755,
				Size:     size,
				ModTime:  o.Created,
				Uname:    "root",
				Gname:    "root",
				Format:   tar.FormatPAX,
			}
			err := tw.WriteHeader(hdr)
			if err == nil {
				var n int64
				n, err = io.Copy(tw, f)
				if err == nil && n != size {
					err = fmt.Errorf("%s changed while being read", path)
				}
			}
			if err == nil {
				err = tw.Close()
			}
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
	return tarball.LayerFromOpener(opener, tarball.WithMediaType(mt), tarball.WithCompressedCaching)
}

type baseImage struct {
	want     v1.Platform // the platform asked for
	platform v1.Platform // the base's own, variant included
	img      v1.Image
	name     string
	digest   v1.Hash // of the base's index or image, whichever the reference names
}

// pullBase resolves o's base into one image per platform, in o's platform order.
func pullBase(o Options) ([]baseImage, error) {
	ref, err := name.ParseReference(o.base())
	if err != nil {
		return nil, fmt.Errorf("base image %q: %w", o.base(), err)
	}
	desc, err := remote.Get(ref, o.Remote...)
	if err != nil {
		return nil, fmt.Errorf("pulling base image %s: %w", ref, err)
	}
	var out []baseImage
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, want := range o.platforms() {
			found := false
			for _, m := range im.Manifests {
				if m.Platform == nil || !matches(*m.Platform, want) {
					continue
				}
				img, err := idx.Image(m.Digest)
				if err != nil {
					return nil, err
				}
				out = append(out, baseImage{want: want, platform: *m.Platform, img: img, name: ref.String(), digest: desc.Digest})
				found = true
				break
			}
			if !found {
				return nil, fmt.Errorf("base image %s has no %s image (has %s)", ref, PlatformString(want), listPlatforms(im))
			}
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	for _, want := range o.platforms() {
		if !matches(have, want) {
			return nil, fmt.Errorf("base image %s is a single %s image; %s needs an index with it", ref, PlatformString(have), PlatformString(want))
		}
		out = append(out, baseImage{want: want, platform: have, img: img, name: ref.String(), digest: desc.Digest})
	}
	return out, nil
}

// matches compares OS and architecture, and the variant only when one is asked for: distroless
// calls arm64 "arm64/v8", which is what "linux/arm64" means.
func matches(have, want v1.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture &&
		(want.Variant == "" || have.Variant == want.Variant)
}

func listPlatforms(im *v1.IndexManifest) string {
	var s []string
	for _, m := range im.Manifests {
		if m.Platform != nil {
			s = append(s, PlatformString(*m.Platform))
		}
	}
	sort.Strings(s)
	return fmt.Sprint(s)
}
