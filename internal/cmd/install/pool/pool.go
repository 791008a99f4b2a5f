// Package pool is `igwctl install pool`: install an InferencePool with its endpoint picker from
// the upstream chart of the inference release's generation, and optionally the pool's HTTPRoute
// and InferenceObjectives; then wait until the picker runs and the gateway accepts the pool.
package pool

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/helm"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
	"github.com/igw-dev/igw/internal/providers"
)

// Options are the flags of `igwctl install pool` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory
	Helm helm.Settings

	Name             string
	Selector         string
	TargetPorts      []int
	Engine           string
	Provider         string
	Gateway          string
	GatewayNamespace string
	Route            bool
	BaseModel        string
	PickerReplicas   int
	FailureMode      string
	Objectives       []string
	InferenceVersion string
	Version          string
	Files            []string
	Set, SetString   []string
	ChartRepo        string
	PlainHTTP        bool
	Force            bool
	DryRun           kube.DryRun
	Wait             bool
	Timeout          time.Duration
	Output           cmdutil.Format

	// PollInterval is how often --wait looks again; tests shorten it.
	PollInterval time.Duration

	given      map[string]bool
	spec       pool.Spec
	objectives []pool.Objective
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Helm: f.Helm, TargetPorts: []int{8000}, Engine: "vllm", Provider: "none",
		Gateway: providers.DefaultGateway, PickerReplicas: 1, FailureMode: pool.FailClose, Wait: true, Timeout: 5 * time.Minute,
		PollInterval: 2 * time.Second}
	cmd := &cobra.Command{
		Use:   "pool NAME --selector KEY=VALUE[,...]",
		Short: "Install an InferencePool with its endpoint picker from the upstream chart",
		Long: fmt.Sprintf(`Install InferencePool NAME and its endpoint picker in the current namespace (-n) as Helm
release NAME, from the upstream chart of the inference release (--inference-version; default: the
release of the installed InferencePool CRD, else %[1]s):

  v1.6 and later   llm-d-router's gateway-mode chart, oci://ghcr.io/llm-d/charts/llm-d-router-gateway
                   (%[2]s); values under router.* (router.modelServers.matchLabels, ...)
  v1.0 to v1.5     the inference extension's chart, oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool
                   at that release; values under inferencePool.* and inferenceExtension.*

The two charts take different keys, and the new one refuses the old ones: igwctl sets each
flag at the path of the chart it installs, and refuses -f/--set values written for the other.
Flags win over -f and --set; defaults do not.

--failure-mode is always passed: the charts default to FailOpen (while the picker is down,
requests go to some pod, unpicked), the InferencePool API to FailClose (they fail); igwctl
takes the API's.

--route applies the pool's HTTPRoute on --gateway (path prefix /, with --base-model only
requests whose %[3]s header, which bbr sets for LoRA adapters, names that model), and
--objective NAME=PRIORITY an InferenceObjective for the pool, in the group the installed picker
reads (llm-d.ai for llm-d-router's, inference.networking.x-k8s.io for the inference extension's),
both with server-side apply as %[4]q, labelled as igwctl's.

Before installing, the command refuses when the InferencePool CRD is missing, when the Gateway
does not exist (with --route or a --provider), when no pod matches the selector (only a warning
with --wait=false: pods may come later), and when the release, route or an objective exists but
igwctl did not create it (--force takes it over). Then it waits up to --timeout for the picker's
Deployment and for every Gateway to accept the pool, and says "installed but not ready" and
why otherwise. Run again, it upgrades the release and says what changed.

--dry-run (or --dry-run=client) renders the chart and the objects without a cluster;
--dry-run=server has the cluster check them, changing nothing.`, pool.RouterChartVersion, "default "+pool.RouterChartVersion, pool.BaseModelHeader, kube.FieldManager),
		Example: `  # vLLM pods labelled app=llama behind Istio's inference-gateway
  igwctl install pool llama --selector app=llama --provider istio --route -n llm

  # An adapter's base model, two objectives, two picker replicas
  igwctl install pool qwen --selector app=qwen --route --base-model Qwen/Qwen2.5-7B \
    --objective critical=10 --objective batch=-1 --picker-replicas 2

  # The inference extension's v1.5 chart, from a mirror
  igwctl install pool llama --selector app=llama --inference-version v1.5.0 --chart-repo oci://mirror.example.com/charts

  # What would be installed
  igwctl install pool llama --selector app=llama --dry-run -o yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return errors.New("give the pool's name: igwctl install pool NAME --selector KEY=VALUE")
			}
			return nil
		},
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.given = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { o.given[f.Name] = true })
			return o.Validate()
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Selector, "selector", "", "labels of the model server pods, KEY=VALUE[,KEY=VALUE...] (required)")
	fs.IntSliceVar(&o.TargetPorts, "target-port", o.TargetPorts, "port the model servers listen on (repeatable, up to 8)")
	fs.StringVar(&o.Engine, "engine", o.Engine, "model server: "+strings.Join(pool.Engines(), ", "))
	fs.StringVar(&o.Provider, "provider", o.Provider, "gateway provider: "+strings.Join(providers.BBRProviders(), ", "))
	fs.StringVar(&o.Gateway, "gateway", o.Gateway, "the Gateway the route attaches the pool to")
	fs.StringVar(&o.GatewayNamespace, "gateway-namespace", "", "namespace of the Gateway (default: the pool's)")
	fs.BoolVar(&o.Route, "route", false, "apply the pool's HTTPRoute on --gateway")
	fs.StringVar(&o.BaseModel, "base-model", "", "with --route, match only requests for this base model (header "+pool.BaseModelHeader+")")
	fs.IntVar(&o.PickerReplicas, "picker-replicas", o.PickerReplicas, "endpoint picker replicas (more than one adds leader election)")
	fs.StringVar(&o.FailureMode, "failure-mode", o.FailureMode, "what requests do while the picker is down: FailClose (fail) or FailOpen (go to some pod)")
	fs.StringArrayVar(&o.Objectives, "objective", nil, "InferenceObjective NAME=PRIORITY for the pool (repeatable; higher is more important)")
	fs.StringVar(&o.InferenceVersion, "inference-version", "", "inference extension release whose chart generation to install (default: the installed CRD's)")
	fs.StringVar(&o.Version, "version", "", "chart version (default: "+pool.RouterChartVersion+" for llm-d-router, the inference release for older ones)")
	fs.StringArrayVarP(&o.Files, "values", "f", nil, "values file for the chart (repeatable)")
	fs.StringArrayVar(&o.Set, "set", nil, "chart value, key=value as helm --set (repeatable)")
	fs.StringArrayVar(&o.SetString, "set-string", nil, "string chart value, key=value (repeatable)")
	fs.StringVar(&o.ChartRepo, "chart-repo", "", "fetch the chart from this mirror: oci://HOST/PATH or an HTTP(S) chart repository URL")
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "talk plain HTTP to the OCI registry of --chart-repo")
	fs.BoolVar(&o.Force, "force", false, "take over a release, HTTPRoute or InferenceObjective igwctl did not create")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" renders the chart and objects without a cluster; "server" has the cluster check them, changing nothing; "none" installs`)
	fs.BoolVar(&o.Wait, "wait", o.Wait, "wait for the picker and the gateway's acceptance (--wait=false: report and return)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long hooks and the wait may take")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Validate checks every flag before any cluster call, and builds the pool's spec.
