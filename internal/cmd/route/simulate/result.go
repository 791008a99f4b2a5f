package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/routing"
)

// Result is the prediction, as -o json|yaml prints it.
type Result struct {
	Gateway string `json:"gateway"`
	// Status is what the client gets before any model server answers: 200 when a backend is
	// chosen, bbr's rejection, 404 without a route, 500 without a backend.
	Status int     `json:"status"`
	BBR    BBRStep `json:"bbr"`
	// Headers are the request's headers after bbr, as route matching sees them.
	Headers map[string][]string `json:"headers,omitempty"`
	Route   *RouteRef           `json:"route,omitempty"`
	Pools   []Pool              `json:"backends,omitempty"`
	Others  []Other             `json:"otherRoutes,omitempty"`
	Ignored []Other             `json:"notAttached,omitempty"`
	Notes   []string            `json:"notes,omitempty"`
}

// BBRStep is what bbr does to the request.
type BBRStep struct {
	Outcome  string       `json:"outcome"`
	Model    string       `json:"model,omitempty"`
	Set      []bbr.Header `json:"set,omitempty"`
	Stripped []string     `json:"stripped,omitempty"`
	Rejected *Rejection   `json:"rejected,omitempty"`
}

// Rejection is bbr's answer to a body it refuses: the status and the OpenAI error body.
type Rejection struct {
	Status int             `json:"status"`
	Code   string          `json:"code"`
	Body   json.RawMessage `json:"body"`
}

// RouteRef is the route and rule the request takes.
type RouteRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Rule      int    `json:"rule"`
	Match     int    `json:"match"`
}

// Pool is one backend with its exact share of the rule's requests.
type Pool struct {
	Group       string  `json:"group"`
	Kind        string  `json:"kind"`
	Namespace   string  `json:"namespace"`
	Name        string  `json:"name"`
	Weight      int32   `json:"weight"`
	Probability string  `json:"probability"`
	Percent     float64 `json:"percent"`
}

// Other is a route that does not take the request, and why.
type Other struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Rule      *int   `json:"rule,omitempty"`
	Why       string `json:"why"`
}

// predict runs bbr on the request, then route matching on what bbr leaves.
func (r *Result) predict(p *bbr.Policy, body []byte, headers map[string][]string, gw *routing.Gateway, routes []*routing.Route, q routing.Request) {
	for _, h := range p.Owned() {
		if _, ok := headers[h]; ok {
			r.BBR.Stripped = append(r.BBR.Stripped, h)
			delete(headers, h)
		}
	}
	d, rej := p.DecideBody(body, int(bbr.DefaultOptions().MaxBodyBytes))
	if rej != nil {
		r.Status, r.BBR.Outcome = rej.Status, string(bbr.OutcomeRejected)
		r.BBR.Rejected = &Rejection{Status: rej.Status, Code: rej.Code, Body: rej.Body()}
		return
	}
	r.BBR.Outcome, r.BBR.Model, r.BBR.Set = string(d.Outcome), d.Model, d.Set
	for _, h := range d.Set {
		headers[h.Key] = []string{h.Value}
	}
	r.Headers, q.Headers = headers, headers
	dec := routing.Select(gw, routes, q)
	r.Others, r.Ignored = others(dec.Losers), others(dec.Ignored)
	switch {
	case dec.Winner == nil:
		r.Status = 404
		return
	case dec.Split.Total == 0:
		r.Status = 500
	default:
		r.Status = 200
	}
	w := dec.Winner
	r.Route = &RouteRef{Namespace: w.Route.Namespace, Name: w.Route.Name, Rule: w.Rule, Match: w.Match}
	for _, s := range dec.Split.Shares {
		b := s.Backend
		r.Pools = append(r.Pools, Pool{Group: b.Group, Kind: b.Kind, Namespace: b.Namespace, Name: b.Name, Weight: b.Weight, Probability: s.Probability, Percent: s.Percent})
	}
}

func others(ls []routing.Loser) []Other {
	var out []Other
	for _, l := range ls {
		o := Other{Namespace: l.Route.Namespace, Name: l.Route.Name, Why: l.Why}
		if l.Rule >= 0 {
			rule := l.Rule
			o.Rule = &rule
		}
		out = append(out, o)
	}
	return out
}

// WriteText writes bbr's step, the route, the split and the losers.
func (r *Result) WriteText(w io.Writer) error {
	b := r.BBR
	switch {
	case b.Rejected != nil:
		fmt.Fprintf(w, "bbr: rejects the request: %d %s\n  %s\n", b.Rejected.Status, b.Rejected.Code, b.Rejected.Body)
	case b.Model != "":
		var set []string
		for _, h := range b.Set {
			set = append(set, h.Key+": "+h.Value)
		}
		fmt.Fprintf(w, "bbr: model %q; sets %s\n", b.Model, strings.Join(set, ", "))
	default:
		fmt.Fprintln(w, "bbr: the body has no model; no model header is set")
	}
	if len(b.Stripped) > 0 {
		fmt.Fprintf(w, "bbr: strips the client's %s\n", strings.Join(b.Stripped, ", "))
	}
	if b.Rejected != nil {
		writeNotes(w, r.Notes)
		return nil
	}
	fmt.Fprintf(w, "Gateway %s: ", r.Gateway)
	switch {
	case r.Route == nil:
		fmt.Fprintln(w, "no route matches: 404")
	default:
		fmt.Fprintf(w, "HTTPRoute %s/%s rule %d", r.Route.Namespace, r.Route.Name, r.Route.Rule)
		if r.Route.Match > 0 {
			fmt.Fprintf(w, " match %d", r.Route.Match)
		}
		if r.Status == 500 {
			fmt.Fprint(w, ", which has no backend with a weight: 500")
		}
		fmt.Fprintln(w)
	}
	for _, p := range r.Pools {
		fmt.Fprintf(w, "  %s %s/%s  weight %d  %s (%s)\n", p.Kind, p.Namespace, p.Name, p.Weight, p.Probability, routing.PercentText(p.Percent))
	}
	if len(r.Others) > 0 {
		fmt.Fprintln(w, "other routes on the Gateway:")
		for _, o := range r.Others {
			fmt.Fprintf(w, "  %s\n", o.text())
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintln(w, "routes naming the Gateway but not attached:")
		for _, o := range r.Ignored {
			fmt.Fprintf(w, "  %s\n", o.text())
		}
	}
	writeNotes(w, r.Notes)
	return nil
}

func (o Other) text() string {
	s := "HTTPRoute " + o.Namespace + "/" + o.Name
	if o.Rule != nil {
		s += fmt.Sprintf(" rule %d", *o.Rule)
	}
	return s + ": " + o.Why
}

func writeNotes(w io.Writer, notes []string) {
	for _, n := range slices.Sorted(slices.Values(notes)) {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
