// Package kube is the one place igwctl builds Kubernetes clients. Commands receive a Factory and ask
// it for the clients they need; the real Factory reads kubectl's connection flags (--kubeconfig,
// --context, -n, ...), tests build one from a rest.Config.
package kube

import (
	"fmt"
	"sync"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Factory hands out clients for one cluster. Clients are built on first use, after the command
// line has been parsed, so a Factory can be created before the flags it reads are set.
type Factory interface {
	// RESTConfig is the connection every client below uses.
	RESTConfig() (*rest.Config, error)
	// APIExtensions reads and writes CustomResourceDefinitions.
	APIExtensions() (apiextensionsclient.Interface, error)
	// Dynamic reads and writes any resource, e.g. the objects of a CRD.
	Dynamic() (dynamic.Interface, error)
	// Discovery tells which APIs the server serves.
	Discovery() (discovery.DiscoveryInterface, error)
	// Namespace is -n/--namespace, else the kubeconfig context's namespace, else "default".
	Namespace() (string, error)
	// Describe names the target for error messages, e.g. `context "kind-dev"`; "" when unknown.
	Describe() string
}

// UserAgent identifies igwctl in the API server's audit logs and metrics.
const UserAgent = "igwctl"

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
		load: flags.ToRESTConfig,
		namespace: func() (string, error) {
			ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
			return ns, err
		},
		describe: func() string { return describeFlags(flags) },
	}
}

// NewFactoryFromConfig returns a Factory for a fixed connection (tests, in-process callers).
func NewFactoryFromConfig(cfg *rest.Config, namespace string) Factory {
	if namespace == "" {
		namespace = "default"
	}
	return &factory{
		load:      func() (*rest.Config, error) { return rest.CopyConfig(cfg), nil },
		namespace: func() (string, error) { return namespace, nil },
		describe:  func() string { return "" },
	}
}

type factory struct {
	load      func() (*rest.Config, error)
	namespace func() (string, error)
	describe  func() string

	once sync.Once
	cfg  *rest.Config
	err  error
}

func (f *factory) RESTConfig() (*rest.Config, error) {
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

func (f *factory) APIExtensions() (apiextensionsclient.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return apiextensionsclient.NewForConfig(cfg)
}

func (f *factory) Dynamic() (dynamic.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

func (f *factory) Discovery() (discovery.DiscoveryInterface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return discovery.NewDiscoveryClientForConfig(cfg)
}

func (f *factory) Namespace() (string, error) { return f.namespace() }

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
