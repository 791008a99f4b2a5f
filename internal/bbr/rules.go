package bbr

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Rule promotes another top-level body field to a header, under the same
// safety rules as the model.
type Rule struct {
	Field     string `json:"field"`
	Header    string `json:"header"`
	Required  bool   `json:"required,omitempty"`
	MaxLength int    `json:"maxLength,omitempty"`
}

const defaultRuleMaxLength = 256

func (r Rule) limit() int {
	if r.MaxLength > 0 {
		return r.MaxLength
	}
	return defaultRuleMaxLength
}

// RulesFile is the --rules-file format.
type RulesFile struct {
	Rules []Rule `json:"rules"`
}

// LoadRules reads and checks a rules file. Every mistake names the rule and
// the fix, because a bad file stops bbr from starting.
func LoadRules(path string) ([]Rule, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --rules-file: %w", err)
	}
	var f RulesFile
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %v (want: rules: [{field: stream, header: x-gateway-stream}])", path, err)
	}
	seen := map[string]bool{"model": true}
	for i, r := range f.Rules {
		where := fmt.Sprintf("%s: rules[%d]", path, i)
		switch {
		case strings.TrimSpace(r.Field) == "":
			return nil, fmt.Errorf("%s: field is required", where)
		case r.Field == "model":
			return nil, fmt.Errorf("%s: the model field is built in; use --model-header to change its headers", where)
		case seen[r.Field]:
			return nil, fmt.Errorf("%s: field %q has two rules; merge them", where, r.Field)
		case strings.TrimSpace(r.Header) == "":
			return nil, fmt.Errorf("%s: header is required for field %q", where, r.Field)
		case r.MaxLength < 0:
			return nil, fmt.Errorf("%s: maxLength must be positive", where)
		}
		seen[r.Field] = true
	}
	return f.Rules, nil
}
