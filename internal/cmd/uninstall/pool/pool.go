// Package pool is `igwctl uninstall pool`, the counterpart of `igwctl install pool`.
package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
)

// Options are the flags of `igwctl uninstall pool` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	Name    string
	Force   bool
	DryRun  kube.DryRun
	Wait    bool
	Timeout time.Duration
	Output  cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "pool NAME",
		Short: "Remove a pool igwctl install pool installed, with its route and objectives",
		Long: `Remove InferencePool NAME as igwctl install pool installed it, in the current namespace (-n):
the HTTPRoute and InferenceObjectives igwctl created for it (labelled ` + pool.OwnedSelector("NAME") + `),
then Helm release NAME (the pool, its endpoint picker and the picker's RBAC).

A release igwctl did not install (another chart, or installed with helm itself) is refused,
and nothing is removed, unless --force; so is a pool that other HTTPRoutes still send requests
to (with a weight above 0), since those requests would fail once it is gone. A release that is not there is no error: the command
says so, so it can be run again. --dry-run says what would be removed and removes nothing.`,
		Example: `  igwctl uninstall pool llama -n llm
  igwctl uninstall pool llama --dry-run`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return errors.New("give the pool's name: igwctl uninstall pool NAME")
			}
			return nil
		},
		RunE: cmdutil.RunE(o, Run, hook, func(_ *cobra.Command, args []string) error {
			o.Name = args[0]
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.Force, "force", false, "remove the release even if igwctl did not install it")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" says what would be removed, reading the cluster only; "server" also has the API server check the deletions; "none" uninstalls`)
	fs.BoolVar(&o.Wait, "wait", false, "wait until the release's objects are gone")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and --wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Result is what the command did.
type Result struct {
	Pool      string         `json:"pool"`
	Namespace string         `json:"namespace"`
	Release   bool           `json:"releaseUninstalled"`
	Chart     string         `json:"chart,omitempty"`
	Deleted   []pool.Applied `json:"deleted,omitempty"`
	Kept      string         `json:"kept,omitempty"`
	Nothing   bool           `json:"nothingToUninstall"`
	DryRun    kube.DryRun    `json:"dryRun,omitempty"`
}

// Run uninstalls the pool: the objects igwctl applied, then the release, after checking the
// release is igwctl's.
func Run(ctx context.Context, o *Options) error {
	if o.Kube == nil {
		return errors.New("no cluster connection")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return err
	}
	ns, err := kube.NamespaceOf(o.Kube)
	if err != nil {
		return err
	}
	res := &Result{Pool: o.Name, Namespace: ns}
	if o.DryRun.Enabled() {
		res.DryRun = o.DryRun
	}
	hc, err := helm.New(o.Kube, ns, o.Helm)
	if err != nil {
		return err
	}
	st, err := hc.Status(ctx, o.Name, ns)
	if err != nil {
		return err
	}
	if st.Installed && !pool.OwnRelease(st.Chart, st.Description) && !o.Force {
		return fmt.Errorf("release %s in %s (chart %s %s, %q) was not installed by igwctl install pool; nothing was removed: remove it with helm uninstall %s -n %s, or with --force",
			o.Name, ns, st.Chart, st.ChartVersion, st.Description, o.Name, ns)
	}
	dyn, err := o.Kube.Dynamic()
	if err != nil {
		return err
	}
	if !o.Force {
		if err := refuseInUse(ctx, dyn, ns, o.Name); err != nil {
			return err
		}
	}
	gvrs := []schema.GroupVersionResource{pool.RouteGVR, pool.ObjectiveGVR(pool.LLMDGroup), pool.ObjectiveGVR(pool.LegacyGroup)}
	if res.Deleted, err = pool.DeleteOwned(ctx, dyn, ns, o.Name, gvrs, o.DryRun); err != nil {
		return err
	}
	if st.Installed {
		u, err := hc.Uninstall(ctx, o.Name, helm.UninstallOptions{Namespace: ns, Wait: o.Wait, Timeout: o.Timeout, IgnoreNotFound: true, DryRun: o.DryRun})
		if err != nil {
			return fmt.Errorf("uninstalling release %s: %w", o.Name, err)
		}
		res.Release, res.Chart, res.Kept = u.Existed, st.Chart+" "+st.ChartVersion, u.Kept
	}
	res.Nothing = !res.Release && len(res.Deleted) == 0
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// refuseInUse stops an uninstall that would leave routes sending requests to a pool that is
// gone (each such request a 500), and says how to move the traffic first.
func refuseInUse(ctx context.Context, dyn dynamic.Interface, ns, name string) error {
	uses, err := pool.InUse(ctx, dyn, ns, name)
	if err != nil || len(uses) == 0 {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "InferencePool %s/%s still receives requests; nothing was removed:\n", ns, name)
	for _, u := range uses {
		fmt.Fprintf(&b, "  - %s\n", u)
	}
	b.WriteString("shift that traffic to other pools first (igwctl route set MODEL --pool OTHER=100, or edit the route), or remove it anyway with --force")
	return errors.New(b.String())
}

// WriteText says what was deleted and uninstalled.
func (r *Result) WriteText(w io.Writer) error {
	for _, d := range r.Deleted {
		fmt.Fprintf(w, "deleted %s%s\n", d, r.DryRun.Suffix())
	}
	if r.Release {
		fmt.Fprintf(w, "uninstalled release %s/%s (%s)%s\n", r.Namespace, r.Pool, r.Chart, r.DryRun.Suffix())
	}
	if r.Kept != "" {
		fmt.Fprintf(w, "kept: %s\n", r.Kept)
	}
	if r.Nothing {
		fmt.Fprintf(w, "nothing to uninstall: no release %s and nothing igwctl created for pool %s in namespace %s\n", r.Pool, r.Pool, r.Namespace)
	}
	return nil
}
