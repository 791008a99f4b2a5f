package bbr

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The image flags: --image as one reference, or --image-repository, --image-tag and
// --image-digest for mirrors, checked before anything is fetched.

// Image is a container image reference split into the chart's image values.
type Image struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

// String is REPOSITORY[:TAG][@DIGEST].
func (i Image) String() string {
	s := i.Repository
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

// digestRE is a sha256 digest as registries write it.
var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// tagRE is an image tag (the distribution reference grammar).
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func (o *Options) validateImage() error {
	separate := o.imageRepoSet || o.imageTagSet || o.imageDigestSet
	if o.Image != "" && separate {
		return errors.New("--image and --image-repository/--image-tag/--image-digest contradict each other: give the whole image as --image REPOSITORY:TAG[@sha256:...], or use only the separate flags")
	}
	if o.Image != "" {
		_, err := ParseImage(o.Image)
		return err
	}
	if o.imageRepoSet {
		switch r := o.ImageRepository; {
		case r == "":
			return errors.New("--image-repository is empty; omit it to keep the default repository")
		case strings.Contains(r, "@"):
			return fmt.Errorf("--image-repository %q holds a digest; give it with --image-digest", r)
		case hasTag(r):
			return fmt.Errorf("--image-repository %q holds a tag; give the repository alone and the tag with --image-tag", r)
		}
	}
	if o.imageTagSet {
		switch t := o.ImageTag; {
		case t == "":
			return errors.New("--image-tag is empty; omit it to keep the default tag")
		case strings.Contains(t, "@"):
			return fmt.Errorf("--image-tag %q holds a digest; give it with --image-digest", t)
		case !tagRE.MatchString(t):
			return fmt.Errorf("--image-tag %q is not an image tag (letters, digits, _ . -, up to 128); give the tag alone, e.g. 0.2.0", t)
		}
	}
	if o.imageDigestSet && o.ImageDigest != "" && !digestRE.MatchString(o.ImageDigest) {
		return fmt.Errorf("--image-digest %q is not a digest: give sha256: and 64 lowercase hex digits, as `crane digest REPO:TAG` prints", o.ImageDigest)
	}
	return nil
}

// hasTag reports whether an image reference names a tag: a ":" after the last "/" (a ":" before
// it is a registry port).
func hasTag(ref string) bool {
	return strings.LastIndex(ref, ":") > strings.LastIndex(ref, "/")
}

// ParseImage splits REPOSITORY:TAG, REPOSITORY@sha256:... or REPOSITORY:TAG@sha256:...; a tag or a
// digest must be given.
func ParseImage(ref string) (Image, error) {
	var img Image
	rest := ref
	if i := strings.Index(ref, "@"); i >= 0 {
		rest, img.Digest = ref[:i], ref[i+1:]
		if !digestRE.MatchString(img.Digest) {
			return Image{}, fmt.Errorf("--image %q: the digest must be sha256: and 64 lowercase hex digits", ref)
		}
	}
	if hasTag(rest) {
		i := strings.LastIndex(rest, ":")
		rest, img.Tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(img.Tag) {
			return Image{}, fmt.Errorf("--image %q: %q is not an image tag; give REPOSITORY:TAG, e.g. ghcr.io/igw-dev/bbr:0.1.0", ref, img.Tag)
		}
	}
	img.Repository = rest
	if img.Repository == "" || (img.Tag == "" && img.Digest == "") {
		return Image{}, fmt.Errorf("--image %q: give REPOSITORY:TAG, REPOSITORY@sha256:... or REPOSITORY:TAG@sha256:..., e.g. ghcr.io/igw-dev/bbr:0.1.0", ref)
	}
	return img, nil
}
