package routing

import (
	"testing"
	"time"
)

func TestPathPrefixIsElementWise(t *testing.T) {
	for _, tc := range []struct {
		prefix, path string
		want         bool
	}{
		{"/", "/anything", true}, {"/v1", "/v1", true}, {"/v1", "/v1/chat", true}, {"/v1/", "/v1/chat", true},
		{"/v1", "/v10", false}, {"/v1/chat", "/v1", false},
	} {
		if got := prefixMatches(tc.prefix, tc.path); got != tc.want {
			t.Errorf("prefix %s path %s: %v", tc.prefix, tc.path, got)
		}
	}
}

func TestHostnames(t *testing.T) {
	for _, tc := range []struct {
		pattern, host string
		want          bool
	}{
		{"*.example.com", "a.example.com", true}, {"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false}, {"llm.example.com", "llm.example.com", true}, {"", "x", true},
	} {
		if got := hostMatches(tc.pattern, tc.host); got != tc.want {
			t.Errorf("%s covers %s: %v", tc.pattern, tc.host, got)
		}
	}
	if got := intersect([]string{"llm.example.com", "other.org"}, "*.example.com"); len(got) != 1 || got[0] != "llm.example.com" {
		t.Errorf("intersect: %v", got)
	}
	if got := intersect([]string{"*.example.com"}, "llm.example.com"); len(got) != 1 || got[0] != "llm.example.com" {
		t.Errorf("intersect with a wildcard route: %v", got)
	}
}

func TestSplitIsExact(t *testing.T) {
	s := SplitOf([]Backend{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}, {Name: "c", Weight: 1}, {Name: "d", Weight: 0}})
	if s.Total != 3 || s.Shares[0].Probability != "1/3" || s.Shares[3].Probability != "0" || PercentText(s.Shares[0].Percent) != "33.33%" {
		t.Errorf("%+v", s)
	}
	if s := SplitOf([]Backend{{Weight: 0}}); s.Total != 0 {
		t.Errorf("all zero: %+v", s)
	}
}

// Precedence, one criterion at a time, each tie broken by the next.
func TestCompare(t *testing.T) {
	old, young := time.Unix(100, 0), time.Unix(200, 0)
	route := func(ns, name string, created time.Time, m Match) *Route {
		return &Route{Namespace: ns, Name: name, Created: created, Rules: []Rule{{Matches: []Match{m}}}}
	}
	prefix := Match{PathType: PathPrefix, PathValue: "/"}
	hdr := Match{PathType: PathPrefix, PathValue: "/", Headers: []ValueMatch{{Type: MatchExact, Name: "a", Value: "1"}}}
	for _, tc := range []struct {
		name string
		win  Candidate
		lose Candidate
	}{
		{"exact path", Candidate{Route: route("z", "z", young, Match{PathType: PathExact, PathValue: "/v1"})}, Candidate{Route: route("a", "a", old, Match{PathType: PathPrefix, PathValue: "/v1/chat"})}},
		{"longer prefix", Candidate{Route: route("z", "z", young, Match{PathType: PathPrefix, PathValue: "/v1"})}, Candidate{Route: route("a", "a", old, prefix)}},
		{"prefix over regex", Candidate{Route: route("z", "z", young, prefix)}, Candidate{Route: route("a", "a", old, Match{PathType: PathRegex, PathValue: "/v1/.*"})}},
		{"headers", Candidate{Route: route("z", "z", young, hdr)}, Candidate{Route: route("a", "a", old, prefix)}},
		{"older", Candidate{Route: route("z", "z", old, prefix)}, Candidate{Route: route("a", "a", young, prefix)}},
		{"name", Candidate{Route: route("a", "b", old, prefix)}, Candidate{Route: route("b", "a", old, prefix)}},
		{"hostname", Candidate{Route: route("z", "z", young, prefix), hostScore: [2]int{0, 13}}, Candidate{Route: route("a", "a", old, hdr), hostScore: [2]int{0, 1}}},
	} {
		if compare(tc.win, tc.lose) >= 0 || compare(tc.lose, tc.win) <= 0 {
			t.Errorf("%s: the winner does not win", tc.name)
		}
		if Why(tc.win, tc.lose) == "" {
			t.Errorf("%s: no reason", tc.name)
		}
	}
}
