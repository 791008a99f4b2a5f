package image

import (
	"context"
	"fmt"
	"os"

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
	res := Result{Binary: b.Name, Digest: r.Digest(d.String()), Platforms: map[string]v1.Hash{}}
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
	im, err := idx.IndexManifest()
	if err != nil {
		return Result{}, err
	}
	for _, m := range im.Manifests {
		if m.Platform != nil {
			res.Platforms[PlatformString(*m.Platform)] = m.Digest
		}
	}
	return res, nil
}

// Build compiles each of bins for every platform, assembles and pushes them, in a scratch
// directory it removes afterwards.
func Build(ctx context.Context, o Options, repo string, tags []string, bins []Binary, opts ...name.Option) ([]Result, error) {
	dir, err := os.MkdirTemp("", "igw-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ropts := append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	o.Remote = ropts
	var out []Result
	for _, b := range bins {
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
		res, err := Push(ctx, o, repo, tags, b, idx, opts...)
		if err != nil {
			return out, err
		}
		out = append(out, res)
		// The binaries are pushed; an igwctl for two platforms is a few hundred MB of scratch.
		for _, p := range paths {
			os.Remove(p)
		}
	}
	return out, nil
}
