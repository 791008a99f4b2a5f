// Package conformance is `igwctl conformance`: the Gateway API Inference Extension's "Gateway"
// conformance profile run against the cluster's implementation of a GatewayClass, with a report
// in the shape upstream projects submit (internal/conformance does the work).
package conformance

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/spf13/cobra"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/igw-dev/igw/internal/cmdutil"
	conf "github.com/igw-dev/igw/internal/conformance"
	"github.com/igw-dev/igw/internal/kube"
)

// Exit statuses, as verify and diagnose have them.
const (
	exitFailed = 1 // a check failed
	exitCannot = 3 // the suite could not run (a bad command line, the cluster unreachable, setup failed)
)

// Options are the flags of `igwctl conformance` and what the command is given.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format
	Kube   kube.Factory

	GatewayClass   string
	RunTests       []string
	SkipTests      []string
	ReportOutput   string
	Implementation confv1.Implementation
	Mode           string
	Cleanup        bool
	TimeoutConfig  []string
	Images         conf.Images
	List           bool
	DryRun         kube.DryRun

	// HTTP sends the checks' traffic; nil uses a plain client. Tests point it at a stand-in.
	HTTP *http.Client

	// checks and timeouts are what the flags select, filled before any cluster call.
	checks   []conf.Check
	timeouts conf.Timeouts
}

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Cleanup: true, Mode: "default",
		Images: conf.Images{Echo: conf.DefaultEchoImage, Picker: conf.DefaultPickerImage}}
	cmd := &cobra.Command{
		Use:   "conformance --gateway-class NAME",
		Short: "Run the inference extension's conformance checks against a GatewayClass and write the report",
		Long: `Run the checks of the Gateway API Inference Extension's "Gateway" conformance profile against
the implementation behind a GatewayClass on the live cluster, as the upstream suite does, without
cloning it or building Go tests, and write a ConformanceReport in the shape upstream projects
submit.

The run sets up the upstream suite's base: namespaces inference-conformance-infra and
inference-conformance-app-backend, Gateways conformance-primary and conformance-secondary of the
class, echo servers standing in for model servers, five InferencePools each with the test
endpoint picker, and the picker's RBAC (applied server-side as igwctl). It waits as upstream
waits (the GatewayClass accepted, every Gateway accepted and programmed with an address, every pod
Ready), then runs each check under upstream's name with its assertions and timeouts. Progress
goes to stderr, one line per check with its time and result; a failed check says what it saw
against what it expected and which objects to look at. The base is deleted afterwards unless
--cleanup=false.

The traffic checks send requests to each Gateway's address on port 80 from this machine, so the
address must be reachable from here. The images come from the upstream registries; --image-echo
and --image-picker take mirrors. --timeout-config KEY=DURATION changes a wait (keys as in
upstream's TimeoutConfig; a bad key lists the known ones).

Exit status: 0 when every check run passed, 1 when one failed, 3 when the suite could not run.`,
		Example: `  # Every check, with the report upstream asks for
  igwctl conformance --gateway-class istio --report-output report.yaml \
    --organization istio --project istio --url https://istio.io --version 1.29.0 --contact @istio/maintainers

  # The checks and what each needs
  igwctl conformance --list

  # Two checks, leaving the base in place to look at, with shorter waits
  igwctl conformance --gateway-class istio --run-test InferencePoolAccepted,EppUnAvailableFailOpen \
    --cleanup=false --timeout-config MaxTimeToConsistency=60s`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(*cobra.Command, []string) error { return cannot(o.prepare()) }),
	}
	cmdutil.UsageCode(exitCannot, cmd)
	fs := cmd.Flags()
	fs.StringVar(&o.GatewayClass, "gateway-class", "", "the GatewayClass whose implementation is checked (required)")
	fs.StringSliceVar(&o.RunTests, "run-test", nil, "run only these checks (comma-separated names); the others count as skipped")
	fs.StringSliceVar(&o.SkipTests, "skip-tests", nil, "skip these checks (comma-separated names)")
	fs.StringVar(&o.ReportOutput, "report-output", "", "write the ConformanceReport (YAML) to this file; needs --organization, --project, --url, --version and --contact")
	fs.StringVar(&o.Implementation.Organization, "organization", "", "the implementation's organization, for the report")
	fs.StringVar(&o.Implementation.Project, "project", "", "the implementation's project, for the report")
	fs.StringVar(&o.Implementation.URL, "url", "", "the implementation's URL, for the report")
	fs.StringVar(&o.Implementation.Version, "version", "", "the implementation's version, for the report")
	fs.StringSliceVar(&o.Implementation.Contact, "contact", nil, "the implementation's contacts (comma-separated), for the report")
	fs.StringVar(&o.Mode, "mode", o.Mode, "the implementation's mode, for the report")
	fs.BoolVar(&o.Cleanup, "cleanup", o.Cleanup, "delete the base (namespaces, Gateways, pools, pickers) after the run")
	fs.StringSliceVar(&o.TimeoutConfig, "timeout-config", nil, "change waits: KEY=DURATION,... (e.g. MaxTimeToConsistency=60s)")
	fs.StringVar(&o.Images.Echo, "image-echo", o.Images.Echo, "the echo server image the model server Deployments run")
	fs.StringVar(&o.Images.Picker, "image-picker", o.Images.Picker, "the test endpoint picker image")
	fs.BoolVar(&o.List, "list", false, "print the checks and what each needs, and run nothing")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" prints the base the run would create (YAML) and runs no check; "server" has the API server check it without creating it; "none" runs the suite`)
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// cannot marks err as "the suite could not run" (exit 3).
func cannot(err error) error { return cmdutil.WithCode(exitCannot, err) }

// prepare checks every flag before any cluster call: check names, timeout keys, the report's
// implementation fields.
func (o *Options) prepare() error {
	checks, err := conf.Select(o.RunTests, o.SkipTests)
	if err != nil {
		return err
	}
	o.checks = checks
	o.timeouts = conf.DefaultTimeouts()
	for _, kv := range o.TimeoutConfig {
		if err := o.timeouts.Set(kv); err != nil {
			return fmt.Errorf("--timeout-config: %w", err)
		}
	}
	if o.List {
		return nil
	}
	if o.GatewayClass == "" {
		return fmt.Errorf("--gateway-class is required: the GatewayClass whose implementation to check (kubectl get gatewayclasses)")
	}
	if o.ReportOutput != "" {
		if err := o.Implementation.Validate(); err != nil {
			return fmt.Errorf("--report-output: %w; set --organization, --project, --url, --version and --contact", err)
		}
	}
	return nil
}

// skipped are the checks the flags leave out: --skip-tests, and with --run-test every other.
func (o *Options) skipped() []string {
	skip := slices.Clone(o.SkipTests)
	for _, name := range conf.CheckNames() {
		if !slices.ContainsFunc(o.checks, func(c conf.Check) bool { return c.Name == name }) {
			skip = append(skip, name)
		}
	}
	return skip
}
