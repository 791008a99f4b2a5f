package conformance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
)

// Needs says what a check asks of the implementation: only statuses, or traffic through the
// Gateways too.
type Needs string

const (
	Status        Needs = "status"
	StatusTraffic Needs = "status, traffic"
	Traffic       Needs = "traffic"
)

// Check is one conformance check, named as upstream names its test.
type Check struct {
	Name        string
	Description string
	Needs       Needs
	// Differs, when not empty, says how this check deliberately differs from upstream's.
	Differs string
	Run     func(ctx context.Context, s *Suite) error
}

// Config is what a run is asked to do.
type Config struct {
	GatewayClass string
	Images       Images
	Timeouts     Timeouts
	// Cleanup deletes the base after the run, as upstream's -cleanup-base-resources.
	Cleanup bool
	// Skip names checks not to run; they count as skipped in the report.
	Skip           []string
	Implementation confv1.Implementation
	Mode           string
}

// Suite is one run against a cluster.
type Suite struct {
	cfg  Config
	dyn  dynamic.Interface
	http *http.Client
	log  io.Writer

	controllerName string
	// addrs holds each Gateway's host:port for traffic.
	addrs map[string]string
	base  []*unstructured.Unstructured
	// owned holds the objects the running check applied, deleted when it ends.
	owned []*unstructured.Unstructured
}

// New returns a suite that reads and writes the cluster through dyn, sends traffic with client
// (nil: one without proxies, bounded by RequestTimeout) and writes progress to log.
func New(cfg Config, dyn dynamic.Interface, client *http.Client, log io.Writer) *Suite {
	if client == nil {
		client = &http.Client{
			Timeout:   cfg.Timeouts.RequestTimeout,
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
			// The checks look at what the Gateway itself answers.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Suite{cfg: cfg, dyn: dyn, http: client, log: log, addrs: map[string]string{}}
}

// Outcome is how one check ended.
type Outcome string

const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// CheckResult is one check's outcome.
type CheckResult struct {
	Name    string        `json:"name"`
	Outcome Outcome       `json:"outcome"`
	Elapsed time.Duration `json:"elapsed"`
	// Error is what a failed check saw against what it expected, and the objects to look at.
	Error string `json:"error,omitempty"`
}

// Run sets up the base, runs checks (those named in Skip are skipped), and cleans up unless told
// not to. An error means the run itself could not go on (setup failed, the context ended); a
// failed check is a result.
func (s *Suite) Run(ctx context.Context, checks []Check) (results []CheckResult, err error) {
	if err := s.setUp(ctx); err != nil {
		if s.cfg.Cleanup {
			err = joinCleanup(err, s.remove(context.WithoutCancel(ctx), s.base))
		}
		return nil, err
	}
	defer func() {
		if s.cfg.Cleanup {
			fmt.Fprintln(s.log, "Cleaning up the base.")
			err = joinCleanup(err, s.remove(context.WithoutCancel(ctx), s.base))
		} else {
			fmt.Fprintf(s.log, "Leaving the base in namespaces %s and %s (--cleanup=false).\n", InfraNamespace, AppNamespace)
		}
	}()
	for _, c := range checks {
		if slices.Contains(s.cfg.Skip, c.Name) {
			fmt.Fprintf(s.log, "--- SKIP %s\n", c.Name)
			results = append(results, CheckResult{Name: c.Name, Outcome: Skipped})
			continue
		}
		r := s.runOne(ctx, c)
		results = append(results, r)
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
	}
	return results, nil
}

func joinCleanup(err, cleanupErr error) error {
	if cleanupErr == nil {
		return err
	}
	if err == nil {
		return cleanupErr
	}
	return fmt.Errorf("%w; %v", err, cleanupErr)
}

func (s *Suite) runOne(ctx context.Context, c Check) CheckResult {
	fmt.Fprintf(s.log, "=== RUN  %s (%s)\n", c.Name, c.Needs)
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeouts.DefaultTestTimeout)
	s.owned = nil
	err := c.Run(cctx, s)
	cancel()
	if cerr := s.remove(context.WithoutCancel(ctx), s.owned); cerr != nil && err == nil {
		err = cerr
	}
	s.owned = nil
	r := CheckResult{Name: c.Name, Outcome: Passed, Elapsed: time.Since(start).Round(time.Millisecond)}
	if err != nil {
		r.Outcome, r.Error = Failed, err.Error()
		fmt.Fprintf(s.log, "--- FAIL %s (%s)\n%s\n", c.Name, r.Elapsed, indent(r.Error))
		return r
	}
	fmt.Fprintf(s.log, "--- PASS %s (%s)\n", c.Name, r.Elapsed)
	return r
}

// use applies a check's own objects; they are deleted when the check ends.
func (s *Suite) use(ctx context.Context, objs ...*unstructured.Unstructured) error {
	return s.apply(ctx, &s.owned, objs...)
}

func indent(s string) string {
	out := "    "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "    "
		}
	}
	return out
}
