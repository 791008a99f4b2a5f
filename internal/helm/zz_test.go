package helm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestZZNoHomeState runs last (its file sorts last): nothing wrote to Helm's or Docker's default directories.
func TestZZNoHomeState(t *testing.T) {
	if _, err := os.Stat(guardDir); !os.IsNotExist(err) {
		entries, _ := filepath.Glob(filepath.Join(guardDir, "*", "*"))
		t.Fatalf("something wrote under the $HELM_*/$DOCKER_CONFIG stand-in %s: %v", guardDir, entries)
	}
}
