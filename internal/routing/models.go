package routing

import "strings"

// ModelRule is a rule that matches a model by a header a body router sets.
type ModelRule struct {
	Route  *Route
	Rule   int
	Header string
	Model  string
}

// ModelRules finds the rules that match one of headers (lower case) exactly: the routes a body
// router's header decides. A rule matching two models (two matches) gives two entries.
func ModelRules(routes []*Route, headers []string) []ModelRule {
	var out []ModelRule
	for _, r := range routes {
		for i, rule := range r.Rules {
			seen := map[string]bool{}
			for _, m := range rule.Matches {
				for _, h := range firstOfEachName(m.Headers, true) {
					name := strings.ToLower(h.Name)
					if h.Type != MatchExact || !contains(headers, name) || seen[name+"\x00"+h.Value] {
						continue
					}
					seen[name+"\x00"+h.Value] = true
					out = append(out, ModelRule{Route: r, Rule: i, Header: name, Model: h.Value})
				}
			}
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ModelRequest is the request a client of model sends after the body router: every header in
// headers set to model (bbr sets both model headers, and the base model header when the model is a
// base model it knows), to the OpenAI chat path.
func ModelRequest(model string, headers []string) Request {
	q := Request{Method: "POST", Path: "/v1/chat/completions", Headers: map[string][]string{}}
	for _, h := range headers {
		q.Headers[h] = []string{model}
	}
	return q
}
