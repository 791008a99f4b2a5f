package helm

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/storage/driver"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/igw-dev/igw/internal/diagnose"
)

// Kinds of *Error, for errors.Is.
var (
	ErrChartNotFound   = errors.New("chart not found")
	ErrVersionNotFound = errors.New("chart version not found")
	ErrUnreachable     = errors.New("chart source unreachable")
	ErrAccessDenied    = errors.New("chart source denied access")
	ErrBadValues       = errors.New("bad values")
	ErrForbidden       = errors.New("forbidden by RBAC")
	ErrMissingAPI      = errors.New("kind not served by the cluster")
	ErrReleaseNotFound = errors.New("release not found")
	ErrReleaseBusy     = errors.New("release has an operation in progress")
	ErrClusterDown     = errors.New("cluster unreachable")
	ErrNoNamespace     = errors.New("namespace does not exist")
	ErrConflict        = errors.New("objects exist outside the release")
)

// Error is a problem the user can act on: a diagnose.Finding (what went wrong, naming the thing,
// and what to do), with a Kind for errors.Is and the underlying error.
type Error struct {
	diagnose.Finding
	Kind error // one of the Err* values above
	Err  error // the underlying error, if any
}

// newError is an *Error whose message is problem followed by err's text, unless problem already
// holds it.
func newError(kind error, problem, fix string, err error) *Error {
	msg := problem
	if err != nil && !strings.Contains(msg, err.Error()) {
		msg += ": " + err.Error()
	}
	return quietError(kind, msg, fix, err)
}

// quietError is an *Error whose problem already says all err says, so err stays out of the
// message.
func quietError(kind error, problem, fix string, err error) *Error {
	return &Error{
		Finding: diagnose.Finding{Code: codeOf(kind), Severity: diagnose.Error, Message: problem, Fix: fix},
		Kind:    kind,
		Err:     err,
	}
}

// codeOf is the finding code of each kind.
func codeOf(kind error) diagnose.Code {
	switch kind {
	case ErrChartNotFound:
		return diagnose.ChartNotFound
	case ErrVersionNotFound:
		return diagnose.ChartVersionNotFound
	case ErrUnreachable:
		return diagnose.ChartSourceUnreachable
	case ErrAccessDenied:
		return diagnose.ChartAccessDenied
	case ErrForbidden:
		return diagnose.Forbidden
	case ErrMissingAPI:
		return diagnose.KindNotServed
	case ErrReleaseNotFound:
		return diagnose.ReleaseNotFound
	case ErrReleaseBusy:
		return diagnose.ReleaseBusy
	case ErrClusterDown:
		return diagnose.ClusterUnreachable
	case ErrNoNamespace:
		return diagnose.NamespaceMissing
	case ErrConflict:
		return diagnose.ObjectConflict
	case ErrBadValues:
		return diagnose.BadValues
	}
	return "" // a kind without a code; TestEveryKindHasACode keeps this unreachable
}

func (e *Error) Error() string {
	if e.Fix == "" {
		return e.Message
	}
	return e.Message + "; " + e.Fix
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrVersionNotFound) and the like work.
func (e *Error) Is(target error) bool { return target != nil && target == e.Kind }

var (
	forbiddenRE = regexp.MustCompile(`(?:(\S+) is forbidden: )?User "([^"]*)" cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?`)
	noKindRE    = regexp.MustCompile(`no matches for kind "([^"]+)" in version "([^"]+)"`)
	noNSRE      = regexp.MustCompile(`namespaces "([^"]+)" not found`)
	conflictRE  = regexp.MustCompile(`(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported into the current release`)
)

