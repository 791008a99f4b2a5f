package diagnose_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// The corpus: testdata/diagnose/ok holds complete, correct setups (one directory each), and
// testdata/diagnose/broken one mistake per file. A broken case starts with comment lines that
// name what it must produce and the setup it changes:
//
//	# want: IGW1001
//	# base: istio
//
// Its objects are read after the base's, and replace base objects of the same kind, namespace
// and name, as applying the files in that order would.
const corpus = "../../testdata/diagnose"

// corpusCase is one broken configuration.
type corpusCase struct {
	file, base string
	want       []diagnose.Code
}

func readCase(t *testing.T, file string) corpusCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := corpusCase{file: file}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if rest, ok := strings.CutPrefix(line, "# want:"); ok {
			for _, code := range strings.Fields(rest) {
				c.want = append(c.want, diagnose.Code(code))
			}
		}
		if rest, ok := strings.CutPrefix(line, "# base:"); ok {
			c.base = strings.TrimSpace(rest)
		}
	}
	if len(c.want) == 0 {
		t.Fatalf("%s: no \"# want: CODE\" line at the top", file)
	}
	return c
}

func brokenCases(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus, "broken", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no broken cases: %v", err)
	}
	var out []corpusCase
	for _, f := range files {
		out = append(out, readCase(t, f))
	}
	return out
}

// analyze runs every analyzer offline over the files, as igwctl diagnose -f does.
func analyze(t *testing.T, paths ...string) diagnose.Findings {
	t.Helper()
	objs, err := manifest.Load(manifest.Options{Paths: paths, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	return diagnose.Analyze(diagnose.FromManifests(objs, ""), diagnose.Analyzers()...)
}

func (c corpusCase) paths() []string {
	if c.base == "" {
		return []string{c.file}
	}
	return []string{filepath.Join(corpus, "ok", c.base), c.file}
}

func codes(fs diagnose.Findings) []diagnose.Code {
	var out []diagnose.Code
	for _, f := range fs {
		if !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

func text(fs diagnose.Findings) string {
	var b strings.Builder
	fs.WriteText(&b)
	return b.String()
}

// Every broken case produces exactly the codes it names, no fewer and no others.
func TestCorpusBroken(t *testing.T) {
	cases := brokenCases(t)
	if len(cases) < 30 {
		t.Errorf("%d broken cases; the corpus needs at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			got := analyze(t, c.paths()...)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(codes(got), want) {
				t.Errorf("codes %v, want %v:\n%s", codes(got), want, text(got))
			}
		})
	}
}

// The correct setups produce no finding at all, not even Info.
func TestCorpusCorrectSetups(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(corpus, "ok", "*"))
	if err != nil || len(dirs) < 4 {
		t.Fatalf("correct setups: %v %v", dirs, err)
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			if got := analyze(t, d); len(got) > 0 {
				t.Errorf("findings on a correct setup:\n%s", text(got))
			}
		})
	}
}
