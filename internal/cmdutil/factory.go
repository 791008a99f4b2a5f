package cmdutil

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
)

// Factory is what every command is given when it is built, before the command line is parsed:
// the streams, the cluster connection kubectl's flags select (built on first use), and Helm's
// settings. A command copies what it needs into its Options.
type Factory struct {
	IO *IOStreams
	// Kube is the cluster connection, and the RESTClientGetter the Helm layer uses.
	Kube kube.Factory
	// Helm are the Helm client's paths; tests give empty ones so nothing under $HOME is used.
	Helm helm.Settings
}

// NewFactory returns the Factory of a real run: clients from the connection flags (registered on
// the root command), Helm's default paths.
func NewFactory(io *IOStreams, kubeFlags *genericclioptions.ConfigFlags) *Factory {
	return &Factory{IO: io, Kube: kube.NewFactory(kubeFlags), Helm: helm.DefaultSettings()}
}
