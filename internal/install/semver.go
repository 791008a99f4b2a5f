package install

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// ValidateVersion accepts release tags as upstream writes them: "v" and a full semantic version
// (v1.6.0, v1.7.0-rc.1). The "v" is required because the tag, not the version, names the
// download URL.
func ValidateVersion(v string) error {
	if !strings.HasPrefix(v, "v") {
		return fmt.Errorf("%q is not a release tag like v1.6.0 (missing the leading v)", v)
	}
	if _, err := version.ParseSemantic(v); err != nil {
		return fmt.Errorf("%q is not a release tag like v1.6.0: %v", v, err)
	}
	return nil
}

// CompareVersions compares two bundle versions by semantic-version precedence (v1.10.0 is newer
// than v1.9.0; v1.7.0-rc.1 is older than v1.7.0; build metadata is ignored). It returns -1, 0 or
// +1, or an error naming the version that does not parse.
func CompareVersions(a, b string) (int, error) {
	va, err := version.ParseSemantic(a)
	if err != nil {
		return 0, fmt.Errorf("version %q: %v", a, err)
	}
	vb, err := version.ParseSemantic(b)
	if err != nil {
		return 0, fmt.Errorf("version %q: %v", b, err)
	}
	switch {
	case va.LessThan(vb):
		return -1, nil
	case va.GreaterThan(vb):
		return 1, nil
	}
	return 0, nil
}
