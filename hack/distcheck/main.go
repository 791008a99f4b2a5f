// Command distcheck checks what `make snapshot` (or a release) left in dist/ the way the people
// who use it would: every archive against checksums.txt, each binary built for its platform and,
// where this machine can, run; an SBOM per binary; the Homebrew cask and krew manifest pointing
// at the archives with the right digests; krew's own validator and installer on the manifest
// (with -krew, a directory holding krew's `krew` and `validate-krew-manifest`); the images in
// dist/images for both platforms, running as 65532 with the archive's very bbr binary; the
// chart at the release version. It prints what it checked and exits 1 on the first problem.
//
//	go run ./hack/distcheck [-dist dist] [-krew DIR]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	dist := flag.String("dist", "dist", "the release directory to check")
	krew := flag.String("krew", "", "directory with krew and validate-krew-manifest (go install sigs.k8s.io/krew/cmd/...@v0.4.3); empty skips krew's own checks")
	plats := flag.String("platforms", "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64", "the archives' platforms: all of a release, or what `make snapshot SNAPSHOT_FLAGS=--single-target` built")
	flag.Parse()
	c := &checker{dist: *dist}
	for _, p := range strings.Split(*plats, ",") {
		goos, arch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok {
			fmt.Fprintf(os.Stderr, "distcheck: -platforms %q: want os/arch,...\n", *plats)
			os.Exit(2)
		}
		c.platforms = append(c.platforms, [2]string{goos, arch})
	}
	if err := c.run(*krew); err != nil {
		fmt.Fprintln(os.Stderr, "distcheck: FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("distcheck: all checks passed")
}

type checker struct {
	dist      string
	platforms [][2]string       // of the archives
	version   string            // goreleaser's .Version: no leading v
	sums      map[string]string // file name -> sha256 from checksums.txt
}

// The binaries of a release, as goreleaser.yaml builds them.
var binaries = []string{"bbr", "igwctl"}

func (c *checker) archive(bin, goos, arch string) string {
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", bin, c.version, goos, arch)
}

func (c *checker) run(krewDir string) error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"metadata", c.metadata},
		{"checksums", c.checksums},
		{"archives", c.archives},
		{"SBOMs", c.sboms},
		{"Homebrew cask", c.cask},
		{"krew manifest", func() error { return c.krew(krewDir) }},
		{"images", c.images},
		{"chart", c.chart},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Printf("ok  %s\n", s.name)
	}
	return nil
}

func (c *checker) metadata() error {
	b, err := os.ReadFile(filepath.Join(c.dist, "metadata.json"))
	if err != nil {
		return err
	}
	var m struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m.Version == "" {
		return fmt.Errorf("no version in metadata.json")
	}
	if m.Commit == "" || m.Commit == "none" {
		return fmt.Errorf("goreleaser knew no commit (%q): was it run outside a git clone with a remote?", m.Commit)
	}
	c.version = m.Version
	fmt.Printf("    version %s, commit %s\n", m.Version, m.Commit)
	return nil
}

const runtimeOS, runtimeArch = runtime.GOOS, runtime.GOARCH

// hostCanRun says whether a binary for goos/arch runs here.
func hostCanRun(goos, arch string) bool { return goos == runtimeOS && arch == runtimeArch }

func hasAll(s string, subs ...string) error {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return fmt.Errorf("%q lacks %q", firstLine(s), sub)
		}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
