package conformance

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	conf "github.com/igw-dev/igw/internal/conformance"
	"github.com/igw-dev/igw/internal/kube"
)

// Run runs the suite (or lists it), prints the outcome, writes the report, and returns the exit
// status as an error: nil when every check run passed.
func Run(ctx context.Context, o *Options) error {
	if o.List {
		return cannot(cmdutil.Print(o.IO.Out, o.Output, listing(o.checks)))
	}
	if o.DryRun == kube.DryRunClient {
		return cannot(printBase(o.IO.Out, conf.Base(o.GatewayClass, o.Images)))
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return cannot(err)
	}
	cfg := conf.Config{GatewayClass: o.GatewayClass, Images: o.Images, Timeouts: o.timeouts, Cleanup: o.Cleanup,
		Skip: o.skipped(), Implementation: o.Implementation, Mode: o.Mode}
	suite := conf.New(cfg, dyn, o.HTTP, o.IO.ErrOut)
	if o.DryRun == kube.DryRunServer {
		lines, err := suite.DryRunBase(ctx)
		for _, l := range lines {
			fmt.Fprintln(o.IO.Out, l)
		}
		return cannot(err)
	}
	versions, err := suite.ReadVersions(ctx)
	if err != nil {
		return cannot(err)
	}
	fmt.Fprintf(o.IO.ErrOut, "Inference extension %s, Gateway API %s (%s); GatewayClass %s.\n", versions.Inference, versions.GatewayAPI, versions.GatewayAPIChannel, o.GatewayClass)
	results, err := suite.Run(ctx, conf.Checks())
	if err != nil {
		return cannot(err)
	}
	out := &outcome{Checks: results, Report: conf.BuildReport(cfg, versions, results, time.Now())}
	if o.ReportOutput != "" {
		b, err := yaml.Marshal(out.Report)
		if err != nil {
			return cannot(err)
		}
		if err := os.WriteFile(o.ReportOutput, b, 0o644); err != nil {
			return cannot(fmt.Errorf("writing the report: %w", err))
		}
		fmt.Fprintf(o.IO.ErrOut, "Report written to %s.\n", o.ReportOutput)
	}
	if err := cmdutil.Print(o.IO.Out, o.Output, out); err != nil {
		return cannot(err)
	}
	if out.Report.ProfileReports[0].Core.Failed > 0 {
		return &cmdutil.ExitError{Code: exitFailed}
	}
	return nil
}

// printBase writes the base as YAML documents, as kubectl apply would take them.
func printBase(w io.Writer, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}

// outcome is what a run prints: each check's result and the report.
type outcome struct {
	Checks []conf.CheckResult `json:"checks"`
	Report conf.Report        `json:"report"`
}

func (r *outcome) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range r.Checks {
		elapsed := ""
		if c.Outcome != conf.Skipped {
			elapsed = c.Elapsed.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.ToUpper(string(c.Outcome)), c.Name, elapsed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p := r.Report.ProfileReports[0]
	_, err := fmt.Fprintf(w, "Profile %s: %s (%d passed, %d failed, %d skipped). %s\n", p.Name, p.Core.Result,
		p.Core.Passed, p.Core.Failed, p.Core.Skipped, p.Summary)
	return err
}

// listing is --list: the checks and what each needs.
type listing []conf.Check

func (l listing) MarshalJSON() ([]byte, error) { return jsonChecks(l) }

func (l listing) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tNEEDS\tWHAT IT CHECKS")
	for _, c := range l {
		desc := c.Description
		if c.Differs != "" {
			desc += " (differs from upstream: " + c.Differs + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Needs, desc)
	}
	return tw.Flush()
}
