package image

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// dockerfile is what the Dockerfile's final stage says about the running image.
type dockerfile struct {
	Base       string    // the last stage's FROM
	Copy       [2]string // the binary's source in the build stage, and its path in the image
	User       string
	Ports      []string // as "9004/tcp"
	Entrypoint []string
	BuildFlags string // the RUN that builds the binary
}

// parseDockerfile reads the few instructions the image build must agree with. Only the last
// stage's USER, EXPOSE, ENTRYPOINT and COPY --from count: the build stage runs as root and
// exposes nothing.
func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	for _, l := range lines {
		instr, args, _ := strings.Cut(l, " ")
		args = strings.TrimSpace(args)
		switch strings.ToUpper(instr) {
		case "FROM":
			d = dockerfile{BuildFlags: d.BuildFlags, Base: strings.Fields(args)[0]}
		case "RUN":
			if strings.Contains(args, "go build") {
				d.BuildFlags = args
			}
		case "COPY":
			f := strings.Fields(args)
			if len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				d.Copy = [2]string{f[1], f[2]}
			}
		case "USER":
			d.User = args
		case "EXPOSE":
			for _, p := range strings.Fields(args) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				d.Ports = append(d.Ports, p)
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(args), &d.Entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s: want the exec form: %v", args, err)
			}
		}
	}
	return d
}

// TestDockerfileAgrees keeps the Dockerfile, for people who build with Docker, and this
// package's bbr image in agreement.
func TestDockerfileAgrees(t *testing.T) {
	d := parseDockerfile(t, "../../Dockerfile")
	b, _ := Lookup("bbr")
	if !reflect.DeepEqual(d.Entrypoint, b.Entrypoint()) {
		t.Errorf("Dockerfile ENTRYPOINT %q, image %q", d.Entrypoint, b.Entrypoint())
	}
	if d.Copy[1] != b.Entrypoint()[0] {
		t.Errorf("Dockerfile copies the binary to %q, image puts it at %q", d.Copy[1], b.Entrypoint()[0])
	}
	if d.User != User {
		t.Errorf("Dockerfile USER %q, image %q", d.User, User)
	}
	if d.Base != DefaultBase {
		t.Errorf("Dockerfile FROM %q, image base %q", d.Base, DefaultBase)
	}
	want := append([]string(nil), b.Ports...)
	got := append([]string(nil), d.Ports...)
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Dockerfile EXPOSE %q, image %q", got, want)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", versionPkg + ".version=", "./cmd/bbr"} {
		if !strings.Contains(d.BuildFlags, flag) {
			t.Errorf("Dockerfile's go build lacks %q: %s", flag, d.BuildFlags)
		}
	}
	if !strings.Contains(Options{}.LDFlags(), "-s -w") {
		t.Errorf("image ldflags %q lack the Dockerfile's -s -w", Options{}.LDFlags())
	}
}

func TestParseDockerfileStages(t *testing.T) {
	path := t.TempDir() + "/Dockerfile"
	src := "FROM x AS build\nUSER root\nEXPOSE 1\nRUN go build \\\n  -o /out/a ./cmd/a\n" +
		"FROM y\n# comment\nCOPY --from=build /out/a /a\nUSER 1:1\nEXPOSE 2 3/udp\nENTRYPOINT [\"/a\", \"-v\"]\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := parseDockerfile(t, path)
	want := dockerfile{
		Base: "y", Copy: [2]string{"/out/a", "/a"}, User: "1:1", Ports: []string{"2/tcp", "3/udp"},
		Entrypoint: []string{"/a", "-v"}, BuildFlags: "go build  -o /out/a ./cmd/a",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
