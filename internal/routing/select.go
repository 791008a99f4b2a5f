package routing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Candidate is one match of one rule that the request meets.
type Candidate struct {
	Route *Route
	Rule  int
	Match int
	// Host is the route's hostname the request's host matched ("" when not checked or any).
	Host      string
	hostScore [2]int
}

func (c Candidate) match() Match { return c.Route.Rules[c.Rule].Matches[c.Match] }

// Loser is a route attached to the Gateway that does not take the request, and why.
type Loser struct {
	Route *Route
	// Rule is the rule that matched but lost on precedence, -1 when no rule matched.
	Rule int
	Why  string
}

// Decision is where a request goes among the routes attached to one Gateway.
type Decision struct {
	// Winner is nil when no rule matches: the Gateway answers 404.
	Winner *Candidate
	Split  Split
	// Losers are the other routes attached to the Gateway (and the winner's other matching
	// rules), in precedence order, then by namespace/name.
	Losers []Loser
	// Ignored are routes that name the Gateway but are not attached to it, and why.
	Ignored []Loser
}

// Select applies Gateway API's HTTPRoute matching and precedence to a request on gw: among the
// attached routes' matches the request meets, the most specific hostname wins, then an exact
// path, the longest prefix (a regular expression after both), a method, the most header matches,
// the most query parameter matches; ties go to the oldest route, then to namespace/name order,
// then to the first rule and match in the route.
func Select(gw *Gateway, routes []*Route, q Request) Decision {
	var d Decision
	var cands []Candidate
	missed := map[*Route]string{}
	for _, r := range routes {
		if !namesGateway(r, gw) {
			continue
		}
		hosts, why := attached(r, gw)
		if why == "" && !acceptedBy(r, gw) {
			why = "Gateway " + gw.Key() + "'s controller did not accept it (status Accepted=False)"
		}
		if why != "" {
			d.Ignored = append(d.Ignored, Loser{Route: r, Rule: -1, Why: why})
			continue
		}
		score, host, ok := hostScore(hosts, q.Host)
		if !ok {
			missed[r] = fmt.Sprintf("host %s is none of its hostnames (%s)", q.Host, strings.Join(hosts, ", "))
			continue
		}
		var whys []string
		for i, rule := range r.Rules {
			for j, m := range rule.Matches {
				ok, why := matches(m, q)
				if ok {
					cands = append(cands, Candidate{Route: r, Rule: i, Match: j, Host: host, hostScore: score})
					continue
				}
				label := fmt.Sprintf("rule %d", i)
				if len(rule.Matches) > 1 {
					label += fmt.Sprintf(" match %d", j)
				}
				whys = append(whys, label+": "+why)
			}
		}
		missed[r] = strings.Join(whys, "; ")
	}
	slices.SortStableFunc(cands, func(a, b Candidate) int { return compare(a, b) })
	seen := map[*Route]bool{}
	for i, c := range cands {
		if i == 0 {
			w := c
			d.Winner = &w
			d.Split = SplitOf(c.Route.Rules[c.Rule].Backends)
		}
		// One line per route: its best match, which is the one that lost.
		if seen[c.Route] {
			continue
		}
		seen[c.Route] = true
		delete(missed, c.Route)
		if i > 0 {
			d.Losers = append(d.Losers, Loser{Route: c.Route, Rule: c.Rule, Why: "matches too, but " + Why(*d.Winner, c)})
		}
	}
	if d.Winner != nil {
		delete(missed, d.Winner.Route)
	}
	var rest []Loser
	for r, why := range missed {
		if why == "" {
			why = "it has no rules"
		}
		rest = append(rest, Loser{Route: r, Rule: -1, Why: "no rule matches: " + why})
	}
	slices.SortFunc(rest, func(a, b Loser) int { return strings.Compare(a.Route.Key(), b.Route.Key()) })
	slices.SortFunc(d.Ignored, func(a, b Loser) int { return strings.Compare(a.Route.Key(), b.Route.Key()) })
	d.Losers = append(d.Losers, rest...)
	return d
}

func namesGateway(r *Route, gw *Gateway) bool {
	for _, p := range r.ParentRefs {
		if p.Group == GatewayGroup && p.Kind == "Gateway" && p.Namespace == gw.Namespace && p.Name == gw.Name {
			return true
		}
	}
	return false
}

