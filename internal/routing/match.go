package routing

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Request is what a route sees of a request: after the body router has set and stripped its
// headers. Header names are lower case; Host "" means any host (hostnames are then not checked).
type Request struct {
	Method  string
	Path    string // may carry ?query
	Host    string
	Headers map[string][]string
}

// path splits Path into the path and its query.
func (q Request) path() (string, url.Values) {
	p, raw, _ := strings.Cut(q.Path, "?")
	v, _ := url.ParseQuery(raw)
	if p == "" {
		p = "/"
	}
	return p, v
}

// attached reports whether the route is attached to a listener of gw (the listener lets its
// namespace in, and their hostnames intersect), and the hostnames it serves there.
func attached(r *Route, gw *Gateway) (hosts []string, why string) {
	why = "its parentRefs do not name Gateway " + gw.Key()
	for _, p := range r.ParentRefs {
		if p.Group != GatewayGroup || p.Kind != "Gateway" || p.Namespace != gw.Namespace || p.Name != gw.Name {
			continue
		}
		for _, l := range gw.Listeners {
			switch {
			case p.SectionName != "" && p.SectionName != l.Name, p.Port != 0 && p.Port != l.Port:
				why = fmt.Sprintf("parentRef section %q port %d names no listener of Gateway %s", p.SectionName, p.Port, gw.Key())
				continue
			case l.Protocol != "" && l.Protocol != "HTTP" && l.Protocol != "HTTPS":
				why = "listener " + l.Name + " is " + l.Protocol + ", not HTTP"
				continue
			case l.From == "Same" && r.Namespace != gw.Namespace:
				why = fmt.Sprintf("listener %s admits routes from namespace %s only (allowedRoutes.namespaces.from: Same)", l.Name, gw.Namespace)
				continue
			}
			hs := intersect(r.Hostnames, l.Hostname)
			if hs == nil {
				why = fmt.Sprintf("no hostname of the route (%s) is within listener %s's hostname %s", strings.Join(r.Hostnames, ", "), l.Name, l.Hostname)
				continue
			}
			hosts = append(hosts, hs...)
		}
	}
	if hosts != nil {
		return hosts, ""
	}
	return nil, why
}

// intersect is the hostnames a route serves on a listener: the route's within the listener's,
// each as the more specific of the two; "" means any host.
func intersect(route []string, listener string) []string {
	if len(route) == 0 {
		return []string{listener}
	}
	if listener == "" {
		return slices.Clone(route)
	}
	var out []string
	for _, h := range route {
		h = strings.ToLower(h)
		switch {
		case hostMatches(listener, h):
			out = append(out, h)
		case hostMatches(h, listener):
			out = append(out, listener)
		}
	}
	return out
}

// hostMatches reports whether pattern (a hostname, a *.wildcard, or "" for any) covers host. A
// wildcard covers one or more labels, never the bare domain.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "" || pattern == host:
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:]) && len(host) > len(pattern)-1
	}
	return false
}

// hostScore ranks the route's best hostname for host as Gateway API orders intersecting
// hostnames: the most characters of an exact hostname, then of any; ok is false when none matches.
func hostScore(hosts []string, host string) (score [2]int, matched string, ok bool) {
	if host == "" {
		return score, "", true
	}
	host = strings.ToLower(host)
	if h, _, found := strings.Cut(host, ":"); found {
		host = h
	}
	for _, h := range hosts {
		if !hostMatches(h, host) {
			continue
		}
		s := [2]int{0, len(h)}
		if !strings.HasPrefix(h, "*") {
			s[0] = len(h)
		}
		if !ok || s[0] > score[0] || s[0] == score[0] && s[1] > score[1] {
			score, matched, ok = s, h, true
		}
	}
	return score, matched, ok
}

// matches reports whether the request meets every condition of m, and if not, the first that
// fails, in words.
func matches(m Match, q Request) (bool, string) {
	p, query := q.path()
	switch m.PathType {
	case PathExact:
		if p != m.PathValue {
			return false, fmt.Sprintf("path %s is not exactly %s", p, m.PathValue)
		}
	case PathPrefix:
		if !prefixMatches(m.PathValue, p) {
			return false, fmt.Sprintf("path %s is not under prefix %s", p, m.PathValue)
		}
	case PathRegex:
		re, err := regexp.Compile("^(?:" + m.PathValue + ")$")
		if err != nil || !re.MatchString(p) {
			return false, fmt.Sprintf("path %s does not match regular expression %s", p, m.PathValue)
		}
	}
	if m.Method != "" && !strings.EqualFold(m.Method, q.Method) {
		return false, fmt.Sprintf("method %s is not %s", q.Method, m.Method)
	}
	for _, h := range firstOfEachName(m.Headers, true) {
		if ok, why := valueMatches(h, q.Headers[strings.ToLower(h.Name)], "header"); !ok {
			return false, why
		}
	}
	for _, h := range firstOfEachName(m.Query, false) {
		if ok, why := valueMatches(h, query[h.Name], "query parameter"); !ok {
			return false, why
		}
	}
	return true, ""
}

// firstOfEachName keeps, for each name, the first match: Gateway API ignores later entries of an
// equivalent name (header names case-insensitively, query parameter names exactly).
func firstOfEachName(ms []ValueMatch, foldCase bool) []ValueMatch {
	seen := map[string]bool{}
	var out []ValueMatch
	for _, m := range ms {
		k := m.Name
		if foldCase {
			k = strings.ToLower(k)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	return out
}

func valueMatches(m ValueMatch, got []string, what string) (bool, string) {
	if len(got) == 0 {
		return false, fmt.Sprintf("%s %s is absent (the rule wants %q)", what, m.Name, m.Value)
	}
	// A repeated header is one value joined by commas, as a proxy compares it.
	v := strings.Join(got, ",")
	if m.Type == MatchRegex {
		re, err := regexp.Compile(m.Value)
		if err == nil && re.MatchString(v) {
			return true, ""
		}
		return false, fmt.Sprintf("%s %s is %q, which does not match regular expression %q", what, m.Name, v, m.Value)
	}
	if v != m.Value {
		return false, fmt.Sprintf("%s %s is %q, not %q", what, m.Name, v, m.Value)
	}
	return true, ""
}

// prefixMatches is PathPrefix matching: element-wise, a trailing slash ignored, so /v1 matches
// /v1 and /v1/chat but not /v10.
func prefixMatches(prefix, p string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return true
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
