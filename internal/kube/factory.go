// Package kube is the one place igwctl builds Kubernetes clients. Commands receive a Factory and ask
// it for the clients they need; the real Factory reads kubectl's connection flags (--kubeconfig,
// --context, -n, ...), tests build one from a rest.Config.
package kube

import (
	"fmt"
	"sync"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Factory hands out clients for one cluster. Clients are built on first use, after the command
// line has been parsed, so a Factory can be created before the flags it reads are set.
//
// A Factory is also the RESTClientGetter Helm and kubectl's libraries take, so they share its
// connection and its cached discovery instead of building their own per call.
type Factory interface {
	genericclioptions.RESTClientGetter
	// APIExtensions reads and writes CustomResourceDefinitions.
	APIExtensions() (apiextensionsclient.Interface, error)
	// Dynamic reads and writes any resource, e.g. the objects of a CRD.
	Dynamic() (dynamic.Interface, error)
	// Discovery tells which APIs the server serves, asking afresh each time (ToDiscoveryClient's
	// answers are cached).
	Discovery() (discovery.DiscoveryInterface, error)
	// Namespace is -n/--namespace, else the kubeconfig context's namespace, else "default".
	Namespace() (string, error)
	// Describe names the target for error messages, e.g. `context "kind-dev"`; "" when unknown.
	Describe() string
}

// UserAgent identifies igwctl in the API server's audit logs and metrics.
const UserAgent = "igwctl"

// FieldManager is the server-side apply field manager igwctl writes as; its entries in an
// object's managedFields are how igwctl recognises what it installed.
const FieldManager = "igwctl"

// NewConfigFlags returns kubectl's connection flags. Register them with AddFlags on the root
// command's persistent flags so every subcommand accepts them, as kubectl does.
func NewConfigFlags() *genericclioptions.ConfigFlags {
	// usePersistentConfig caches the loaded kubeconfig, so asking for several clients reads the
	// files once.
	return genericclioptions.NewConfigFlags(true)
}

// NewFactory returns a Factory that reads the given connection flags when a client is first asked
// for.
func NewFactory(flags *genericclioptions.ConfigFlags) Factory {
	return &factory{
		load:     flags.ToRESTConfig,
		loader:   flags.ToRawKubeConfigLoader,
		describe: func() string { return describeFlags(flags) },
	}
}

// NewFactoryFromConfig returns a Factory for a fixed connection (tests, in-process callers).
func NewFactoryFromConfig(cfg *rest.Config, namespace string) Factory {
	if namespace == "" {
		namespace = "default"
	}
	cfg = rest.CopyConfig(cfg)
	// A kubeconfig of nothing but the namespace: Helm asks the loader for the namespace only.
	loader := clientcmd.NewDefaultClientConfig(*clientcmdapi.NewConfig(), &clientcmd.ConfigOverrides{
		Context: clientcmdapi.Context{Namespace: namespace},
	})
	return &factory{
		load:     func() (*rest.Config, error) { return rest.CopyConfig(cfg), nil },
		loader:   func() clientcmd.ClientConfig { return loader },
		describe: func() string { return "" },
	}
}

type factory struct {
	load     func() (*rest.Config, error)
	loader   func() clientcmd.ClientConfig
	describe func() string

	once sync.Once
	cfg  *rest.Config
	err  error

	discoveryOnce sync.Once
	cached        discovery.CachedDiscoveryInterface
	mapper        meta.RESTMapper
	discoveryErr  error
}

func (f *factory) ToRESTConfig() (*rest.Config, error) {
	f.once.Do(func() {
		cfg, err := f.load()
		if err != nil {
			f.err = configError(err)
			return
		}
		cfg = rest.CopyConfig(cfg)
		if cfg.UserAgent == "" {
			cfg.UserAgent = UserAgent
		}
		// client-go's defaults (5 QPS, burst 10) throttle a dozen CRD round trips visibly.
		if cfg.QPS == 0 {
			cfg.QPS, cfg.Burst = 50, 100
		}
		f.cfg = cfg
	})
	if f.err != nil {
		return nil, f.err
	}
	// A copy, so a caller that adjusts its config cannot change the others'.
	return rest.CopyConfig(f.cfg), nil
}

// initDiscovery builds the cached discovery client and REST mapper once. The cache lives in
// memory: kubectl's on-disk cache would write under $HOME, and a command lives seconds.
func (f *factory) initDiscovery() {
	f.discoveryOnce.Do(func() {
		dc, err := f.Discovery()
		if err != nil {
			f.discoveryErr = err
			return
		}
		f.cached = memory.NewMemCacheClient(dc)
		deferred := restmapper.NewDeferredDiscoveryRESTMapper(f.cached)
		f.mapper = restmapper.NewShortcutExpander(deferred, f.cached, nil)
	})
}

func (f *factory) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	f.initDiscovery()
	return f.cached, f.discoveryErr
}

func (f *factory) ToRESTMapper() (meta.RESTMapper, error) {
	f.initDiscovery()
	return f.mapper, f.discoveryErr
}

func (f *factory) ToRawKubeConfigLoader() clientcmd.ClientConfig { return f.loader() }

func (f *factory) APIExtensions() (apiextensionsclient.Interface, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return apiextensionsclient.NewForConfig(cfg)
}

func (f *factory) Dynamic() (dynamic.Interface, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

func (f *factory) Discovery() (discovery.DiscoveryInterface, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	return discovery.NewDiscoveryClientForConfig(cfg)
}

func (f *factory) Namespace() (string, error) {
	ns, _, err := f.loader().Namespace()
	return ns, err
}

func (f *factory) Describe() string { return f.describe() }

// configError explains a kubeconfig that cannot be used at all.
func configError(err error) error {
	if clientcmd.IsEmptyConfig(err) {
		return fmt.Errorf("no Kubernetes cluster configured (no kubeconfig found): " +
			"pass --kubeconfig FILE or set $KUBECONFIG, and --context to pick a context")
	}
	return fmt.Errorf("loading the kubeconfig: %w (check --kubeconfig and --context)", err)
}

// describeFlags names the kubeconfig context the flags select, for error messages.
func describeFlags(flags *genericclioptions.ConfigFlags) string {
	raw, err := flags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return ""
	}
	ctx := raw.CurrentContext
	if flags.Context != nil && *flags.Context != "" {
		ctx = *flags.Context
	}
	var s string
	if ctx != "" {
		s = fmt.Sprintf("context %q", ctx)
	}
	if flags.KubeConfig != nil && *flags.KubeConfig != "" {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("of kubeconfig %s", *flags.KubeConfig)
	}
	if s == "" && len(raw.Contexts) == 0 && (flags.APIServer == nil || *flags.APIServer == "") {
		// clientcmd then falls back to http://localhost:8080, which is almost never what was meant.
		return "no kubeconfig found in $KUBECONFIG or ~/.kube/config"
	}
	return s
}

// NamespaceOf is the namespace a command works in: -n, else the kubeconfig context's, else
// default; a nil factory (a test without a cluster) means default.
func NamespaceOf(f Factory) (string, error) {
	if f == nil {
		return "default", nil
	}
	ns, err := f.Namespace()
	if err != nil || ns == "" {
		return "default", err
	}
	return ns, nil
}
