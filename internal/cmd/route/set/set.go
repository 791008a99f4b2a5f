// Package set is `igwctl route set`: one HTTPRoute per model, from the header bbr sets to
// InferencePools by weight, applied server-side as igwctl.
package set

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl route set` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory

	Model   string
	Gateway string
	Pools   []string
	Header  string
	DryRun  kube.DryRun
	Force   bool
	Output  cmdutil.Format

	// weights are the parsed --pool values, in order.
	weights []PoolWeight
}

// PoolWeight is one --pool POOL=WEIGHT.
type PoolWeight struct {
	Pool   string `json:"pool"`
	Weight int32  `json:"weight"`
}

// maxWeight is Gateway API's limit on a backendRef weight.
const maxWeight = 1000000

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Header: bbr.HeaderInferenceModel}
	cmd := &cobra.Command{
		Use:   "set MODEL --gateway GATEWAY --pool POOL=WEIGHT [--pool POOL=WEIGHT ...]",
		Short: "Send a model's requests to InferencePools by weight",
		Long: `Create or update the HTTPRoute of one model: one rule on the Gateway matching the header bbr
sets from the request body (x-gateway-inference-model: MODEL; --header x-gateway-base-model-name
routes every adapter of a base model) and sending the requests to the InferencePools of --pool
with their weights. "Shift 10% to v2" is --pool v1=90 --pool v2=10; a weight of 0 drains a pool.

The route is named after the model, labelled as igwctl's, and applied server-side with field
manager igwctl in the namespace of -n, where the pools must be; it reports created, configured
or unchanged. Before changing anything it checks that the Gateway exists, that every pool
exists as an inference.networking.k8s.io InferencePool (an alpha pool needs igwctl convert
first), that a body router runs in front of the Gateway and sets the header, and that the route
is igwctl's: a route of that name that another tool created is taken over only with --force,
which also applies despite the other problems.

--dry-run (or --dry-run=client) shows what would change; --dry-run=server has the API server
check the route without storing it.`,
		Example: `  # Serve llama from one pool
  igwctl route set llama --gateway inference-gateway --pool llama-v1=100 -n llm

  # Canary: shift 10% to v2
  igwctl route set llama --gateway inference-gateway --pool llama-v1=90 --pool llama-v2=10 -n llm

  # Every adapter of a base model, by the header bbr sets from its adapter mapping
  igwctl route set meta-llama/Llama-3.1-8B-Instruct --header x-gateway-base-model-name --gateway inference-gateway --pool llama-lora=1`,
		Args: cobra.ExactArgs(1),
		RunE: cmdutil.RunE(o, Run, hook, func(_ *cobra.Command, args []string) error {
			o.Model = args[0]
			return o.Validate()
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Gateway, "gateway", "", "the Gateway the route attaches to, NAME or NAMESPACE/NAME")
	fs.StringArrayVar(&o.Pools, "pool", nil, "an InferencePool and its weight, POOL=WEIGHT (repeatable; POOL alone means weight 1)")
	fs.StringVar(&o.Header, "header", o.Header, "the request header the route matches, as bbr sets it")
	fs.BoolVar(&o.Force, "force", false, "take over a route another tool created, and apply despite the checks' problems")
	cmdutil.AddDryRunFlag(fs, &o.DryRun, `"client" shows what would change; "server" has the API server check the route without storing it; "none" applies`)
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Validate checks the model, the Gateway and the weights.
func (o *Options) Validate() error {
	if strings.TrimSpace(o.Model) != o.Model || o.Model == "" || strings.ContainsFunc(o.Model, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("model %q: bbr sets no header for an empty model, one with control characters or surrounding spaces", o.Model)
	}
	if o.Gateway == "" {
		return errors.New("--gateway is required: the Gateway whose requests the route matches")
	}
	for _, part := range strings.Split(o.Gateway, "/") {
		if errs := validation.IsDNS1123Subdomain(part); len(errs) > 0 || strings.Count(o.Gateway, "/") > 1 {
			return fmt.Errorf("--gateway %q: give NAME or NAMESPACE/NAME", o.Gateway)
		}
	}
	o.Header = strings.ToLower(strings.TrimSpace(o.Header))
	if errs := validation.IsHTTPHeaderName(o.Header); len(errs) > 0 {
		return fmt.Errorf("--header %q: %s", o.Header, strings.Join(errs, "; "))
	}
	ws, err := ParsePools(o.Pools)
	if err != nil {
		return err
	}
	o.weights = ws
	return nil
}

// ParsePools reads --pool values: names once each, weights whole numbers from 0 to Gateway API's
// 1,000,000, not all 0 (a route that sends its model nowhere is `kubectl delete`).
func ParsePools(vals []string) ([]PoolWeight, error) {
	if len(vals) == 0 {
		return nil, errors.New("--pool is required: at least one POOL=WEIGHT")
	}
	var out []PoolWeight
	seen, total := map[string]bool{}, 0
	for _, v := range vals {
		name, w, hasWeight := strings.Cut(v, "=")
		weight := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || n < 0 || n > maxWeight {
				return nil, fmt.Errorf("--pool %s: the weight must be a whole number from 0 to %d", v, maxWeight)
			}
			weight = n
		}
		name = strings.TrimSpace(name)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return nil, fmt.Errorf("--pool %s: %q is not an InferencePool name: %s", v, name, strings.Join(errs, "; "))
		}
		if seen[name] {
			return nil, fmt.Errorf("--pool %s: pool %s is given twice", v, name)
		}
		seen[name] = true
		total += weight
		out = append(out, PoolWeight{Pool: name, Weight: int32(weight)})
	}
	if total == 0 {
		return nil, errors.New("every --pool weight is 0: the route would match the model and send it nowhere (500); give one pool a weight, or delete the route")
	}
	return out, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// RouteName is the route's name for a model: the model in DNS-1123 form, cut to leave room, and
// a hash of the exact model, so Llama and llama, or two long names alike in their first
// characters, get routes of their own.
func RouteName(model string) string {
	slug := strings.Trim(nonName.ReplaceAllString(strings.ToLower(model), "-"), "-")
	if len(slug) > 48 {
		slug = strings.TrimRight(slug[:48], "-")
	}
	sum := sha256.Sum256([]byte(model))
	h := hex.EncodeToString(sum[:4])
	if slug == "" {
		return "model-" + h
	}
	return slug + "-" + h
}