// explainCluster turns errors from talking to the cluster into *Error where it can say more than
// Helm does: RBAC denials, kinds the cluster does not serve, busy releases, an unreachable API
// server. Other errors come back wrapped with what was being done.
func explainCluster(err error, doing string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	msg := err.Error()
	if m := forbiddenRE.FindStringSubmatch(msg); m != nil {
		user, verb, resource, group, ns := m[2], m[3], m[4], m[5], m[6]
		gr := resource
		if group != "" {
			gr = resource + "." + group
		}
		where := "cluster-wide"
		if ns != "" {
			where = fmt.Sprintf("in namespace %q", ns)
		}
		fix := fmt.Sprintf("ask a cluster administrator for a Role (or ClusterRole) allowing %q on %q %s for %s", verb, gr, where, user)
		if resource == "secrets" {
			fix += "; Helm keeps release records as Secrets in the release namespace, so installing needs get, list, create, update and delete on secrets there"
		}
		return quietError(ErrForbidden, fmt.Sprintf("%s: the cluster does not allow User %q to %s %s %s", doing, user, verb, gr, where), fix, err)
	}
	if ms := noKindRE.FindAllStringSubmatch(msg, -1); ms != nil {
		var kinds []string
		for _, m := range ms {
			if k := fmt.Sprintf("%s (%s)", m[1], m[2]); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		what := "a " + kinds[0] + ", which this cluster does not serve"
		if len(kinds) > 1 {
			what = strings.Join(kinds, ", ") + ", which this cluster does not serve"
		}
		return quietError(ErrMissingAPI, fmt.Sprintf("%s: the chart renders %s", doing, what), "install the CRDs that define them first (for gateway glue, the gateway provider itself), or switch off the part of the chart that renders them", err)
	}
	if m := noNSRE.FindStringSubmatch(msg); m != nil {
		return quietError(ErrNoNamespace, fmt.Sprintf("%s: namespace %q does not exist", doing, m[1]), fmt.Sprintf("create it first (kubectl create namespace %s)", m[1]), err)
	}
	if m := conflictRE.FindStringSubmatch(msg); m != nil {
		obj := fmt.Sprintf("%s %s/%s", m[1], m[3], m[2])
		if m[3] == "" {
			obj = fmt.Sprintf("%s %s", m[1], m[2])
		}
		return newError(ErrConflict, fmt.Sprintf("%s: %s already exists and does not belong to this release (installed by another tool or release?)", doing, obj), "remove it, or let this release adopt the existing objects (take ownership)", err)
	}
	if strings.Contains(msg, "another operation (install/upgrade/rollback) is in progress") {
		return newError(ErrReleaseBusy, doing+": the release is still marked pending by an earlier install, upgrade or rollback", "wait for it to finish; if it was interrupted, roll back with `helm rollback` or remove it with `helm uninstall`", err)
	}
	if strings.Contains(msg, "Kubernetes cluster unreachable") {
		return newError(ErrClusterDown, doing+": cannot reach the Kubernetes API server", "check the kubeconfig, --context and that the cluster is up", err)
	}
	if strings.Contains(msg, "values don't meet the specifications of the schema") {
		return newError(ErrBadValues, doing+": the values do not match the chart's schema", "fix the values named above (the chart's values.yaml describes each)", schemaError{err})
	}
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return newError(ErrReleaseNotFound, doing+": no such release", "", err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

var pointerRE = regexp.MustCompile(`at '(/[^']*)?'`)

// schemaError rewrites the JSON pointers of schema violations ("at '/provider/name'") as the
// dotted paths --set takes ("provider.name").
type schemaError struct{ err error }

func (e schemaError) Unwrap() error { return e.err }

func (e schemaError) Error() string {
	return pointerRE.ReplaceAllStringFunc(e.err.Error(), func(m string) string {
		ptr := pointerRE.FindStringSubmatch(m)[1]
		if ptr == "" || ptr == "/" {
			return "at the top level"
		}
		var b strings.Builder
		for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
			if _, err := strconv.Atoi(part); err == nil {
				fmt.Fprintf(&b, "[%s]", part)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(part)
		}
		return b.String()
	})
}

// explainFetch turns an error from a registry or chart repository into an *Error naming the URL.
func explainFetch(err error, what, url string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	msg := err.Error()
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case 401, 403:
			return newError(ErrAccessDenied, fmt.Sprintf("%s refused access to %s (HTTP %d)", what, url, resp.StatusCode), "log in with `helm registry login HOST` (igwctl reads the credentials Helm stores), or check that your account may pull it", err)
		case 404:
			return newError(ErrChartNotFound, fmt.Sprintf("no chart at %s", url), "check the reference: registry host, path and chart name (e.g. oci://ghcr.io/org/charts/NAME)", err)
		}
	}
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return newError(ErrUnreachable, fmt.Sprintf("%s %s speaks plain HTTP, not HTTPS", what, url), "if you trust it, allow plain HTTP for it (--plain-http)", err)
	case errors.As(err, &certErr), errors.As(err, &hostErr), strings.Contains(msg, "x509:"), strings.Contains(msg, "tls:"):
		return newError(ErrUnreachable, fmt.Sprintf("cannot verify the TLS certificate of %s %s", what, url), "trust the CA that signed it by adding it to the system's certificates (on Linux, SSL_CERT_FILE=FILE also works), or use a mirror whose certificate verifies (--chart-repo)", err)
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &netErr) ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "i/o timeout") {
		return newError(ErrUnreachable, fmt.Sprintf("cannot reach %s %s", what, url), "check the address and your network (a proxy is taken from HTTPS_PROXY/NO_PROXY)", err)
	}
	return fmt.Errorf("%s %s: %w", what, url, err)
}
