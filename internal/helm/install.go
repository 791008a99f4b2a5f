package helm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/kube"
)

// InstallOptions are one `helm upgrade --install`.
type InstallOptions struct {
	// ReleaseName names the release (required).
	ReleaseName string
	// Namespace is the release namespace; empty means the Client's.
	Namespace string
	// Chart is where the chart comes from.
	Chart ChartRef
	// Loaded, when set, is the chart already loaded, and Chart is not read: a command that
	// checks a chart before it changes the cluster installs the very copy it checked. Helm may
	// change it while installing (dependency conditions), so install a loaded chart once.
	// Source says where it came from (Result.Source).
	Loaded *chart.Chart
	Source string
	// Values are merged as Values.Merge describes.
	Values Values
	// ReuseValues merges Values over the previous revision's on upgrade. By default an upgrade
	// starts from the chart's defaults with Values only (`helm upgrade --reset-values`), so the
	// result never depends on what an earlier run passed.
	ReuseValues bool
	// CreateNamespace creates the release namespace when missing.
	CreateNamespace bool
	// DryRun, as `helm install --dry-run=client|server`: client renders the chart without a
	// cluster (`helm template`); server renders it against the cluster (its version and APIs, the
	// chart's lookups), checks the objects against the server's OpenAPI schemas and for objects
	// that exist outside the release, and changes nothing. Result.Manifest holds what would be
	// applied.
	DryRun kube.DryRun
	// Wait waits, after applying, until the release's workloads are ready or Timeout passes. Not
	// being ready in time is not an error: Result.Ready is false and Result.NotReady says what.
	Wait bool
	// Timeout bounds hooks and the wait; 0 means DefaultTimeout.
	Timeout time.Duration
	// SkipCRDs does not install the chart's crds/ directory on first install.
	SkipCRDs bool
	// TakeOwnership adopts objects that already exist without belonging to a Helm release (e.g.
	// installed with kubectl or istioctl) instead of failing with ErrConflict.
	TakeOwnership bool
	// Description is recorded with the revision.
	Description string
	// KubeVersion is the Kubernetes version a dry run renders for (.Capabilities.KubeVersion,
	// checked against the chart's kubeVersion); empty means DefaultKubeVersion. Real installs use
	// the cluster's.
	KubeVersion string
}

// chart is Loaded, or else the chart Chart names.
func (o InstallOptions) chart(ctx context.Context, s Settings) (*chart.Chart, string, error) {
	if o.Loaded != nil {
		return o.Loaded, o.Source, nil
	}
	return LoadChart(ctx, s, o.Chart)
}

// DefaultKubeVersion is what a dry run renders for when InstallOptions.KubeVersion is empty
// (Helm's own client-side default is v1.20, older than most charts accept).
const DefaultKubeVersion = "v1.36.0"

// Result says what Install did.
type Result struct {
	Action       string // "install", "upgrade" or "dry-run"
	DryRun       kube.DryRun
	Release      string
	Namespace    string
	Revision     int
	Status       string // Helm's release status: deployed, failed, ...
	Chart        string // chart name
	ChartVersion string
	AppVersion   string
	Source       string         // where the chart came from, version resolved
	Values       map[string]any // the values given (merged), not including the chart's defaults
	Manifest     string         // the rendered objects (CRDs from crds/ too on a dry run)
	Notes        string         // the chart's NOTES.txt, rendered
	Objects      []Object       // the objects in Manifest, in order

	Waited   bool     // Wait was asked for
	Ready    bool     // every workload was ready (true without Wait only if nothing needs waiting)
	NotReady []string // what was not ready when the wait ended, e.g. "Deployment ns/name: 0 of 1 pods ready"
	WaitErr  error    // why the wait ended early (timeout, cancelled, or an error reading objects)
}

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion, Kind, Namespace, Name string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return fmt.Sprintf("%s %s", o.Kind, o.Name)
	}
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
}

