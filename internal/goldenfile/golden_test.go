package goldenfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps failures instead of failing the test that runs Check.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Name() string              { return "TestX" }
func (r *recorder) Errorf(f string, a ...any) { r.failed = append(r.failed, f) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = append(r.failed, f) }
func (r *recorder) Fatal(a ...any)            { r.failed = append(r.failed, "fatal") }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	r := &recorder{TB: t}
	Check(r, path, "a\n", false)
	if len(r.failed) != 1 || !strings.Contains(r.failed[0], "-update writes it") {
		t.Fatalf("a missing file: %q", r.failed)
	}
	r.failed = nil
	Check(r, path, "a\n", true)
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\n" || len(r.failed) != 0 {
		t.Fatalf("update: %q %v %q", b, err, r.failed)
	}
	Check(r, path, "a\n", false)
	if len(r.failed) != 0 {
		t.Fatalf("same output: %q", r.failed)
	}
	Check(r, path, "b\n", false)
	if len(r.failed) != 1 || !strings.Contains(r.failed[0], "differs") {
		t.Fatalf("other output: %q", r.failed)
	}
}
