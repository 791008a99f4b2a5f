// Package verify is `igwctl verify`: walk the path a request takes to an InferencePool on the
// live cluster and print where it breaks, as a checklist (internal/requestpath does the checks).
package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/requestpath"
)

// Exit statuses, as diagnose has them.
const (
	exitFailed = 1 // a step failed
	exitCannot = 3 // the checks could not run (the cluster unreachable, a bad command line)
)

// Options are the flags of `igwctl verify` and what the command is given.
type Options struct {
	IO     *cmdutil.IOStreams
	Output cmdutil.Format
	Kube   kube.Factory

	// Pool is the POOL argument, NAME or NAMESPACE/NAME; "" verifies every pool in scope.
	Pool          string
	Namespace     string
	AllNamespaces bool
	// Probe sends real requests through the Gateways; Address sends them to HOST:PORT instead.
	Probe   bool
	Address string
	// Timeout bounds each request to a pod or through a Gateway.
	Timeout time.Duration

	// Pods reaches the pods; nil goes through the API server's pod proxy.
	Pods requestpath.PodGetter

	// poolNamespace is the namespace POOL names, when it names one.
	poolNamespace string
}

// NewCmd returns the command; hook, when not nil, replaces Run.
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Timeout: 30 * time.Second}
	cmd := &cobra.Command{
		Use:   "verify [POOL] [-n NAMESPACE | -A] [--probe]",
		Short: "Walk a request's path to an InferencePool on the cluster and say where it breaks",
		Long: `Check, on the live cluster and without changing it, every step a request takes to an
InferencePool, and print a checklist: each step passed, failed (why, and the fix), or not run
(why: RBAC forbids it, the Gateway has no address, ...). A step that did not run never counts
as passed.

The steps follow the request: the CRDs are installed, Established and from one release; each
Gateway's class is accepted (and its provider's inference support on); the Gateway is accepted
and programmed, with an address; every HTTPRoute to the pool is accepted with its references
resolved, per Gateway; the pool's status.parents says each Gateway took it on (the reason
explained when not); the endpoint picker's Deployment is available and its Service has ready
endpoints on the port the pool names; the pool's pods are selected and Ready; each answers on
every target port, and serves the model server metrics the picker reads (waiting queue, KV-cache
utilisation, LoRA), asked through the API server's pod proxy (a laptop cannot reach pod IPs); and
when routes match a model header, a body router runs in front of the Gateway, sets that header,
and its adapter ConfigMaps are valid. Where a step asks what a diagnose analyzer asks, it shows
that finding and its code.

--probe also sends one OpenAI-style completion through each Gateway to the pool (and one per
model a route matches on a model header) and shows the status, the time, the pod that answered
and the model header the route saw (when the response says), and what a 404, 500, 503 or 429
means on this path. --address HOST:PORT sends the probes there instead, e.g. to a kubectl
port-forward of the Gateway's Service.

POOL is NAME (in the namespace of -n, or of the kubeconfig context) or NAMESPACE/NAME; without
it every pool in the namespace (-A: in every namespace) is verified. Objects are read with one
LIST per kind. Exit status: 0 when no step failed, 1 when one did, 3 when verify could not run.`,
		Example: `  # Every pool of the current namespace
  igwctl verify

  # One pool, and a real request through its Gateway
  igwctl verify vllm-llama3-8b-instruct -n llm --probe

  # Through a port-forward, when the Gateway's address is not reachable from here
  kubectl port-forward -n llm svc/inference-gateway-istio 8080:80 &
  igwctl verify vllm-llama3-8b-instruct -n llm --probe --address localhost:8080

  # Every pool of the cluster, as JSON
  igwctl verify -A -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, args []string) error {
			return cannot(o.prepare(cmd, args))
		}),
	}
	cmdutil.UsageCode(exitCannot, cmd)
	fs := cmd.Flags()
	cmdutil.AddAllNamespacesFlag(fs, &o.AllNamespaces)
	fs.BoolVar(&o.Probe, "probe", false, "send one real completion through each Gateway to the pool (and one per model a route matches)")
	fs.StringVar(&o.Address, "address", "", "with --probe, send to HOST:PORT instead of the Gateway's address (e.g. a kubectl port-forward)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each request to a pod or through a Gateway may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// cannot marks err as "verify could not run" (exit 3).
func cannot(err error) error { return cmdutil.WithCode(exitCannot, err) }

// prepare reads POOL and -n.
func (o *Options) prepare(cmd *cobra.Command, args []string) error {
	if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
		o.Namespace = ns.Value.String()
	}
	if o.Address != "" && !o.Probe {
		return fmt.Errorf("--address is where --probe sends its requests; add --probe")
	}
	if len(args) == 0 {
		return nil
	}
	o.Pool = args[0]
	if ns, name, ok := strings.Cut(o.Pool, "/"); ok {
		if ns == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("POOL %q: write NAME or NAMESPACE/NAME", o.Pool)
		}
		o.Namespace, o.Pool, o.poolNamespace = ns, name, ns
	}
	return nil
}
