// Package diagnose is `igwctl diagnose`: every analyzer over a snapshot of objects, printed as
// istioctl analyze prints its messages. The snapshot is read from the cluster (one LIST per kind),
// from files (-f, offline), or both (files over the cluster, as kubectl apply would leave it).
package diagnose

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/kube"
)

// Exit statuses, as istioctl analyze and scripts expect them.
const (
	exitErrors   = 1 // an Error finding
	exitWarnings = 2 // a Warning finding, with --fail-on warning
	exitCannot   = 3 // the analysis could not run (unreadable input, the cluster unreachable, a bad command line)
)

// FailOn is the least severity that makes diagnose exit non-zero.
type FailOn string

// The values of --fail-on.
const (
	FailOnError   FailOn = "error"
	FailOnWarning FailOn = "warning"
)

// Gatherer reads the snapshot the analyzers look at: objects from files, from a cluster, or
// both. It is the only part of diagnose that does I/O.
type Gatherer func(ctx context.Context, o *Options) (*diag.Snapshot, string, error)

// Options are the flags of `igwctl diagnose` and what the command is given.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format

	// Files and Recursive are -f and -R.
	Files     []string
	Recursive bool
	// Namespace is -n: the namespace to read, and where file objects that name none go, as
	// with kubectl apply -f.
	Namespace string
	// AllNamespaces is -A; Cluster is --cluster, reading the cluster as well as the files.
	AllNamespaces bool
	Cluster       bool
	// Kube is the cluster connection.
	Kube kube.Factory
	// Suppress are the --suppress values; Suppressions their parsed form.
	Suppress     []string
	Suppressions []Suppression
	FailOn       FailOn

	// Gather reads the snapshot; nil reads the cluster, Files, or both.
	Gather Gatherer
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, FailOn: FailOnError, Kube: f.Kube}
	cmd := &cobra.Command{
		Use:   "diagnose [-n NAMESPACE | -A] [-f FILE|DIR|- [--cluster]]",
		Short: "Find misconfigurations of inference gateways, pools, routes, objectives and bbr",
		Long: `Run every analyzer over the objects of the cluster, or of the given files, and print each
problem found as a finding, the way istioctl analyze does: severity, a stable code (IGW1001),
the object and where it was written, a one-line message and the fix. docs/findings.md lists
every code.

The analyzers follow a request's path: Gateway and GatewayClass, the HTTPRoutes to each
InferencePool, the pool's pods and target ports, its endpoint picker (Service, Deployment,
flags, failureMode), InferenceObjectives, body based routing (the header a route matches, the
body router in front of the Gateway, adapter ConfigMaps), CRD versions and each provider's
inference switch, read from its controller's Deployment.

Without -f, diagnose reads the cluster: the namespace of -n (or of the kubeconfig context), or
every namespace with -A, and in all namespaces what objects anywhere refer to (Gateways,
GatewayClasses, ReferenceGrants, CRDs, the providers' controllers), with one LIST per kind. A
kind it may not list (RBAC) is named on stderr, and no finding claims its objects are missing.

With -f, the files are read as kubectl apply -f reads them (-R for subdirectories, - for
stdin), offline: an object missing from the files may exist in the cluster, so checks that
need to know something is absent run only when the files hold objects of that kind. Objects
saved with kubectl get -o yaml bring their status, and the status checks read it. Add
--cluster (or -A) to diagnose the files over the cluster, as applying them would leave it: an
object in the files replaces the cluster's object of the same kind, namespace and name, status
and all (no controller has judged the new spec yet).

Exit status: 0 when nothing fails, 1 when there is an Error finding, 2 when there is a
Warning finding and --fail-on is warning, 3 when the analysis could not run.`,
		Example: `  # The current namespace of the cluster, then every namespace
  igwctl diagnose
  igwctl diagnose -A

  # Everything an install renders, before applying it: offline, then over the cluster
  igwctl diagnose -f manifests/ -R
  igwctl diagnose -n llm -f manifests/ -R --cluster

  # Fail a CI job on warnings too, except one accepted finding
  igwctl diagnose -f deploy/ --fail-on warning --suppress IGW1108=InferencePool/default/canary

  # Findings as JSON
  igwctl diagnose -f deploy/ -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			return cannot(o.prepare(cmd))
		}),
	}
	cmdutil.UsageCode(exitCannot, cmd)
	fs := cmd.Flags()
	fs.StringSliceVarP(&o.Files, "filename", "f", nil, "files or directories of objects to diagnose, - for standard input (repeatable)")
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "read the directories given with -f recursively")
	fs.BoolVar(&o.Cluster, "cluster", false, "with -f, read the cluster too and diagnose the files over it, as kubectl apply would leave it")
	cmdutil.AddAllNamespacesFlag(fs, &o.AllNamespaces)
	fs.StringArrayVar(&o.Suppress, "suppress", nil, "leave out findings of CODE on objects matching Kind/namespace/name (Kind/name for cluster-scoped; * matches any part), e.g. IGW1108=InferencePool/default/*")
	fs.Var(cmdutil.Enum(&o.FailOn, FailOnError, FailOnWarning), "fail-on", "least severity that fails: error (exit 1) or warning (also exit 2 on warnings)")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// cannot marks err as "the analysis could not run" (exit 3).
func cannot(err error) error { return cmdutil.WithCode(exitCannot, err) }

// prepare checks what the flags alone cannot: --cluster needs files, and the --suppress values.
func (o *Options) prepare(cmd *cobra.Command) error {
	if o.Cluster && len(o.Files) == 0 {
		return fmt.Errorf("--cluster adds the cluster to the files of -f, and no files are given; without -f, diagnose reads the cluster anyway")
	}
	if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
		o.Namespace = ns.Value.String()
	}
	o.Suppressions = nil
	for _, s := range o.Suppress {
		sup, err := ParseSuppression(s)
		if err != nil {
			return err
		}
		o.Suppressions = append(o.Suppressions, sup)
	}
	return nil
}

// Suppression leaves out the findings of one code on the objects a pattern matches.
type Suppression struct {
	Code diag.Code
	// Pattern matches "Kind/namespace/name" (or "Kind/name") with path.Match: * is any part.
	Pattern string
}

var codeForm = regexp.MustCompile(`^IGW\d{4}$`)

// ParseSuppression reads CODE=Kind/namespace/name; CODE=* (or CODE alone) suppresses the code on
// every object.
func ParseSuppression(s string) (Suppression, error) {
	code, pattern, found := strings.Cut(s, "=")
	code = strings.ToUpper(strings.TrimSpace(code))
	if !found {
		pattern = "*"
	}
	if !codeForm.MatchString(code) {
		return Suppression{}, fmt.Errorf("--suppress %q: the code must be IGW and four digits, e.g. IGW1108=InferencePool/default/canary", s)
	}
	pattern = strings.TrimSpace(pattern)
	if _, err := path.Match(pattern, ""); err != nil || pattern == "" {
		return Suppression{}, fmt.Errorf("--suppress %q: %q is not a Kind/namespace/name pattern", s, pattern)
	}
	return Suppression{Code: diag.Code(code), Pattern: pattern}, nil
}

// Matches reports whether the suppression leaves out f.
func (s Suppression) Matches(f diag.Finding) bool {
	if f.Code != s.Code {
		return false
	}
	if s.Pattern == "*" {
		return true
	}
	obj := f.Object.Kind + "/" + f.Object.Name
	if f.Object.Namespace != "" {
		obj = f.Object.Kind + "/" + f.Object.Namespace + "/" + f.Object.Name
	}
	ok, _ := path.Match(s.Pattern, obj)
	return ok
}
