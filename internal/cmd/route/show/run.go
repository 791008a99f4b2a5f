package show

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/cmdutil"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/routing"
)

var (
	gkGateway   = schema.GroupKind{Group: routing.GatewayGroup, Kind: "Gateway"}
	gkHTTPRoute = schema.GroupKind{Group: routing.GatewayGroup, Kind: "HTTPRoute"}
)

// modelHeaders are the headers bbr sets that carry a model, which model routes match.
func modelHeaders() []string {
	return []string{bbr.HeaderInferenceModel, bbr.HeaderModelName, bbr.HeaderBaseModelName}
}

// Run reads the routes and prints them.
func Run(ctx context.Context, o *Options) error {
	scope, err := inventory.ScopeOf(o.Kube, o.AllNamespaces, o.Namespace)
	if err != nil {
		return err
	}
	inv, err := inventory.Read(ctx, o.Kube, scope)
	if err != nil {
		return err
	}
	inv.WriteGaps(o.IO.ErrOut, "the listing")
	res, err := Build(inv.Snapshot)
	if err != nil {
		return err
	}
	res.Scope = scope.String()
	return cmdutil.Print(o.IO.Out, o.Output, res)
}

// Build finds the model routes in a snapshot and the conflicts among them.
func Build(snap *diag.Snapshot) (*Result, error) {
	var routes []*routing.Route
	for _, u := range snap.OfKind(gkHTTPRoute) {
		r, err := routing.FromObject(u)
		if err != nil {
			return nil, err
		}
		routes = append(routes, &r)
	}
	gateways := map[string]*routing.Gateway{}
	for _, u := range snap.OfKind(gkGateway) {
		g := routing.GatewayFromObject(u)
		gateways[g.Key()] = &g
	}
	res := &Result{Routes: []ModelRoute{}}
	groups := map[[2]string][]routing.ModelRule{}
	for _, mr := range routing.ModelRules(routes, modelHeaders()) {
		res.Routes = append(res.Routes, modelRoute(mr))
		for _, gw := range gatewaysOf(mr.Route) {
			k := [2]string{gw, mr.Model}
			groups[k] = append(groups[k], mr)
		}
	}
	for k, mrs := range groups {
		if c := conflict(k[0], k[1], mrs, gateways[k[0]]); c != nil {
			res.Conflicts = append(res.Conflicts, *c)
		}
	}
	slices.SortFunc(res.Conflicts, func(a, b Conflict) int {
		return strings.Compare(a.Gateway+"\x00"+a.Model, b.Gateway+"\x00"+b.Model)
	})
	return res, nil
}

// gatewaysOf are the Gateways a route's parentRefs name, "namespace/name", once each.
func gatewaysOf(r *routing.Route) []string {
	var out []string
	for _, p := range r.ParentRefs {
		if p.Group == routing.GatewayGroup && p.Kind == "Gateway" && !slices.Contains(out, p.Namespace+"/"+p.Name) {
			out = append(out, p.Namespace+"/"+p.Name)
		}
	}
	return out
}

func modelRoute(mr routing.ModelRule) ModelRoute {
	r := mr.Route
	m := ModelRoute{Model: mr.Model, Header: mr.Header, Namespace: r.Namespace, Name: r.Name, Rule: mr.Rule,
		Gateways: gatewaysOf(r), ManagedBy: r.Labels["app.kubernetes.io/managed-by"]}
	for _, s := range routing.SplitOf(r.Rules[mr.Rule].Backends).Shares {
		b := s.Backend
		m.Pools = append(m.Pools, Pool{Kind: b.Kind, Namespace: b.Namespace, Name: b.Name, Weight: b.Weight, Probability: s.Probability, Percent: s.Percent})
	}
	for _, p := range r.Parents {
		ps := Parent{Gateway: p.Gateway, Controller: p.Controller, Accepted: "Unknown", ResolvedRefs: "Unknown"}
		for _, c := range p.Conditions {
			switch c.Type {
			case "Accepted":
				ps.Accepted, ps.AcceptedReason = string(c.Status), c.Reason
			case "ResolvedRefs":
				ps.ResolvedRefs, ps.ResolvedRefsReason = string(c.Status), c.Reason
			}
		}
		m.Parents = append(m.Parents, ps)
	}
	return m
}

// conflict decides among the rules matching one model on one Gateway, as the Gateway would for a
// request of that model; nil when only one rule matches it.
func conflict(gwKey, model string, mrs []routing.ModelRule, gw *routing.Gateway) *Conflict {
	var routes []*routing.Route
	rules := map[string]bool{}
	for _, mr := range mrs {
		rules[fmt.Sprintf("%s#%d", mr.Route.Key(), mr.Rule)] = true
		if !slices.Contains(routes, mr.Route) {
			routes = append(routes, mr.Route)
		}
	}
	if len(rules) < 2 {
		return nil
	}
	if gw == nil {
		// Not in the snapshot (another namespace's, unread): judge the routes by their own
		// matches, as on a listener that admits them all.
		ns, name, _ := strings.Cut(gwKey, "/")
		gw = &routing.Gateway{Namespace: ns, Name: name, Listeners: []routing.Listener{{Name: "http", Protocol: "HTTP", Port: 80, From: "All"}}}
	}
	d := routing.Select(gw, routes, routing.ModelRequest(model, modelHeaders()))
	if d.Winner == nil {
		return nil
	}
	c := &Conflict{Gateway: gwKey, Model: model, Winner: RuleRef{Namespace: d.Winner.Route.Namespace, Name: d.Winner.Route.Name, Rule: d.Winner.Rule}}
	for _, l := range d.Losers {
		if l.Rule >= 0 {
			c.Losers = append(c.Losers, Loser{RuleRef: RuleRef{Namespace: l.Route.Namespace, Name: l.Route.Name, Rule: l.Rule}, Why: l.Why})
		}
	}
	if len(c.Losers) == 0 {
		return nil
	}
	return c
}
