package conformance

import (
	"encoding/json"

	conf "github.com/igw-dev/igw/internal/conformance"
)

// listedCheck is one check as --list -o json|yaml prints it (a Check's Run is no data).
type listedCheck struct {
	Name        string     `json:"name"`
	Needs       conf.Needs `json:"needs"`
	Description string     `json:"description"`
	Differs     string     `json:"differsFromUpstream,omitempty"`
}

func jsonChecks(checks []conf.Check) ([]byte, error) {
	out := make([]listedCheck, len(checks))
	for i, c := range checks {
		out[i] = listedCheck{Name: c.Name, Needs: c.Needs, Description: c.Description, Differs: c.Differs}
	}
	return json.Marshal(out)
}
