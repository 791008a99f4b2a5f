// Package simulate is `igwctl route simulate`: which route, rule and pools a request would take
// through a Gateway, predicted with bbr's own decision code and Gateway API's route matching.
package simulate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/kube"
)

// Options are the flags of `igwctl route simulate` and what the command is given.
type Options struct {
	IO   *cmdutil.IOStreams
	Kube kube.Factory

	Gateway   string
	Body      string
	Model     string
	Headers   []string
	Path      string
	Method    string
	Host      string
	Files     []string
	Recursive bool
	Adapters  string
	// Namespace is -n when given: the Gateway's namespace when --gateway names none, and where
	// file objects without a namespace go.
	Namespace string
	Output    cmdutil.Format
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO, Kube: f.Kube, Path: "/v1/chat/completions", Method: "POST"}
	cmd := &cobra.Command{
		Use:   "simulate --gateway GATEWAY (--body FILE|JSON | --model MODEL)",
		Short: "Predict which route, rule and pools a request takes through a Gateway",
		Long: `Predict, without sending it, where a request goes through a Gateway with bbr in front: which
HTTPRoute and rule it takes, which InferencePools with what probability, and why every other
route attached to the Gateway loses.

The body goes through bbr's own decision code: the same JSON scanner, limits and error codes, and
the same LoRA adapter mapping (x-gateway-base-model-name), read from --adapters (the format of
bbr --adapters-file) or from the ConfigMaps bbr reads (labelled
inference.networking.k8s.io/bbr-managed or inference.llm-d.ai/ipp-managed). The headers bbr owns
are stripped from what the client sent (-H), as bbr strips them, and bbr's are set. A body bbr
would reject prints the status and error the client would get.

Then Gateway API's HTTPRoute matching picks among the routes attached to the Gateway: the most
specific hostname (--host), an exact path over the longest prefix over a regular expression, a
method, the most header matches, the most query parameter matches; ties go to the oldest route,
then to namespace/name order, then to the first rule. Probabilities are exact: weight / sum.

With -f the routes, Gateway and adapter ConfigMaps come from files, offline; without it from
the cluster (one LIST per kind, every namespace, since routes in any namespace may attach).
Exit status 0 when the request reaches a backend, 1 when it would fail (bbr rejects it, no route
matches: 404, or the rule has no backend with weight: 500), 3 when no prediction could be made
(a bad command line, unreadable files, no cluster, no such Gateway).`,
		Example: `  # An OpenAI SDK request body against the cluster's routes
  igwctl route simulate --gateway inference-gateway --body request.json

  # Just a model, against files, with the adapter mapping bbr reads from a file
  igwctl route simulate --gateway inference-gateway --model food-review-1 -f deploy/ --adapters adapters.yaml

  # A client that sends its own model header (bbr strips it) and a host
  igwctl route simulate --gateway inference-gateway --body '{"model":"llama"}' -H 'x-gateway-inference-model: qwen' --host llm.example.com`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(cmd *cobra.Command, _ []string) error {
			if ns := cmd.Flags().Lookup("namespace"); ns != nil && ns.Changed {
				o.Namespace = ns.Value.String()
			}
			return cannot(o.Validate())
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Gateway, "gateway", "", "the Gateway the request arrives at, NAME or NAMESPACE/NAME")
	fs.StringVar(&o.Body, "body", "", "request body: a JSON object, a file, or - for stdin")
	fs.StringVar(&o.Model, "model", "", "send the body {\"model\": MODEL} instead of --body")
	fs.StringArrayVarP(&o.Headers, "header", "H", nil, "a request header 'name: value', as the client sends it (repeatable)")
	fs.StringVar(&o.Path, "path", o.Path, "request path, with ?query when the routes match query parameters")
	fs.StringVar(&o.Method, "method", o.Method, "request method")
	fs.StringVar(&o.Host, "host", "", "the request's host (default: any; hostnames are then not checked)")
	fs.StringArrayVarP(&o.Files, "filename", "f", nil, "read the routes, Gateway and adapter ConfigMaps from files (FILE, DIR or -), not the cluster")
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "read directories of -f recursively")
	fs.StringVar(&o.Adapters, "adapters", "", "LoRA adapter mapping file, as bbr --adapters-file reads it, instead of the adapter ConfigMaps")
	cmdutil.AddOutputFlag(fs, &o.Output)
	return cmd
}

// Validate checks the flags that their types cannot.
func (o *Options) Validate() error {
	if o.Gateway == "" {
		return errors.New("--gateway is required: the Gateway the request arrives at")
	}
	if (o.Body == "") == (o.Model == "") {
		return errors.New("give the request as --body FILE|JSON or as --model MODEL, one of the two")
	}
	for _, h := range o.Headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("-H %q: write a header as 'name: value'", h)
		}
	}
	if !strings.HasPrefix(o.Path, "/") {
		return fmt.Errorf("--path %q must start with /", o.Path)
	}
	return nil
}
