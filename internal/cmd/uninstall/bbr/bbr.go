// Package bbr is `igwctl uninstall bbr`, the counterpart of `igwctl install bbr`.
package bbr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/charts"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl uninstall bbr` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	DryRun  kube.DryRun
	Wait    bool
	Timeout time.Duration
	Output  cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "bbr",
		Short: "Remove bbr (release bbr) and its gateway glue",
		Long: `Uninstall the Helm release "bbr" from the current namespace (-n): bbr and the gateway glue the
chart added. The gateway then stops calling bbr. When there is no such release it says "nothing to
uninstall" and succeeds (as helm uninstall --ignore-not-found). --dry-run says whether there is
a release to uninstall and removes nothing.`,
		Example: `  igwctl uninstall bbr -n llm --wait

  # Is there a bbr release here to remove?
  igwctl uninstall bbr -n llm --dry-run`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, nil),
	}
	fs := cmd.Flags()
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" and "server" say whether the release is there and remove nothing (Helm cannot have the API server check a deletion); "none" uninstalls`)
	fs.BoolVar(&o.Wait, "wait", false, "wait until bbr's objects are gone")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and --wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Result is what the command did.
type Result struct {
	Release   string      `json:"release"`
	Namespace string      `json:"namespace"`
	Existed   bool        `json:"existed"`
	Kept      string      `json:"kept,omitempty"`
	DryRun    kube.DryRun `json:"dryRun,omitempty"`
}

// WriteText says what was uninstalled and kept, or that there was nothing to uninstall.
func (r *Result) WriteText(w io.Writer) error {
	if !r.Existed {
		_, err := fmt.Fprintf(w, "nothing to uninstall: no release %s in namespace %s\n", r.Release, r.Namespace)
		return err
	}
	fmt.Fprintf(w, "uninstalled release %s/%s%s\n", r.Namespace, r.Release, r.DryRun.Suffix())
	if r.Kept != "" {
		fmt.Fprintf(w, "kept: %s\n", r.Kept)
	}
	return nil
}

// Run uninstalls bbr.
func Run(ctx context.Context, o *Options) error {
	if o.Kube == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	ns, err := o.Kube.Namespace()
	if err != nil {
		return err
	}
	hc, err := helm.New(o.Kube, ns, o.Helm)
	if err != nil {
		return err
	}
	u, err := hc.Uninstall(ctx, charts.BBRRelease, helm.UninstallOptions{Namespace: ns, Wait: o.Wait, Timeout: o.Timeout, IgnoreNotFound: true, DryRun: o.DryRun})
	if err != nil {
		return err
	}
	res := &Result{Release: u.Release, Namespace: u.Namespace, Existed: u.Existed, Kept: u.Kept}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	return cmdutil.Print(o.IO.Out, o.Output, res)
}
