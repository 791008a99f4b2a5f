package helm

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/diagnose"
)

// Each kind is a finding with its own code, so diagnose and -o json can tell them apart.
func TestEveryKindHasACode(t *testing.T) {
	seen := map[diagnose.Code]error{}
	for _, kind := range []error{ErrChartNotFound, ErrVersionNotFound, ErrUnreachable, ErrAccessDenied, ErrBadValues, ErrForbidden,
		ErrMissingAPI, ErrReleaseNotFound, ErrReleaseBusy, ErrClusterDown, ErrNoNamespace, ErrConflict} {
		code := codeOf(kind)
		if code == "" {
			t.Errorf("%v has no code", kind)
		}
		if other, dup := seen[code]; dup {
			t.Errorf("%v and %v share %s", kind, other, code)
		}
		seen[code] = kind
	}
}

// The error text is the finding's message and fix, so printing either says the same.
func TestErrorIsAFinding(t *testing.T) {
	cause := errors.New("x509: certificate signed by unknown authority")
	err := explainFetch(fmt.Errorf("fetching: %w", x509.UnknownAuthorityError{}), "registry", "oci://example.com/charts")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T", err)
	}
	if e.Code != diagnose.ChartSourceUnreachable || e.Severity != diagnose.Error || e.Error() != e.Message+"; "+e.Fix {
		t.Errorf("finding %+v, error %q", e.Finding, e.Error())
	}
	// igwctl has no --ca-file or --insecure-skip-tls-verify: the fix names what works.
	if strings.Contains(e.Fix, "--ca-file") || strings.Contains(e.Fix, "--insecure") || !strings.Contains(e.Fix, "SSL_CERT_FILE") {
		t.Errorf("fix = %q", e.Fix)
	}
	quiet := quietError(ErrForbidden, "denied", "ask", cause)
	if quiet.Error() != "denied; ask" || !errors.Is(quiet, cause) || !errors.Is(quiet, ErrForbidden) {
		t.Errorf("quiet: %q", quiet.Error())
	}
	loud := newError(ErrBadValues, "bad", "", cause)
	if loud.Error() != "bad: "+cause.Error() {
		t.Errorf("loud: %q", loud.Error())
	}
}
