package bbr_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/internal/chartrelease"
	"github.com/igw-dev/igw/internal/cmd/install/bbr"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/ocitest"
)

var (
	digest1 = "sha256:" + strings.Repeat("1a", 32)
	digest2 = "sha256:" + strings.Repeat("2b", 32)
	// release plays igwctl v9.8.7, whose release recorded the bbr image's digest.
	release = &bbr.Image{Repository: "ghcr.io/igw-dev/bbr", Tag: "9.8.7", Digest: digest1}
)

func merged(o *bbr.Options, appVersion string) (map[string]any, error) {
	v, err := o.Values(appVersion)
	if err != nil {
		return nil, err
	}
	return v.Merge()
}

// asRelease is the command as a release build of igwctl makes it, with img as its bbr image.
func asRelease(img *bbr.Image) cmdtest.NewCmd[bbr.Options] {
	return func(f *cmdutil.Factory, hook cmdutil.RunFunc[bbr.Options]) *cobra.Command {
		return bbr.NewCmd(f, func(ctx context.Context, o *bbr.Options) error {
			o.ReleaseImage, o.BuiltinVersion = img, img.Tag
			if hook != nil {
				return hook(ctx, o)
			}
			return bbr.Run(ctx, o)
		})
	}
}

// The image values each combination of flags, values and build makes. "-" is a value not set.
func TestImageValues(t *testing.T) {
	for _, tc := range []struct {
		name       string
		release    *bbr.Image
		appVersion string
		args       []string
		repo, tag  string
		digest     string
	}{
		{"dev build: the chart's defaults", nil, "0.1.0", nil, "-", "-", "-"},
		{"release: pinned", release, "9.8.7", nil, "ghcr.io/igw-dev/bbr", "9.8.7", digest1},
		{"release without a recorded digest", &bbr.Image{Repository: "ghcr.io/igw-dev/bbr", Tag: "9.8.7"}, "9.8.7", nil, "ghcr.io/igw-dev/bbr", "9.8.7", "-"},
		{"release, another release's chart", release, "0.1.0", nil, "-", "-", "-"},
		{"mirror keeps tag and digest", release, "9.8.7", []string{"--image-repository", "mirror.example:5000/igw/bbr"}, "mirror.example:5000/igw/bbr", "9.8.7", digest1},
		{"mirror through --set", release, "9.8.7", []string{"--set", "image.repository=mirror.example/bbr"}, "mirror.example/bbr", "9.8.7", digest1},
		{"another tag drops the digest", release, "9.8.7", []string{"--image-tag", "1.0.0"}, "ghcr.io/igw-dev/bbr", "1.0.0", "-"},
		{"another tag through --set", release, "9.8.7", []string{"--set", "image.tag=1.0.0"}, "ghcr.io/igw-dev/bbr", "1.0.0", "-"},
		{"the same tag through --set keeps it", release, "9.8.7", []string{"--set-string", "image.tag=9.8.7"}, "ghcr.io/igw-dev/bbr", "9.8.7", digest1},
		{"another tag and digest", release, "9.8.7", []string{"--image-tag", "1.0.0", "--image-digest", digest2}, "ghcr.io/igw-dev/bbr", "1.0.0", digest2},
		{"another digest", release, "9.8.7", []string{"--image-digest", digest2}, "ghcr.io/igw-dev/bbr", "9.8.7", digest2},
		{"no digest", release, "9.8.7", []string{"--image-digest="}, "ghcr.io/igw-dev/bbr", "9.8.7", "-"},
		{"digest through --set", release, "9.8.7", []string{"--set", "image.digest=" + digest2}, "ghcr.io/igw-dev/bbr", "9.8.7", digest2},
		{"--image by digest", release, "9.8.7", []string{"--image", "x.example/bbr@" + digest2}, "x.example/bbr", "", digest2},
		{"--image by tag", release, "9.8.7", []string{"--image", "x.example/bbr:1.2"}, "x.example/bbr", "1.2", "-"},
		{"--image by tag and digest, with a port", nil, "0.1.0", []string{"--image", "localhost:5000/bbr:1.2@" + digest2}, "localhost:5000/bbr", "1.2", digest2},
		{"dev build, mirror only", nil, "0.1.0", []string{"--image-repository", "mirror.example/bbr"}, "mirror.example/bbr", "-", "-"},
		{"--image-tag wins over a values digest", nil, "0.1.0", []string{"--set", "image.digest=" + digest2, "--image-tag", "2.0"}, "-", "2.0", ""},
		{"--image wins over a values digest", nil, "0.1.0", []string{"--set", "image.digest=" + digest2, "--image", "x/bbr:1"}, "x/bbr", "1", ""},
		{"--image-digest= clears a values digest", nil, "0.1.0", []string{"--set", "image.digest=" + digest2, "--image-digest="}, "-", "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			o.ReleaseImage = tc.release
			v, err := merged(o, tc.appVersion)
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string]string{"image.repository": tc.repo, "image.tag": tc.tag, "image.digest": tc.digest} {
				got, ok := helm.ValuesPath(v, path)
				switch {
				case want == "-" && ok:
					t.Errorf("%s = %v, want it unset", path, got)
				case want != "-" && got != want:
					t.Errorf("%s = %v, want %q", path, got, want)
				}
			}
		})
	}
}

func TestImageFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--image", "x/bbr:1", "--image-tag", "2"}, "--image and --image-repository/--image-tag/--image-digest contradict each other"},
		{[]string{"--image", "x/bbr:1", "--image-digest", digest1}, "contradict each other"},
		{[]string{"--image-digest", "sha256:abc"}, `--image-digest "sha256:abc" is not a digest`},
		{[]string{"--image-digest", strings.TrimPrefix(digest1, "sha256:")}, "is not a digest"},
		{[]string{"--image-digest", strings.ToUpper(digest1)}, "is not a digest"},
		{[]string{"--image-tag", "1.0@" + digest1}, "holds a digest; give it with --image-digest"},
		{[]string{"--image-tag", "x/bbr:1"}, "is not an image tag"},
		{[]string{"--image-tag="}, "--image-tag is empty"},
		{[]string{"--image-repository", "x/bbr:1"}, "holds a tag; give the repository alone and the tag with --image-tag"},
		{[]string{"--image-repository", "x/bbr@" + digest1}, "holds a digest; give it with --image-digest"},
		{[]string{"--image-repository="}, "--image-repository is empty"},
		{[]string{"--image", "x/bbr:1@sha256:zz"}, "the digest must be sha256:"},
		{[]string{"--image", "x/bbr:@" + digest1}, "is not an image tag"},
		{[]string{"--image", "@" + digest1}, "give REPOSITORY:TAG"},
	} {
		if _, err := parse(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := parse(t, "--image-repository", "localhost:5000/bbr"); err != nil {
		t.Errorf("a registry port is not a tag: %v", err)
	}
}

// A release of igwctl installs the bbr image of its own version by digest, from the chart the
// release pushed to a registry: packaged and pushed as the release does, installed from there
// with --chart-repo, and moved to a mirror with --image-repository, the digest kept.
func TestReleaseChartFromRegistry(t *testing.T) {
	reg := ocitest.Start(t)
	ch, err := chartrelease.Load("../../../../charts/bbr", "v9.8.7")
	if err != nil {
		t.Fatal(err)
	}
	_, archive, err := chartrelease.Package(ch, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := chartrelease.Push(archive, reg.URL(), chartrelease.PushOptions{PlainHTTP: true, CredentialsFile: filepath.Join(t.TempDir(), "config.json")})
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Ref != reg.Host+"/charts/bbr:9.8.7" {
		t.Fatalf("pushed %s", pushed.Ref)
	}

	const ns = "bbr-release"
	out, stderr, err := cmdtest.Run(t, asRelease(release), bed.Config, ns, "--chart-repo", reg.URL(), "--plain-http", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pinned := "ghcr.io/igw-dev/bbr:9.8.7@" + digest1
	var res bbr.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Image != pinned || res.ChartVersion != "9.8.7" || res.Source != "oci://"+reg.Host+"/charts/bbr:9.8.7" {
		t.Errorf("result: image %s, chart %s from %s", res.Image, res.ChartVersion, res.Source)
	}
	cs, err := kubernetes.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	check := func(wantImage string) {
		t.Helper()
		d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), "bbr", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Spec.Template.Spec.Containers[0].Image; got != wantImage {
			t.Errorf("Deployment image %s, want %s", got, wantImage)
		}
		for what, labels := range map[string]map[string]string{"Deployment": d.Labels, "pod template": d.Spec.Template.Labels} {
			if v := labels["app.kubernetes.io/version"]; v != "9.8.7" {
				t.Errorf("%s label app.kubernetes.io/version = %q", what, v)
			}
		}
	}
	check(pinned)

	// The image mirrored into another registry: same tag, same digest.
	out, stderr, err = cmdtest.Run(t, asRelease(release), bed.Config, ns, "--chart-repo", reg.URL(), "--plain-http", "--version", "9.8.7", "--image-repository", "mirror.example:5000/igw/bbr")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	mirrored := "mirror.example:5000/igw/bbr:9.8.7@" + digest1
	cmdtest.Contains(t, "stdout", out, "upgraded bbr 9.8.7", "image: "+mirrored)
	check(mirrored)

	if _, err := uninstall(t, ns); err != nil {
		t.Fatal(err)
	}
}

// The chart built into a release of igwctl carries the release's version, so the default image
// is igwctl's own, by digest.
func TestReleaseBuiltinChart(t *testing.T) {
	out, _, err := cmdtest.Run(t, asRelease(release), nil, "bbr-builtin", "--dry-run", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "json", out, `"chartVersion": "9.8.7"`, `"image": "ghcr.io/igw-dev/bbr:9.8.7@`+digest1+`"`, `app.kubernetes.io/version: \"9.8.7\"`)
	// A development build keeps Chart.yaml's version and the tag it implies.
	out, _, err = cmdtest.Run(t, bbr.NewCmd, nil, "bbr-builtin", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Contains(t, "stdout", out, "rendered bbr 0.1.0", "image: ghcr.io/igw-dev/bbr:0.1.0\n")
}

// igwctl built as a release, as goreleaser stamps it, renders its own bbr image pinned by the
// digest the release recorded.
func TestReleaseBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds igwctl; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "igwctl")
	ldflags := "-X github.com/igw-dev/igw/internal/version.version=v9.8.7 -X github.com/igw-dev/igw/internal/version.bbrDigest=" + digest1
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "github.com/igw-dev/igw/cmd/igwctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "install", "bbr", "--dry-run", "-o", "yaml", "-n", "llm")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "no-kubeconfig"), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cmdtest.Contains(t, "output", string(out), "chartVersion: 9.8.7", "image: ghcr.io/igw-dev/bbr:9.8.7@"+digest1, `image: "ghcr.io/igw-dev/bbr:9.8.7@`+digest1+`"`)
}
