// Package helm is igwctl's small layer over the Helm SDK: install-or-upgrade a chart from an OCI
// registry, an HTTP(S) chart repository or a local directory, with values merged as `helm -f/--set`
// does; render it without a cluster (dry run); wait for its workloads, reporting "installed but not
// ready" rather than failing; uninstall; and read a release's status.
//
// Nothing here reads $HOME, $HELM_* or $KUBECONFIG on its own: where credentials and caches live is
// in Settings, and the cluster comes from the caller (a RESTClientGetter such as igwctl's
// kube.Factory, or a rest.Config). Errors a user can act on are *Error values: diagnose.Findings
// naming the problem and the fix.
//
// A command does, roughly:
//
//	c, err := helm.New(factory, namespace, helm.DefaultSettings())
//	res, err := c.Install(ctx, helm.InstallOptions{
//		ReleaseName: "istiod", Namespace: "istio-system", CreateNamespace: true,
//		Chart:  helm.ChartRef{RepoURL: "https://istio-release.storage.googleapis.com/charts", Chart: "istiod", Version: version},
//		Values: helm.Values{Base: map[string]any{"pilot": map[string]any{"env": map[string]any{
//			"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}}, Files: valueFiles, Set: sets},
//		Wait: wait, Timeout: timeout, DryRun: kube.DryRunClient,
//	})
//	// err: an *Error (errors.Is(err, helm.ErrVersionNotFound), ...); else print res.Summary(),
//	// res.Manifest for a dry run, res.NotReady when the wait ran out.
package helm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/helmpath"
	helmkube "helm.sh/helm/v3/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/kube"
)

// Release record storage drivers (Settings.Driver).
const (
	DriverSecret    = "secret"    // Helm's default: one Secret per revision in the release namespace
	DriverConfigMap = "configmap" // one ConfigMap per revision
	DriverMemory    = "memory"    // nothing persisted; for tests of rendering and flows only
)

// Defaults for zero fields.
const (
	DefaultTimeout     = 5 * time.Minute // hooks and waiting for readiness
	DefaultHTTPTimeout = 2 * time.Minute // one request to a registry or chart repository
	DefaultMaxHistory  = 10              // revisions kept per release, as `helm upgrade --history-max`
)

// Settings are the Helm client's local state and knobs. Every path is explicit; the zero value
// works (no stored registry credentials, a temporary repository cache, Secrets for release records).
type Settings struct {
	// RegistryConfig is the OCI registry credentials file (Docker's config.json format, what
	// `helm registry login` writes). Empty: no credentials file of our own. As in Helm, Docker's
	// own config ($DOCKER_CONFIG or ~/.docker/config.json) is still consulted as a fallback.
	RegistryConfig string
	// RepositoryCache is where chart repository indexes are kept. Empty: a temporary directory per
	// call, removed afterwards.
	RepositoryCache string
	// Driver stores release records: DriverSecret (default), DriverConfigMap or DriverMemory.
	Driver string
	// HTTPTimeout bounds each request to a registry or chart repository; 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// MaxHistory is how many revisions of a release are kept; 0 means DefaultMaxHistory.
	MaxHistory int
	// Debug receives Helm's debug log; nil discards it.
	Debug io.Writer
}

// DefaultSettings are what a CLI should use: Helm's registry credentials file (so `helm registry
// login` works for igwctl too; honours $HELM_CONFIG_HOME) and a repository cache under the user's
// cache directory.
func DefaultSettings() Settings {
	s := Settings{RegistryConfig: helmpath.ConfigPath("registry", "config.json")}
	if dir, err := os.UserCacheDir(); err == nil {
		s.RepositoryCache = filepath.Join(dir, "igw", "helm", "repository")
	}
	return s
}

func (s Settings) httpTimeout() time.Duration {
	if s.HTTPTimeout > 0 {
		return s.HTTPTimeout
	}
	return DefaultHTTPTimeout
}

func (s Settings) maxHistory() int {
	if s.MaxHistory > 0 {
		return s.MaxHistory
	}
	return DefaultMaxHistory
}

func (s Settings) debugf(format string, args ...any) {
	if s.Debug != nil {
		fmt.Fprintf(s.Debug, format+"\n", args...)
	}
}

// Client runs Helm actions against one cluster. It holds no Helm state between calls: each call
// builds its own action configuration, so a dry run never affects a later install. It is safe for
// concurrent use.
type Client struct {
	getter    genericclioptions.RESTClientGetter
	namespace string
	settings  Settings
}

// New returns a Client for the cluster getter connects to (kubectl's ConfigFlags, for example).
// namespace is the default release namespace; empty means the kubeconfig context's, else "default".
func New(getter genericclioptions.RESTClientGetter, namespace string, settings Settings) (*Client, error) {
	if getter == nil {
		return nil, fmt.Errorf("helm.New: no cluster connection given")
	}
	if namespace == "" {
		if ns, _, err := getter.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
			namespace = ns
		} else {
			namespace = "default"
		}
	}
	switch settings.Driver {
	case "", DriverSecret, "secrets", DriverConfigMap, "configmaps", DriverMemory:
	default:
		return nil, fmt.Errorf("helm: unknown release storage driver %q; use %s, %s or %s", settings.Driver, DriverSecret, DriverConfigMap, DriverMemory)
	}
	return &Client{getter: getter, namespace: namespace, settings: settings}, nil
}

// NewForConfig returns a Client for a fixed connection.
func NewForConfig(cfg *rest.Config, namespace string, settings Settings) (*Client, error) {
	if cfg == nil {
		return nil, fmt.Errorf("helm.NewForConfig: no rest.Config given")
	}
	if namespace == "" {
		namespace = "default"
	}
	return New(kube.NewFactoryFromConfig(cfg, namespace), namespace, settings)
}

// Namespace is the default release namespace.
func (c *Client) Namespace() string { return c.namespace }

func (c *Client) ns(explicit string) string {
	if explicit != "" {
		return explicit
	}
	return c.namespace
}

// actionConfig builds a fresh Helm action configuration for releases in namespace.
func (c *Client) actionConfig(namespace string) (*action.Configuration, error) {
	// Discovery may be stale from an earlier call (a CRD installed since); refetch lazily.
	if dc, err := c.getter.ToDiscoveryClient(); err == nil && dc != nil {
		dc.Invalidate()
	}
	if m, err := c.getter.ToRESTMapper(); err == nil && m != nil {
		meta.MaybeResetRESTMapper(m)
	}
	cfg := new(action.Configuration)
	if err := cfg.Init(c.getter, namespace, c.settings.Driver, c.settings.debugf); err != nil {
		return nil, err
	}
	// Objects without a namespace go to the release namespace, not the kubeconfig's.
	if kc, ok := cfg.KubeClient.(*helmkube.Client); ok {
		kc.Namespace = namespace
	}
	cfg.Releases.MaxHistory = c.settings.maxHistory()
	return cfg, nil
}
