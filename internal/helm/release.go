package helm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/igw-dev/igw/internal/kube"
)

// Status is what a release looks like now.
type Status struct {
	Installed    bool // false: no such release (the other fields are empty)
	Release      string
	Namespace    string
	Revision     int
	Status       string // deployed, failed, pending-install, pending-upgrade, uninstalling, ...
	Chart        string
	ChartVersion string
	AppVersion   string
	Updated      time.Time
	Description  string
	Values       map[string]any // the values given at install or upgrade, without the chart's defaults
	Notes        string
	Manifest     string
}

// Status reads a release. A missing release is not an error: Installed is false.
func (c *Client) Status(ctx context.Context, releaseName, namespace string) (*Status, error) {
	ns := c.ns(namespace)
	cfg, err := c.actionConfig(ns)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel, err := action.NewStatus(cfg).Run(releaseName)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return &Status{Release: releaseName, Namespace: ns}, nil
	}
	if err != nil {
		return nil, explainCluster(err, fmt.Sprintf("reading release %q in namespace %q", releaseName, ns))
	}
	return statusFrom(rel), nil
}

func statusFrom(rel *release.Release) *Status {
	st := &Status{
		Installed: true,
		Release:   rel.Name,
		Namespace: rel.Namespace,
		Revision:  rel.Version,
		Values:    rel.Config,
		Manifest:  rel.Manifest,
	}
	if rel.Info != nil {
		st.Status = rel.Info.Status.String()
		st.Updated = rel.Info.LastDeployed.Time
		st.Description = rel.Info.Description
		st.Notes = rel.Info.Notes
		// An uninstalled release kept with --keep-history is not installed.
		st.Installed = rel.Info.Status != release.StatusUninstalled
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		st.Chart = rel.Chart.Metadata.Name
		st.ChartVersion = rel.Chart.Metadata.Version
		st.AppVersion = rel.Chart.Metadata.AppVersion
	}
	return st
}

// UninstallOptions are one `helm uninstall`.
type UninstallOptions struct {
	// Namespace is the release namespace; empty means the Client's.
	Namespace string
	// Wait waits until the release's objects are gone, up to Timeout.
	Wait bool
	// Timeout bounds hooks and the wait; 0 means DefaultTimeout.
	Timeout time.Duration
	// KeepHistory keeps the release records (`--keep-history`).
	KeepHistory bool
	// IgnoreNotFound makes a missing release a success with Existed false.
	IgnoreNotFound bool
	// DryRun (client or server alike: Helm cannot ask the API server about a deletion) only reads
	// whether the release is installed; nothing is removed.
	DryRun kube.DryRun
}

// UninstallResult says what Uninstall did.
type UninstallResult struct {
	Release   string
	Namespace string
	Existed   bool
	// Kept lists what Helm left in place (objects annotated helm.sh/resource-policy: keep), as Helm
	// words it; empty when nothing was kept.
	Kept string
}

// Uninstall removes a release and its objects. A missing release is an *Error of kind
// ErrReleaseNotFound unless IgnoreNotFound.
func (c *Client) Uninstall(ctx context.Context, releaseName string, opts UninstallOptions) (*UninstallResult, error) {
	ns := c.ns(opts.Namespace)
	res := &UninstallResult{Release: releaseName, Namespace: ns}
	if opts.DryRun.Enabled() {
		return c.uninstallDryRun(ctx, res, opts)
	}
	cfg, err := c.actionConfig(ns)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	un := action.NewUninstall(cfg)
	un.Wait = opts.Wait
	un.Timeout = timeout
	un.KeepHistory = opts.KeepHistory
	un.DeletionPropagation = "background"
	resp, err := un.Run(releaseName)
	if err != nil {
		if errors.Is(err, driver.ErrReleaseNotFound) {
			if opts.IgnoreNotFound {
				return res, nil
			}
			return nil, releaseNotFound(releaseName, ns, err)
		}
		return nil, explainCluster(err, fmt.Sprintf("uninstalling release %q in namespace %q", releaseName, ns))
	}
	res.Existed = true
	if resp != nil {
		res.Kept = resp.Info
	}
	return res, nil
}

// uninstallDryRun says whether Uninstall would remove anything.
func (c *Client) uninstallDryRun(ctx context.Context, res *UninstallResult, opts UninstallOptions) (*UninstallResult, error) {
	st, err := c.Status(ctx, res.Release, res.Namespace)
	if err != nil {
		return nil, err
	}
	if !st.Installed && !opts.IgnoreNotFound {
		return nil, releaseNotFound(res.Release, res.Namespace, nil)
	}
	res.Existed = st.Installed
	return res, nil
}

func releaseNotFound(name, namespace string, err error) *Error {
	return newError(ErrReleaseNotFound, fmt.Sprintf("there is no release %q in namespace %q", name, namespace),
		"check the name and namespace (`helm list -A` lists releases)", err)
}
