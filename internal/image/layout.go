package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// RefNameAnnotation names an index inside an OCI image layout, as `crane`, `skopeo copy
// oci:DIR:REF` and `oras` read it.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// ToLayout writes each image into the OCI image layout at dir (created when missing), one
// entry per tag named REPO/NAME:TAG, or REPO/NAME@DIGEST without tags. A snapshot keeps its
// images this way: `crane push` or `skopeo copy` publishes them later, digests unchanged.
func ToLayout(dir, repo string, tags []string, opts ...name.Option) Publisher {
	return func(_ context.Context, _ Options, b Binary, idx v1.ImageIndex) (Result, error) {
		r, err := Repository(repo, b, opts...)
		if err != nil {
			return Result{}, err
		}
		d, err := idx.Digest()
		if err != nil {
			return Result{}, err
		}
		p, err := layout.FromPath(dir)
		if err != nil {
			if p, err = layout.Write(dir, empty.Index); err != nil {
				return Result{}, fmt.Errorf("image layout %s: %w", dir, err)
			}
		}
		res := Result{Binary: b.Name, Digest: r.Digest(d.String())}
		names := []string{res.Digest.String()}
		if len(tags) > 0 {
			names = nil
			for _, t := range tags {
				tag := r.Tag(t)
				res.Tags = append(res.Tags, tag)
				names = append(names, tag.String())
			}
		}
		for _, n := range names {
			if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{RefNameAnnotation: n})); err != nil {
				return Result{}, fmt.Errorf("writing %s to %s: %w", n, dir, err)
			}
		}
		res.Platforms, err = platformDigests(idx)
		return res, err
	}
}
