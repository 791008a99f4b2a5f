package show

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/igw-dev/igw/internal/routing"
)

// Result is every model route and the conflicts among them, as -o json|yaml prints it.
type Result struct {
	Scope     string       `json:"scope,omitempty"`
	Routes    []ModelRoute `json:"routes"`
	Conflicts []Conflict   `json:"conflicts,omitempty"`
}

// ModelRoute is one rule that matches a model by a body router's header.
type ModelRoute struct {
	Model     string   `json:"model"`
	Header    string   `json:"header"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Rule      int      `json:"rule"`
	Gateways  []string `json:"gateways"`
	Pools     []Pool   `json:"pools"`
	Parents   []Parent `json:"parents,omitempty"`
	ManagedBy string   `json:"managedBy,omitempty"`
}

// Pool is one backend and its share of the rule's requests.
type Pool struct {
	Kind        string  `json:"kind"`
	Namespace   string  `json:"namespace"`
	Name        string  `json:"name"`
	Weight      int32   `json:"weight"`
	Probability string  `json:"probability"`
	Percent     float64 `json:"percent"`
}

// Parent is what one Gateway's controller wrote about the route.
type Parent struct {
	Gateway            string `json:"gateway"`
	Controller         string `json:"controller,omitempty"`
	Accepted           string `json:"accepted"`
	AcceptedReason     string `json:"acceptedReason,omitempty"`
	ResolvedRefs       string `json:"resolvedRefs"`
	ResolvedRefsReason string `json:"resolvedRefsReason,omitempty"`
}

// RuleRef names a route's rule.
type RuleRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Rule      int    `json:"rule"`
}

func (r RuleRef) String() string { return fmt.Sprintf("%s/%s rule %d", r.Namespace, r.Name, r.Rule) }

// Conflict is several rules matching one model on one Gateway: the winner takes every request.
type Conflict struct {
	Gateway string  `json:"gateway"`
	Model   string  `json:"model"`
	Winner  RuleRef `json:"winner"`
	Losers  []Loser `json:"losers"`
}

// Loser is a rule that never sees the model's requests, and why.
type Loser struct {
	RuleRef
	Why string `json:"why"`
}

// WriteText writes a table of the routes, then the conflicts.
func (r *Result) WriteText(w io.Writer) error {
	if len(r.Routes) == 0 {
		fmt.Fprintf(w, "no model routes in %s\n", r.Scope)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tGATEWAY\tROUTE\tPOOLS\tSTATUS")
	for _, m := range r.Routes {
		model := m.Model
		if m.Header == "x-gateway-base-model-name" {
			model += " (base model)"
		}
		var pools []string
		for _, p := range m.Pools {
			pools = append(pools, p.Name+" "+routing.PercentText(p.Percent))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%s rule %d\t%s\t%s\n", model, strings.Join(m.Gateways, ","), m.Namespace, m.Name, m.Rule,
			strings.Join(pools, ", "), status(m.Parents))
	}
	tw.Flush()
	for _, c := range r.Conflicts {
		fmt.Fprintf(w, "\nmodel %q on Gateway %s: %s wins\n", c.Model, c.Gateway, c.Winner)
		for _, l := range c.Losers {
			fmt.Fprintf(w, "  %s never sees it: %s\n", l.RuleRef, l.Why)
		}
	}
	return nil
}

// status is each Gateway's verdict in a few words: "Accepted, ResolvedRefs" when all is well.
func status(ps []Parent) string {
	if len(ps) == 0 {
		return "no status (no controller has seen it)"
	}
	var out []string
	for _, p := range ps {
		s := condition("Accepted", p.Accepted, p.AcceptedReason) + ", " + condition("ResolvedRefs", p.ResolvedRefs, p.ResolvedRefsReason)
		if len(ps) > 1 {
			s = p.Gateway + ": " + s
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func condition(name, status, reason string) string {
	if status == "True" {
		return name
	}
	if reason != "" {
		return fmt.Sprintf("%s=%s (%s)", name, status, reason)
	}
	return name + "=" + status
}
