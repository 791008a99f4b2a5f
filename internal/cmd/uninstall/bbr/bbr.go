// Package bbr is `igwctl uninstall bbr`, the counterpart of `igwctl install bbr`.
package bbr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	installbbr "github.com/igw-dev/igw/internal/cmd/install/bbr"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl uninstall bbr` and what the command is given.
type Options struct {
	IO       cmdutil.IOStreams
	Factory  kube.Factory
	Settings *helm.Settings

	Wait    bool
	Timeout time.Duration
	Output  install.Output
}

// NewCmd returns the command; run, when not nil, replaces Run.
func NewCmd(io cmdutil.IOStreams, f kube.Factory, run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: io, Factory: f, Timeout: 5 * time.Minute, Output: install.OutputText}
	cmd := &cobra.Command{
		Use:   "bbr",
		Short: "Remove bbr (release bbr) and its gateway glue",
		Long: `Uninstall the Helm release "bbr" from the current namespace (-n): bbr and the gateway glue the
chart added. The gateway then stops calling bbr. When there is no such release it says "nothing to
uninstall" and succeeds (as helm uninstall --ignore-not-found).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Timeout <= 0 {
				return fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if run != nil {
				return run(ctx, o)
			}
			return Run(ctx, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.Wait, "wait", false, "wait until bbr's objects are gone")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and --wait may take")
	fs.VarP(o.Output.Value(), "output", "o", "output format: text, json or yaml")
	return cmd
}

// Result is what the command did.
type Result struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	Existed   bool   `json:"existed"`
	Kept      string `json:"kept,omitempty"`
}

// Run uninstalls bbr.
func Run(ctx context.Context, o *Options) error {
	f := o.Factory
	if f == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, f); err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	hc, err := helm.NewForConfig(cfg, ns, helm.SettingsOr(o.Settings))
	if err != nil {
		return err
	}
	u, err := hc.Uninstall(ctx, installbbr.ReleaseName, helm.UninstallOptions{Namespace: ns, Wait: o.Wait, Timeout: o.Timeout, IgnoreNotFound: true})
	if err != nil {
		return err
	}
	res := &Result{Release: u.Release, Namespace: u.Namespace, Existed: u.Existed, Kept: u.Kept}
	if o.Output != install.OutputText {
		return cmdutil.PrintData(o.IO.Out, string(o.Output), res)
	}
	if !u.Existed {
		fmt.Fprintf(o.IO.Out, "nothing to uninstall: no release %s in namespace %s\n", u.Release, u.Namespace)
		return nil
	}
	fmt.Fprintf(o.IO.Out, "uninstalled release %s/%s\n", u.Namespace, u.Release)
	if u.Kept != "" {
		fmt.Fprintf(o.IO.Out, "kept: %s\n", u.Kept)
	}
	return nil
}
