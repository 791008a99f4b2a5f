// Command image builds the bbr and igwctl images for linux/amd64 and linux/arm64 without a
// Docker daemon and pushes them (internal/image), or writes them to an OCI image layout;
// `make image IMAGE_REPO=...`, `make snapshot` and `make release` run it.
//
//	go run ./hack/image -repo ghcr.io/igw-dev [-base IMAGE] [-version v0.1.0] [-layout DIR] [-digests FILE] [bbr|igwctl ...]
//
// It prints one line per image, REPO/NAME@sha256:..., and each platform's digest; -digests
// writes "NAME sha256:..." lines for scripts. Timestamps come from SOURCE_DATE_EPOCH, or the
// commit's time, so the same commit gives the same digests.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/igw-dev/igw/internal/image"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run() error {
	repo := flag.String("repo", os.Getenv("IMAGE_REPO"), "registry and path the images go under, as REPO/bbr and REPO/igwctl (default $IMAGE_REPO)")
	base := flag.String("base", os.Getenv("BASE_IMAGE"), "base image (default $BASE_IMAGE, else "+image.DefaultBase+")")
	version := flag.String("version", "", "version stamped into the binaries and labels, and the tag (default git describe)")
	tags := flag.String("tags", "", "comma-separated tags to push (default the version; \"-\" for none)")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch")
	insecure := flag.Bool("insecure", false, "plain HTTP to the registry (loopback addresses use it anyway)")
	layoutDir := flag.String("layout", "", "write the images to this OCI image layout directory instead of pushing them")
	digests := flag.String("digests", "", "write each image's index digest to this file, a \"NAME sha256:...\" line each")
	flag.Parse()
	if *repo == "" {
		return fmt.Errorf("no registry: set IMAGE_REPO or -repo, e.g. IMAGE_REPO=ghcr.io/igw-dev")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	o := image.Options{Dir: ".", Base: *base, Go: os.Getenv("GO")}
	for _, s := range strings.Split(*platforms, ",") {
		p, err := image.ParsePlatform(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		o.Platforms = append(o.Platforms, p)
	}
	o.Version = *version
	if o.Version == "" {
		o.Version = git("describe", "--tags", "--always", "--dirty")
	}
	o.Revision = git("rev-parse", "HEAD")
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		epoch = git("log", "-1", "--format=%ct")
	}
	if epoch == "" {
		return fmt.Errorf("no SOURCE_DATE_EPOCH and no git commit to take the time from")
	}
	created, err := image.ParseEpoch(epoch)
	if err != nil {
		return err
	}
	o.Created = created
	o.Remote = []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithContext(ctx)}

	var tagList []string
	switch *tags {
	case "-":
	case "":
		if t, ok := image.Tag(o.Version); ok {
			tagList = []string{t}
		}
	default:
		tagList = strings.Split(*tags, ",")
	}
	bins := image.Binaries
	if flag.NArg() > 0 {
		bins = nil
		for _, n := range flag.Args() {
			b, ok := image.Lookup(n)
			if !ok {
				return fmt.Errorf("no image %q (bbr, igwctl)", n)
			}
			bins = append(bins, b)
		}
	}
	var nopts []name.Option
	if *insecure {
		nopts = append(nopts, name.Insecure)
	}

	fmt.Fprintf(os.Stderr, "building %d image(s) for %s: version %s, revision %s, created %s, base %s\n",
		len(bins), *platforms, o.Version, o.Revision, o.Created.Format(time.RFC3339), orDefault(*base))
	start := time.Now()
	publish, verb := image.ToRegistry(*repo, tagList, nopts...), "pushed"
	if *layoutDir != "" {
		publish, verb = image.ToLayout(*layoutDir, *repo, tagList, nopts...), "written to "+*layoutDir
	}
	res, err := image.Build(ctx, o, bins, publish)
	if *digests != "" {
		if werr := writeDigests(*digests, res); werr != nil && err == nil {
			err = werr
		}
	}
	for _, r := range res {
		fmt.Println(r.Digest)
		for _, t := range r.Tags {
			fmt.Printf("  tag %s\n", t)
		}
		var ps []string
		for p := range r.Platforms {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		for _, p := range ps {
			fmt.Printf("  %s %s\n", p, r.Platforms[p])
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built and %s in %s\n", verb, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func writeDigests(path string, res []image.Result) error {
	var b strings.Builder
	for _, r := range res {
		fmt.Fprintf(&b, "%s %s\n", r.Binary, r.Digest.DigestStr())
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func orDefault(base string) string {
	if base == "" {
		return image.DefaultBase
	}
	return base
}

// git answers "" outside a repository: the caller decides whether that is fatal.
func git(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