// Summary is one line for a person, e.g. "installed bbr 0.1.0 as release bbr in igw (revision 1),
// ready".
func (r *Result) Summary() string {
	verb := map[string]string{"install": "installed", "upgrade": "upgraded", "dry-run": "rendered"}[r.Action]
	s := fmt.Sprintf("%s %s %s as release %s in %s", verb, r.Chart, r.ChartVersion, r.Release, r.Namespace)
	if r.Action != "dry-run" {
		s += fmt.Sprintf(" (revision %d)", r.Revision)
	}
	if r.DryRun == kube.DryRunServer {
		s += r.DryRun.Suffix()
	}
	switch {
	case r.Action == "dry-run" || !r.Waited:
	case r.Ready:
		s += ", ready"
	default:
		s += ", but not ready: " + strings.Join(r.NotReady, "; ")
		if r.WaitErr != nil {
			s += " (" + r.WaitErr.Error() + ")"
		}
	}
	return s
}

// Install installs the release, or upgrades it when it exists (`helm upgrade --install`); with
// DryRun it changes nothing (see InstallOptions.DryRun). Failures are *Error values where the cause is known. If ctx
// ends while Helm is applying objects, Install returns ctx's error but Helm finishes in the
// background, as the Helm CLI does on Ctrl-C.
func (c *Client) Install(ctx context.Context, opts InstallOptions) (*Result, error) {
	if opts.DryRun == kube.DryRunClient {
		return Render(ctx, c.settings, c.ns(opts.Namespace), opts)
	}
	server := opts.DryRun == kube.DryRunServer
	ns := c.ns(opts.Namespace)
	if err := validateName(opts.ReleaseName); err != nil {
		return nil, err
	}
	vals, err := opts.Values.Merge()
	if err != nil {
		return nil, err
	}
	ch, source, err := opts.chart(ctx, c.settings)
	if err != nil {
		return nil, err
	}
	cfg, err := c.actionConfig(ns)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	// What `helm upgrade --install` does: install when there is no release, or only an
	// uninstalled one kept with --keep-history.
	history := action.NewHistory(cfg)
	history.Max = 1
	prev, err := history.Run(opts.ReleaseName)
	doing := fmt.Sprintf("installing %s as release %q in namespace %q", ch.Name(), opts.ReleaseName, ns)
	var rel *release.Release
	var act string
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && uninstalled(prev)):
		act = "install"
		inst := action.NewInstall(cfg)
		inst.ReleaseName = opts.ReleaseName
		inst.Namespace = ns
		inst.CreateNamespace = opts.CreateNamespace
		inst.Timeout = timeout
		inst.SkipCRDs = opts.SkipCRDs
		inst.Description = opts.Description
		inst.Replace = err == nil // reuse the name of an uninstalled release
		inst.TakeOwnership = opts.TakeOwnership
		inst.DryRun, inst.DryRunOption = server, serverOption(server)
		rel, err = inst.RunWithContext(ctx, ch, vals)
	case err != nil:
		return nil, explainCluster(err, fmt.Sprintf("reading release %q in namespace %q", opts.ReleaseName, ns))
	default:
		act = "upgrade"
		doing = fmt.Sprintf("upgrading release %q in namespace %q to %s %s", opts.ReleaseName, ns, ch.Name(), ch.Metadata.Version)
		up := action.NewUpgrade(cfg)
		up.Namespace = ns
		up.Timeout = timeout
		up.Description = opts.Description
		up.MaxHistory = c.settings.maxHistory()
		up.ReuseValues = opts.ReuseValues
		up.ResetValues = !opts.ReuseValues
		up.SkipCRDs = opts.SkipCRDs
		up.TakeOwnership = opts.TakeOwnership
		up.DryRun, up.DryRunOption = server, serverOption(server)
		rel, err = up.RunWithContext(ctx, opts.ReleaseName, ch, vals)
	}
	if err != nil {
		return nil, explainCluster(err, doing)
	}
	if server {
		res := resultFrom("dry-run", withHooks(rel), source)
		res.DryRun = kube.DryRunServer
		return res, nil
	}
	res := resultFrom(act, rel, source)
	if opts.Wait {
		res.Waited = true
		res.Ready, res.NotReady, res.WaitErr = c.waitReady(ctx, cfg, rel.Manifest, timeout)
	}
	return res, nil
}