func (o *Options) Validate() error {
	if err := chartutil.ValidateReleaseName(o.Name); err != nil || len(validation.IsDNS1123Label(o.Name)) > 0 {
		return fmt.Errorf("pool name %q is invalid: use at most 53 lowercase letters, digits and '-', starting and ending with a letter or digit", o.Name)
	}
	sel, err := ParseSelector(o.Selector)
	if err != nil {
		return err
	}
	if err := checkPorts(o.TargetPorts); err != nil {
		return err
	}
	for _, c := range []struct {
		flag, value string
		valid       []string
	}{
		{"engine", o.Engine, pool.Engines()},
		{"provider", o.Provider, providers.BBRProviders()},
		{"failure-mode", o.FailureMode, []string{pool.FailClose, pool.FailOpen}},
	} {
		if !slices.Contains(c.valid, c.value) {
			return fmt.Errorf("unknown --%s %q; valid: %s", c.flag, c.value, strings.Join(c.valid, ", "))
		}
	}
	if o.PickerReplicas < 1 {
		return fmt.Errorf("--picker-replicas must be 1 or more, got %d", o.PickerReplicas)
	}
	if o.BaseModel != "" && !o.Route {
		return errors.New("--base-model restricts the route: it needs --route")
	}
	if errs := validation.IsDNS1123Subdomain(o.Gateway); len(errs) > 0 {
		return fmt.Errorf("--gateway %q is not a valid name: %s", o.Gateway, strings.Join(errs, "; "))
	}
	if o.GatewayNamespace != "" {
		if errs := validation.IsDNS1123Label(o.GatewayNamespace); len(errs) > 0 {
			return fmt.Errorf("--gateway-namespace %q is not a valid namespace: %s", o.GatewayNamespace, strings.Join(errs, "; "))
		}
	}
	if o.objectives, err = ParseObjectives(o.Objectives); err != nil {
		return err
	}
	if o.InferenceVersion != "" {
		if _, err := pool.GenerationOf(o.InferenceVersion); err != nil {
			return err
		}
	}
	if o.ChartRepo != "" {
		if err := providers.ValidateRepo(o.ChartRepo); err != nil {
			return err
		}
	}
	if o.PlainHTTP && !strings.HasPrefix(o.ChartRepo, "oci://") {
		return errors.New("--plain-http needs --chart-repo oci://HOST/PATH")
	}
	o.spec = pool.Spec{Name: o.Name, Selector: sel, TargetPorts: o.TargetPorts, Engine: o.Engine, Provider: o.Provider,
		PickerReplicas: o.PickerReplicas, FailureMode: o.FailureMode}
	return nil
}

