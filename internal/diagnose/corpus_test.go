package diagnose_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/diagnose/corpus"
)

const corpusDir = "../../testdata/diagnose"

func text(fs diagnose.Findings) string {
	var b strings.Builder
	fs.WriteText(&b)
	return b.String()
}

// Every broken case produces exactly the codes it names, no fewer and no others.
func TestCorpusBroken(t *testing.T) {
	cases, err := corpus.Cases(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Errorf("%d broken cases; the corpus needs at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.File), func(t *testing.T) {
			got, err := corpus.Analyze(c.Paths(corpusDir)...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(corpus.Codes(got), c.Want) {
				t.Errorf("codes %v, want %v:\n%s", corpus.Codes(got), c.Want, text(got))
			}
		})
	}
}

// The correct setups produce no finding at all, not even Info: each is a guide's setup as it
// should be, and a finding there would be noise every user of that guide sees.
func TestCorpusCorrectSetups(t *testing.T) {
	dirs, err := corpus.Setups(corpusDir)
	if err != nil || len(dirs) < 5 {
		t.Fatalf("correct setups: %v %v", dirs, err)
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			got, err := corpus.Analyze(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				t.Errorf("findings on a correct setup:\n%s", text(got))
			}
		})
	}
}

// Every analyzer has a broken case that produces its code, and every code a case wants belongs
// to an analyzer: a finding without a case is untested, and docs/findings.md takes its example
// from the case.
func TestEveryCheckHasACase(t *testing.T) {
	cases, err := corpus.Cases(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[diagnose.Code]bool{}
	for _, c := range cases {
		for _, code := range c.Want {
			wanted[code] = true
		}
	}
	checks := map[diagnose.Code]bool{}
	for _, c := range diagnose.Checks() {
		checks[c.Code] = true
		if !wanted[c.Code] {
			t.Errorf("%s (%s) has no broken case in %s", c.Code, c.ID, corpusDir)
		}
	}
	for code := range wanted {
		if !checks[code] {
			t.Errorf("a case wants %s, which no analyzer reports", code)
		}
	}
}
