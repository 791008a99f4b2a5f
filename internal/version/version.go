// Package version holds the build's version, stamped by the release build.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by -ldflags "-X github.com/igw-dev/igw/internal/version.version=v1.2.3 ...".
var (
	version = ""
	commit  = ""
	date    = ""
	// bbrDigest is the digest (sha256:...) of the bbr image index the release built for this
	// version. Images are reproducible, so the release computes it before building igwctl; a
	// build that did not record one leaves it empty and igwctl pulls by tag.
	bbrDigest = ""
)

// BBRRepository is where the release publishes the bbr image.
const BBRRepository = "ghcr.io/igw-dev/bbr"

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
	// Platform is the binary's GOOS/GOARCH, e.g. linux/amd64.
	Platform string `json:"platform"`
}

// Get returns the stamped version, or what the Go toolchain recorded for an
// unstamped build (go install, go run).
func Get() Info {
	i := Info{Version: version, Commit: commit, BuildDate: date, Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		i.GoVersion = bi.GoVersion
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && i.Commit == "":
				i.Commit = s.Value
			case s.Key == "vcs.time" && i.BuildDate == "":
				i.BuildDate = s.Value
			}
		}
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	if i.GoVersion == "" {
		i.GoVersion = runtime.Version()
	}
	return i
}

// ShortCommit is the commit as one line of text shows it: its first 12 hex digits, or "none"
// when the build recorded none.
func (i Info) ShortCommit() string {
	switch {
	case i.Commit == "":
		return "none"
	case len(i.Commit) > 12:
		return i.Commit[:12]
	}
	return i.Commit
}

// Built is the build date as text shows it, "unknown" when the build recorded none.
func (i Info) Built() string {
	if i.BuildDate == "" {
		return "unknown"
	}
	return i.BuildDate
}

// Release reports whether this build is a tagged release (a SemVer version such as v1.2.3 or
// 1.2.3-rc.1), as opposed to a development build ("dev", a git describe with a commit count, or
// "-dirty"). Only a release knows which bbr image matches it.
func (i Info) Release() bool {
	v := strings.TrimPrefix(i.Version, "v")
	if v == "" || v == "dev" || strings.Contains(v, "dirty") || strings.Contains(v, "snapshot") {
		return false
	}
	core, _, _ := strings.Cut(v, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	// git describe past a tag: v1.2.3-4-gabcdef0.
	if _, pre, ok := strings.Cut(v, "-"); ok {
		if f := strings.Split(pre, "-"); len(f) >= 2 && strings.HasPrefix(f[len(f)-1], "g") {
			return false
		}
	}
	return true
}

// AppVersion is the version as chart appVersions and image tags spell it: without the leading
// "v" (v1.2.3 is tagged 1.2.3, as goreleaser's .Version and Helm charts do).
func (i Info) AppVersion() string { return strings.TrimPrefix(i.Version, "v") }

// BBRImage is the bbr image that matches this build: for a release, BBRRepository at the
// release's tag and, when the release recorded it, digest; otherwise ok is false and callers
// keep the chart's own default.
func BBRImage() (repo, tag, digest string, ok bool) {
	i := Get()
	if !i.Release() {
		return "", "", "", false
	}
	return BBRRepository, i.AppVersion(), bbrDigest, true
}
