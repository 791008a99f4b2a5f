package image

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Result is one pushed image.
type Result struct {
	Binary string
	// Digest is REPO/NAME@sha256:..., the reference to deploy and mirror.
	Digest name.Digest
	// Tags are the references pushed alongside.
	Tags []name.Tag
	// Platforms maps each platform to its image's digest.
	Platforms map[string]v1.Hash
}

// Repository is where b's image goes under repo: REPO/NAME, as ko names it and as the chart's
// ghcr.io/igw-dev/bbr expects.
func Repository(repo string, b Binary, opts ...name.Option) (name.Repository, error) {
	return name.NewRepository(repo+"/"+b.Name, opts...)
}

// Push writes idx to repo's repository for b, under each tag (none pushes by digest only).
func Push(ctx context.Context, o Options, repo string, tags []string, b Binary, idx v1.ImageIndex, opts ...name.Option) (Result, error) {
	r, err := Repository(repo, b, opts...)
	if err != nil {
		return Result{}, err
	}
	d, err := idx.Digest()
	if err != nil {
		return Result{}, err
	}
	res := Result{Binary: b.Name, Digest: r.Digest(d.String())}
	ropts := append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	if err := remote.WriteIndex(res.Digest, idx, ropts...); err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", res.Digest, err)
	}
	for _, t := range tags {
		tag := r.Tag(t)
		if err := remote.Tag(tag, idx, ropts...); err != nil {
			return Result{}, fmt.Errorf("tagging %s: %w", tag, err)
		}
		res.Tags = append(res.Tags, tag)
	}
	res.Platforms, err = platformDigests(idx)
	return res, err
}

func platformDigests(idx v1.ImageIndex) (map[string]v1.Hash, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	out := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		if m.Platform != nil {
			out[PlatformString(*m.Platform)] = m.Digest
		}
	}
	return out, nil
}

// Publisher puts a built index somewhere and says where: a registry (ToRegistry) or an OCI
// image layout on disk (ToLayout).
type Publisher func(ctx context.Context, o Options, b Binary, idx v1.ImageIndex) (Result, error)

// ToRegistry pushes each image to REPO/NAME under tags.
func ToRegistry(repo string, tags []string, opts ...name.Option) Publisher {
	return func(ctx context.Context, o Options, b Binary, idx v1.ImageIndex) (Result, error) {
		return Push(ctx, o, repo, tags, b, idx, opts...)
	}
}

// Build compiles each of bins for every platform, assembles them and hands each index to
// publish, in a scratch directory it removes afterwards. bbr goes first when both are built: its
// index digest is linked into igwctl (version.bbrDigest), so that igwctl install bbr pins the
// image it was released with.
func Build(ctx context.Context, o Options, bins []Binary, publish Publisher) ([]Result, error) {
	dir, err := os.MkdirTemp("", "igw-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o.Remote = append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	var out []Result
	for _, b := range bbrFirst(bins) {
		paths := map[string]string{}
		for _, p := range o.platforms() {
			path, err := Compile(ctx, o, b, p, dir)
			if err != nil {
				return out, err
			}
			paths[PlatformString(p)] = path
		}
		idx, err := Assemble(o, b, paths)
		if err != nil {
			return out, err
		}
		res, err := publish(ctx, o, b, idx)
		if err != nil {
			return out, err
		}
		out = append(out, res)
		if b.Name == "bbr" {
			o.BBRDigest = res.Digest.DigestStr()
		}
		// The binaries are published; an igwctl for two platforms is a few hundred MB of scratch.
		for _, p := range paths {
			os.Remove(p)
		}
	}
	return out, nil
}

func bbrFirst(bins []Binary) []Binary {
	out := slices.Clone(bins)
	slices.SortStableFunc(out, func(a, b Binary) int {
		return cmp.Compare(boolInt(a.Name != "bbr"), boolInt(b.Name != "bbr"))
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
