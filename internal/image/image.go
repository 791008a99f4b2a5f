// Package image builds the bbr and igwctl container images without a Docker daemon, the way ko
// does: the static Go binary in one layer on a base image, one image per platform under an image
// index, pushed with go-containerregistry. Every timestamp comes from Options.Created, so the
// same commit and base give the same digest.
//
// The Dockerfile builds the same bbr image for people who use Docker; a test keeps the two in
// agreement (entrypoint, user, ports).
package image

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultBase is where the binaries run unless Options.Base says otherwise: no shell, no
// package manager, CA certificates and a nonroot user.
const DefaultBase = "gcr.io/distroless/static-debian12:nonroot"

// User is distroless's nonroot uid and gid, which the Dockerfile's USER names too.
const User = "65532:65532"

// Source is the org.opencontainers.image.source label: where the code of an image lives.
const Source = "https://github.com/igw-dev/igw"

const versionPkg = "github.com/igw-dev/igw/internal/version"

// Binary is one image: the Go command Main, installed as /Name and run as the entrypoint.
type Binary struct {
	Name  string
	Main  string
	Ports []string // exposed, as "9004/tcp"
}

// Entrypoint is the image's entrypoint: the binary at the root of the file system, as the
// Dockerfile's COPY puts it.
func (b Binary) Entrypoint() []string { return []string{"/" + b.Name} }

// Binaries are the images a release ships. bbr's ports are its ext_proc, gRPC health and
// metrics ports; igwctl is a CLI for jobs and CI and listens on nothing.
var Binaries = []Binary{
	{Name: "bbr", Main: "./cmd/bbr", Ports: []string{"9004/tcp", "9005/tcp", "9090/tcp"}},
	{Name: "igwctl", Main: "./cmd/igwctl"},
}

// Lookup returns the Binary called name.
func Lookup(name string) (Binary, bool) {
	for _, b := range Binaries {
		if b.Name == name {
			return b, true
		}
	}
	return Binary{}, false
}

// DefaultPlatforms are the platforms of every image.
var DefaultPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// Options says how to build. Version, Revision and Created end up in the binaries and the
// labels; nothing else of the build machine does.
type Options struct {
	// Dir is the module root that go build runs in.
	Dir string
	// Base is the base image reference; empty means DefaultBase.
	Base string
	// Platforms to build; empty means DefaultPlatforms.
	Platforms []v1.Platform
	// Version and Revision are stamped into the binary and the labels.
	Version  string
	Revision string
	// Created is every timestamp of the image: the config's, the layer's history and the
	// binary's mtime in the layer.
	Created time.Time
	// Go is the go command; empty means "go".
	Go string
	// Remote options for pulling the base and pushing (auth, transport, context).
	Remote []remote.Option
	// BBRDigest is the bbr image's index digest, linked into igwctl (Build sets it once bbr
	// is built).
	BBRDigest string
}

func (o Options) base() string {
	if o.Base == "" {
		return DefaultBase
	}
	return o.Base
}

func (o Options) platforms() []v1.Platform {
	if len(o.Platforms) == 0 {
		return DefaultPlatforms
	}
	return o.Platforms
}

func (o Options) version() string {
	if o.Version == "" {
		return "dev"
	}
	return o.Version
}

// Labels are the OCI labels every image carries.
func (o Options) Labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.source":  Source,
		"org.opencontainers.image.version": o.version(),
	}
	if o.Revision != "" {
		l["org.opencontainers.image.revision"] = o.Revision
	}
	return l
}

// LDFlags are the Makefile's link flags plus the commit and date goreleaser stamps; the date is
// Created, not the time of the build, so that two builds of a commit link the same binary.
func (o Options) LDFlags() string {
	f := []string{"-s", "-w", "-X", versionPkg + ".version=" + o.version()}
	if o.Revision != "" {
		f = append(f, "-X", versionPkg+".commit="+o.Revision)
	}
	if !o.Created.IsZero() {
		f = append(f, "-X", versionPkg+".date="+o.Created.UTC().Format(time.RFC3339))
	}
	if o.BBRDigest != "" {
		f = append(f, "-X", versionPkg+".bbrDigest="+o.BBRDigest)
	}
	return strings.Join(f, " ")
}

// Tag is the tag a version is published under: without the leading "v" of a release (v1.2.3 is
// tagged 1.2.3, as goreleaser's .Version and the chart's appVersion spell it), so that the chart's
// default image, REPOSITORY:APPVERSION, exists. ok is false when the version is no valid tag.
func Tag(version string) (tag string, ok bool) {
	if len(version) > 1 && version[0] == 'v' && version[1] >= '0' && version[1] <= '9' {
		version = version[1:]
	}
	return version, tagRE.MatchString(version)
}

// A docker tag: what `git describe` gives is one, but a hand-set version may not be.
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ParseEpoch reads SOURCE_DATE_EPOCH's format: seconds since 1970 in decimal.
func ParseEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// PlatformString is "os/arch[/variant]", as in docker's --platform.
func PlatformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ParsePlatform reads "os/arch[/variant]".
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}
