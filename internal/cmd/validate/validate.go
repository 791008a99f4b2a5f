// Package validate is `igwctl validate`.
package validate

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/config"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/validate"
)

// Options are the flags of `igwctl validate` and what the command is given. It has no cluster
// connection on purpose: validate works without a kubeconfig.
type Options struct {
	IO         *cmdutil.IOStreams
	Files      []string
	Recursive  bool
	GatewayAPI validate.Channel
	Output     cmdutil.Format
	// Analyze finds what no single object's schema can show, across all the loaded objects.
	// NewCmd sets it to Analyzers; nil runs the schema checks alone.
	Analyze func(objs []manifest.Object) diagnose.Findings
}

// Analyzers checks what no single object's schema can show, across the loaded objects: the
// offline analyzers of `igwctl diagnose` (a route to a pool that is not in the files, a pool
// whose picker Service lacks the port, ...).
func Analyzers(objs []manifest.Object) diagnose.Findings {
	return diagnose.Analyze(diagnose.FromManifests(objs, ""), diagnose.Analyzers()...)
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, GatewayAPI: validate.Standard, Analyze: Analyzers}
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR|- [-R]",
		Short: "Check manifests offline against the InferencePool, InferenceObjective and Gateway API schemas",
		Long: fmt.Sprintf(`Check Kubernetes manifests without a cluster, the way the API server checks them when
they are created: unknown and misspelt fields (refused as with kubectl --validate=strict, its
default), the OpenAPI schema, the CEL rules (x-kubernetes-validations) and the metadata rules,
with the API server's own libraries and messages, against the CRDs built into igwctl:

  InferencePool       inference.networking.k8s.io/v1 and the legacy
                      inference.networking.x-k8s.io/v1alpha2
  InferenceObjective  llm-d.ai/v1alpha2 and inference.networking.x-k8s.io/v1alpha2
  Gateway API         %s, the channel --gateway-api names: Gateway, GatewayClass,
                      HTTPRoute, GRPCRoute, ReferenceGrant, ListenerSet and the rest

Built-in kinds (Service, Deployment, ConfigMap, ...) are read but not checked; kinds of other
groups are reported as not checked. No kubeconfig is read and no cluster is contacted.

Each problem is one line: severity, code, the object with its file and document, the API
server's message and the fix. Exit status 1 when there is any error, 0 otherwise (warnings and
notes included); a file that cannot be read is an error too.`, config.GatewayAPIVersion()),
		Example: `  # A file, a directory with its subdirectories, or standard input
  igwctl validate -f pool.yaml
  igwctl validate -f manifests/ -R
  helm template charts/my-model | igwctl validate -f -

  # Routes that use fields of Gateway API's experimental channel
  igwctl validate -f routes.yaml --gateway-api experimental

  # The findings as JSON, for scripts
  igwctl validate -f pool.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(*cobra.Command, []string) error {
			if len(o.Files) == 0 {
				return errors.New("no files given; name them with -f FILE, -f DIR or -f - for standard input")
			}
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.StringSliceVarP(&o.Files, "filename", "f", nil, "files or directories of manifests to check, - for standard input (repeatable)")
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "read the directories of -f recursively")
	fs.Var(cmdutil.Enum(&o.GatewayAPI, validate.Channels()...), "gateway-api", "Gateway API channel to check against: standard or experimental")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Run loads the manifests, checks them and prints the findings. Its error, when the findings
// hold an error, says how many, so the exit status is 1.
func Run(ctx context.Context, o *Options) error {
	objs, err := manifest.Load(manifest.Options{Paths: o.Files, Recursive: o.Recursive, Stdin: o.IO.In})
	if err != nil {
		return err
	}
	v, err := validate.New(validate.Options{GatewayAPI: o.GatewayAPI})
	if err != nil {
		return err
	}
	findings := v.Findings(ctx, objs)
	if err := ctx.Err(); err != nil {
		return err
	}
	withLegacyFixes(findings, objs)
	if o.Analyze != nil {
		findings = append(findings, aboutValidObjects(o.Analyze(objs), findings)...)
	}
	findings.Sort()
	if err := cmdutil.Print(o.IO.Out, o.Output, findings); err != nil {
		return err
	}
	return summary(findings, len(objs))
}

// aboutValidObjects drops the cross-object findings about objects the schema already refuses:
// the apiserver would not store them, and what an analyzer reads of them (a v1 pool spelled the
// alpha way "has no endpointPickerRef") only repeats the schema error in other words.
func aboutValidObjects(analysis, schema diagnose.Findings) diagnose.Findings {
	// The analyzers put namespace-less objects in "default"; the schema findings leave the
	// namespace as written, so objects are matched by source, kind and name.
	key := func(f diagnose.Finding) string { return f.Source + "|" + f.Object.Kind + "|" + f.Object.Name }
	invalid := map[string]bool{}
	for _, f := range schema {
		if f.Severity == diagnose.Error {
			invalid[key(f)] = true
		}
	}
	var out diagnose.Findings
	for _, f := range analysis {
		if f.Source == "" || !invalid[key(f)] {
			out = append(out, f)
		}
	}
	return out
}

// summary is nil without errors, else how many errors in how many of the objects.
func summary(fs diagnose.Findings, objects int) error {
	errs, bad := 0, map[string]bool{}
	for _, f := range fs {
		if f.Severity == diagnose.Error {
			errs++
			bad[f.Source+"|"+f.Object.String()] = true
		}
	}
	if errs == 0 {
		return nil
	}
	return fmt.Errorf("validate found %d %s in %d of %d objects", errs, plural(errs, "error"), len(bad), objects)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
