package diagnose

import (
	"context"
	"fmt"
	"slices"

	"github.com/igw-dev/igw/internal/cmdutil"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// Run gathers the snapshot, runs every analyzer, prints what is not suppressed, and returns the
// exit status as an error: nil when nothing fails.
func Run(ctx context.Context, o *Options) error {
	gather := o.Gather
	switch {
	case gather != nil:
	case o.live():
		gather = GatherLive
	default:
		gather = GatherFiles
	}
	snap, what, err := gather(ctx, o)
	if err != nil {
		return cannot(err)
	}
	all := diag.Analyze(snap, diag.Analyzers()...)
	shown := slices.DeleteFunc(slices.Clone(all), func(f diag.Finding) bool {
		return slices.ContainsFunc(o.Suppressions, func(s Suppression) bool { return s.Matches(f) })
	})
	if shown == nil {
		shown = diag.Findings{}
	}
	fmt.Fprintf(o.IO.ErrOut, "Analyzed %s with %d analyzers: %s.\n", what, len(diag.Checks()), summary(shown, len(all)-len(shown)))
	if err := printFindings(o, shown); err != nil {
		return cannot(err)
	}
	return exitFor(shown, o.FailOn)
}

// GatherFiles reads the snapshot from -f, offline.
func GatherFiles(_ context.Context, o *Options) (*diag.Snapshot, string, error) {
	objs, err := manifest.Load(manifest.Options{Paths: o.Files, Recursive: o.Recursive, Stdin: o.IO.In})
	if err != nil {
		return nil, "", err
	}
	snap := diag.FromManifests(objs, o.Namespace)
	return snap, plural(len(snap.Objects), "object") + " from files (offline)", nil
}

func printFindings(o *Options, fs diag.Findings) error {
	return cmdutil.Print(o.IO.Out, o.Output, fs)
}

// exitFor is the exit status the findings call for.
func exitFor(fs diag.Findings, failOn FailOn) error {
	switch {
	case fs.Has(diag.Error):
		return &cmdutil.ExitError{Code: exitErrors}
	case failOn == FailOnWarning && fs.Has(diag.Warning):
		return &cmdutil.ExitError{Code: exitWarnings}
	}
	return nil
}

func summary(fs diag.Findings, suppressed int) string {
	count := map[diag.Severity]int{}
	for _, f := range fs {
		count[f.Severity]++
	}
	s := fmt.Sprintf("%s, %s, %s", plural(count[diag.Error], "error"), plural(count[diag.Warning], "warning"), plural(count[diag.Info], "info"))
	if suppressed > 0 {
		s += fmt.Sprintf(" (%d suppressed)", suppressed)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 || word == "info" {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
