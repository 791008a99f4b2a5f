// Command chart packages charts/bbr for a release and pushes it to an OCI registry, as
// `helm package --version V --app-version V` then `helm push` would, through the Helm SDK:
//
//	go run ./hack/chart -version v0.2.0 [-out dist/charts] [-push oci://ghcr.io/igw-dev/charts] [-plain-http]
//
// The chart's version and appVersion both become the release version without its "v" (so the
// chart's default image tag is the release's bbr image), the archive NAME-VERSION.tgz is written
// to -out, and with -push it goes to oci://HOST/PATH/bbr:VERSION. Every file in the archive is
// dated SOURCE_DATE_EPOCH, or else the time of the commit at HEAD (as hack/image dates the
// images), which also dates the pushed manifest, so the same commit gives the same archive and
// manifest digest.
// Credentials come from `helm registry login` or `docker login`, or -username with the password
// on stdin (-password-stdin).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/igw-dev/igw/internal/chartrelease"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "release version, SemVer with or without the \"v\" (required), e.g. v0.2.0")
	dir := fs.String("chart", "charts/bbr", "chart directory")
	out := fs.String("out", "dist/charts", "directory to write NAME-VERSION.tgz to")
	push := fs.String("push", "", "push to this OCI location, oci://HOST/PATH (the chart lands at oci://HOST/PATH/bbr:VERSION)")
	plainHTTP := fs.Bool("plain-http", false, "talk plain HTTP to the registry")
	username := fs.String("username", "", "registry user name (default: stored credentials)")
	passwordStdin := fs.Bool("password-stdin", false, "read the registry password from stdin")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time to date the archive's files and the manifest with (default $SOURCE_DATE_EPOCH, else the commit's time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *version == "" {
		return errors.New("-version is required, e.g. -version v0.2.0")
	}
	if *passwordStdin && *username == "" {
		return errors.New("-password-stdin needs -username")
	}
	if *epoch == "" {
		*epoch = commitTime()
	}
	if *epoch == "" {
		return errors.New("no SOURCE_DATE_EPOCH and no git commit to take the time from; set SOURCE_DATE_EPOCH")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil || secs < 0 {
		return fmt.Errorf("SOURCE_DATE_EPOCH %q is not a Unix time in seconds", *epoch)
	}
	modTime := time.Unix(secs, 0)

	ch, err := chartrelease.Load(*dir, *version)
	if err != nil {
		return err
	}
	name, data, err := chartrelease.Package(ch, modTime)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*out, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	fmt.Fprintf(stdout, "wrote %s (sha256:%s)\n", path, hex.EncodeToString(sum[:]))
	if *push == "" {
		return nil
	}
	o := chartrelease.PushOptions{PlainHTTP: *plainHTTP, Username: *username, Created: modTime, Out: stderr}
	if *passwordStdin {
		pw, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		o.Password = strings.TrimRight(string(pw), "\r\n")
	}
	pushed, err := chartrelease.Push(data, *push, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pushed oci://%s\ndigest %s\n", pushed.Ref, pushed.Digest)
	return nil
}

// commitTime is the Unix time of the commit at HEAD, "" outside a git checkout.
func commitTime() string {
	out, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