// acceptedBy is false only when the Gateway's controller said Accepted=False: a route without
// status (files, or no controller yet) is judged by its spec.
func acceptedBy(r *Route, gw *Gateway) bool {
	for _, p := range r.Parents {
		if p.Gateway != gw.Key() {
			continue
		}
		for _, c := range p.Conditions {
			if c.Type == "Accepted" && c.Status == "False" {
				return false
			}
		}
	}
	return true
}

// pathRank orders path match types: exact before any prefix, prefixes before regular
// expressions, whose specificity Gateway API leaves to the implementation.
func pathRank(m Match) int {
	switch m.PathType {
	case PathExact:
		return 2
	case PathPrefix:
		return 1
	}
	return 0
}

// compare orders two candidates, more specific first.
func compare(a, b Candidate) int {
	ma, mb := a.match(), b.match()
	return cmp.Or(
		-cmp.Compare(a.hostScore[0], b.hostScore[0]),
		-cmp.Compare(a.hostScore[1], b.hostScore[1]),
		-cmp.Compare(pathRank(ma), pathRank(mb)),
		-cmp.Compare(prefixLen(ma), prefixLen(mb)),
		-cmp.Compare(btoi(ma.Method != ""), btoi(mb.Method != "")),
		-cmp.Compare(len(firstOfEachName(ma.Headers, true)), len(firstOfEachName(mb.Headers, true))),
		-cmp.Compare(len(firstOfEachName(ma.Query, false)), len(firstOfEachName(mb.Query, false))),
		a.Route.Created.Compare(b.Route.Created),
		strings.Compare(a.Route.Key(), b.Route.Key()),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Match, b.Match),
	)
}

func prefixLen(m Match) int {
	if m.PathType != PathPrefix {
		return 0
	}
	return len(strings.TrimSuffix(m.PathValue, "/"))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Why says in words why candidate w wins over l: the first rule of precedence that tells them
// apart.
func Why(w, l Candidate) string {
	mw, ml := w.match(), l.match()
	name := func(c Candidate) string { return fmt.Sprintf("%s rule %d", c.Route.Key(), c.Rule) }
	switch {
	case w.hostScore != l.hostScore:
		return fmt.Sprintf("%s has the more specific hostname (%s over %s)", name(w), or(&w.Host, "any"), or(&l.Host, "any"))
	case pathRank(mw) != pathRank(ml):
		return fmt.Sprintf("%s's path match (%s %s) ranks above %s %s (Exact, then PathPrefix, then RegularExpression)", name(w), mw.PathType, mw.PathValue, ml.PathType, ml.PathValue)
	case prefixLen(mw) != prefixLen(ml):
		return fmt.Sprintf("%s's path prefix %s is longer than %s", name(w), mw.PathValue, ml.PathValue)
	case (mw.Method != "") != (ml.Method != ""):
		return fmt.Sprintf("%s also matches the method (%s)", name(w), mw.Method)
	case len(firstOfEachName(mw.Headers, true)) != len(firstOfEachName(ml.Headers, true)):
		return fmt.Sprintf("%s matches more headers (%d against %d)", name(w), len(firstOfEachName(mw.Headers, true)), len(firstOfEachName(ml.Headers, true)))
	case len(firstOfEachName(mw.Query, false)) != len(firstOfEachName(ml.Query, false)):
		return fmt.Sprintf("%s matches more query parameters (%d against %d)", name(w), len(firstOfEachName(mw.Query, false)), len(firstOfEachName(ml.Query, false)))
	case !w.Route.Created.Equal(l.Route.Created):
		return fmt.Sprintf("equally specific, and %s is older (created %s, against %s)", w.Route.Key(),
			w.Route.Created.UTC().Format("2006-01-02T15:04:05Z"), l.Route.Created.UTC().Format("2006-01-02T15:04:05Z"))
	case w.Route != l.Route:
		return fmt.Sprintf("equally specific and created at the same time, and %s sorts before %s", w.Route.Key(), l.Route.Key())
	}
	return fmt.Sprintf("equally specific, and rule %d comes first in the route", w.Rule)
}