// ParseSelector reads KEY=VALUE[,KEY=VALUE...], each a valid label, as the pool's matchLabels.
func ParseSelector(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("--selector is required: the labels of the model server pods, e.g. --selector app=llama")
	}
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || strings.ContainsAny(part, "!()") || strings.HasPrefix(v, "=") {
			return nil, fmt.Errorf("--selector %q: write KEY=VALUE pairs separated by commas, e.g. app=llama,tier=gpu (an InferencePool selects by labels only, without expressions)", s)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("--selector: %q is not a valid label key: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("--selector: %q is not a valid label value: %s", v, strings.Join(errs, "; "))
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("--selector gives label %q twice", k)
		}
		m[k] = v
	}
	if _, err := labels.ValidatedSelectorFromSet(m); err != nil {
		return nil, fmt.Errorf("--selector %q: %v", s, err)
	}
	return m, nil
}

// checkPorts applies the CRD's rules to --target-port: 1 to 8 ports, each 1..65535, unique.
func checkPorts(ports []int) error {
	if len(ports) == 0 || len(ports) > 8 {
		return fmt.Errorf("--target-port: give 1 to 8 ports (an InferencePool holds at most 8), got %d", len(ports))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("--target-port %d is out of range: ports are 1 to 65535", p)
		}
		if seen[p] {
			return fmt.Errorf("--target-port %d is given twice: each port must be unique", p)
		}
		seen[p] = true
	}
	return nil
}

// ParseObjectives reads each NAME=PRIORITY.
func ParseObjectives(specs []string) ([]pool.Objective, error) {
	var out []pool.Objective
	seen := map[string]bool{}
	for _, s := range specs {
		name, prio, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--objective %q: write NAME=PRIORITY, e.g. --objective critical=10", s)
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return nil, fmt.Errorf("--objective %q: %q is not a valid name: %s", s, name, strings.Join(errs, "; "))
		}
		p, err := strconv.ParseInt(strings.TrimSpace(prio), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--objective %q: the priority must be an integer (higher is more important, below 0 is shed first), got %q", s, prio)
		}
		if seen[name] {
			return nil, fmt.Errorf("--objective %q is given twice", name)
		}
		seen[name] = true
		out = append(out, pool.Objective{Name: name, Priority: p})
	}
	return out, nil
}
