package api_test

import (
	"bytes"
	"crypto/sha256"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesUpToDate re-runs the generator (controller-gen and the Gateway API copy) into a
// scratch directory and compares the result with the committed files, without writing to the tree.
func TestGeneratedFilesUpToDate(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, root)

	cmd := exec.Command("bash", "hack/generate.sh", "-check")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("generated files differ from what hack/generate.sh produces (%v); run hack/generate.sh\n%s", err, out.String())
	}
	t.Log(strings.TrimSpace(out.String()))

	if after := treeDigest(t, root); after != before {
		t.Error("hack/generate.sh -check modified the work tree")
	}
}

// treeDigest hashes the paths and contents of the directories the generator owns.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	for _, dir := range []string{"api", "config"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write([]byte(path + "\x00"))
			h.Write(data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return string(h.Sum(nil))
}
