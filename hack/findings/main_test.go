package main

import (
	"bytes"
	"os"
	"testing"
)

// docs/findings.md is what the analyzers say about themselves today: a new code, a changed
// message or fix, or a new corpus case must come with the regenerated file.
func TestDocIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := render()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v; run make generate", err)
	}
	if !bytes.Equal(have, want) {
		t.Errorf("%s is stale; run make generate (go run ./hack/findings)", docPath)
	}
}
