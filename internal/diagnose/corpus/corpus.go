// Package corpus reads testdata/diagnose, the configurations the analyzers are tested on: ok/
// holds complete, correct setups (one directory each), broken/ one mistake per file. A broken
// case starts with comment lines naming what it must produce and the setup it changes:
//
//	# want: IGW1001
//	# base: istio
//
// Its objects are read after the base's and replace base objects of the same kind, namespace and
// name, as applying the files in that order would. The corpus tests and docs/findings.md's
// examples both read it through this package.
package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// Case is one broken configuration.
type Case struct {
	// File is the case's path; Base the correct setup it changes ("" for none).
	File, Base string
	// Want are the codes it must produce, sorted.
	Want []diagnose.Code
	// Comment is what the case's header says about the mistake.
	Comment string
}

// Paths are what to read for the case: its base setup's directory, then the case.
func (c Case) Paths(dir string) []string {
	if c.Base == "" {
		return []string{c.File}
	}
	return []string{filepath.Join(dir, "ok", c.Base), c.File}
}

// Cases reads every broken case under dir (testdata/diagnose), in file name order.
func Cases(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "broken", "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, f := range files {
		c, err := readCase(f)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func readCase(file string) (Case, error) {
	f, err := os.Open(file)
	if err != nil {
		return Case{}, err
	}
	defer f.Close()
	c := Case{File: file}
	var comment []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "#")
		if !ok {
			break
		}
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "want:"):
			for _, code := range strings.Fields(strings.TrimPrefix(line, "want:")) {
				c.Want = append(c.Want, diagnose.Code(code))
			}
		case strings.HasPrefix(line, "base:"):
			c.Base = strings.TrimSpace(strings.TrimPrefix(line, "base:"))
		default:
			comment = append(comment, line)
		}
	}
	if len(c.Want) == 0 {
		return Case{}, fmt.Errorf("%s: no \"# want: CODE\" line at the top", file)
	}
	slices.Sort(c.Want)
	c.Comment = strings.Join(comment, " ")
	return c, sc.Err()
}

// Setups lists the correct setups' directories under dir.
func Setups(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "ok", "*"))
}

// Analyze runs every analyzer offline over the files, as igwctl diagnose -f does.
func Analyze(paths ...string) (diagnose.Findings, error) {
	objs, err := manifest.Load(manifest.Options{Paths: paths, Recursive: true})
	if err != nil {
		return nil, err
	}
	return diagnose.Analyze(diagnose.FromManifests(objs, ""), diagnose.Analyzers()...), nil
}

// Codes are the distinct codes of fs, sorted.
func Codes(fs diagnose.Findings) []diagnose.Code {
	var out []diagnose.Code
	for _, f := range fs {
		if !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}
