// Package goldenfile compares a test's output with a file kept in testdata, the way every
// command's tests check their text output; `go test -update` (each package's own flag, passed
// in) rewrites the file instead.
package goldenfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Check fails t when got differs from the file at path; with update it writes got there first,
// creating the directory, so a new golden file needs no manual step.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run '%s' -update writes it)", err, t.Name())
		return
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