// Render renders the chart as Install would without touching a cluster (`helm template`): the
// result's Manifest holds every object, CRDs from crds/ included. namespace is the release
// namespace to render for.
func Render(ctx context.Context, s Settings, namespace string, opts InstallOptions) (*Result, error) {
	if err := validateName(opts.ReleaseName); err != nil {
		return nil, err
	}
	if namespace == "" {
		namespace = "default"
	}
	if opts.Namespace != "" {
		namespace = opts.Namespace
	}
	vals, err := opts.Values.Merge()
	if err != nil {
		return nil, err
	}
	ch, source, err := opts.chart(ctx, s)
	if err != nil {
		return nil, err
	}
	return RenderChart(ctx, s, ch, source, namespace, opts.ReleaseName, opts.KubeVersion, vals)
}

// RenderChart renders an already loaded chart with final values (no merging), client-side, for
// kubeVersion (empty: DefaultKubeVersion).
func RenderChart(ctx context.Context, s Settings, ch *chart.Chart, source, namespace, releaseName, kubeVersion string, vals map[string]any) (*Result, error) {
	if kubeVersion == "" {
		kubeVersion = DefaultKubeVersion
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, newError(ErrBadValues, fmt.Sprintf("Kubernetes version %q is invalid", kubeVersion), "give it as v1.MINOR.PATCH", err)
	}
	cfg := &action.Configuration{Log: s.debugf}
	inst := action.NewInstall(cfg)
	inst.KubeVersion = kv
	inst.DryRun = true
	inst.ClientOnly = true
	inst.IncludeCRDs = true
	inst.ReleaseName = releaseName
	inst.Namespace = namespace
	inst.Replace = true
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, explainCluster(err, fmt.Sprintf("rendering chart %s", ch.Name()))
	}
	res := resultFrom("dry-run", withHooks(rel), source)
	res.DryRun = kube.DryRunClient
	return res, nil
}

// withHooks appends the hooks to the release's manifest: they are objects too, and `helm
// template` shows them after the rest.
func withHooks(rel *release.Release) *release.Release {
	var manifest strings.Builder
	manifest.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		fmt.Fprintf(&manifest, "---\n# Source: %s\n%s\n", h.Path, strings.TrimSpace(h.Manifest))
	}
	rel.Manifest = manifest.String()
	return rel
}

// serverOption is Helm's DryRunOption for a server dry run.
func serverOption(server bool) string {
	if server {
		return "server"
	}
	return ""
}

func validateName(name string) error {
	if name == "" {
		return newError(ErrBadValues, "no release name given", "name the release", nil)
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return quietError(ErrBadValues, fmt.Sprintf("release name %q is invalid", name), "use at most 53 characters: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", err)
	}
	return nil
}

func uninstalled(history []*release.Release) bool {
	return len(history) > 0 && history[len(history)-1].Info != nil && history[len(history)-1].Info.Status == release.StatusUninstalled
}

func resultFrom(act string, rel *release.Release, source string) *Result {
	res := &Result{
		Action:    act,
		Release:   rel.Name,
		Namespace: rel.Namespace,
		Revision:  rel.Version,
		Source:    source,
		Values:    rel.Config,
		Manifest:  rel.Manifest,
	}
	if rel.Info != nil {
		res.Status = rel.Info.Status.String()
		res.Notes = rel.Info.Notes
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		res.Chart = rel.Chart.Metadata.Name
		res.ChartVersion = rel.Chart.Metadata.Version
		res.AppVersion = rel.Chart.Metadata.AppVersion
	}
	res.Objects = manifestObjects(rel.Manifest)
	return res
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// manifestObjects lists the objects of a rendered manifest, in order.
func manifestObjects(manifest string) []Object {
	var objs []Object
	for _, doc := range docSep.Split(manifest, -1) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if strings.TrimSpace(doc) == "" || yaml.Unmarshal([]byte(doc), &head) != nil || head.Kind == "" {
			continue
		}
		objs = append(objs, Object{APIVersion: head.APIVersion, Kind: head.Kind, Namespace: head.Metadata.Namespace, Name: head.Metadata.Name})
	}
	return objs
}
