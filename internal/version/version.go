// Package version holds the build's version, stamped by the release build.
package version

import "runtime/debug"

// Set by -ldflags "-X github.com/igw-dev/igw/internal/version.version=v1.2.3 ...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
}

// Get returns the stamped version, or what the Go toolchain recorded for an
// unstamped build (go install, go run).
func Get() Info {
	i := Info{Version: version, Commit: commit, BuildDate: date}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		i.GoVersion = bi.GoVersion
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && i.Commit == "" {
				i.Commit = s.Value
			}
		}
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	return i
}
