package bbr

import (
	"encoding/json"
	"fmt"
	"strings"
)

// applyPlugins translates upstream BBR's --plugin flags, so its Helm chart's
// arguments work unchanged. As upstream, giving any --plugin replaces the
// default pipeline: the base-model header is set only if base-model-to-header
// is listed.
func (o *Options) applyPlugins() ([]Rule, error) {
	if len(o.Plugins) == 0 {
		return nil, nil
	}
	var rules []Rule
	baseModel := false
	for _, spec := range o.Plugins {
		parts := strings.SplitN(spec, ":", 3)
		typ := strings.TrimSpace(parts[0])
		switch typ {
		case "base-model-to-header":
			baseModel = true
		case "body-field-to-header":
			if len(parts) < 3 {
				return nil, fmt.Errorf("--plugin %q: body-field-to-header needs parameters, e.g. body-field-to-header:name:{\"fieldName\":\"model\",\"headerName\":\"X-Gateway-Model-Name\"}", spec)
			}
			var p struct {
				FieldName  string `json:"fieldName"`
				HeaderName string `json:"headerName"`
			}
			if err := json.Unmarshal([]byte(parts[2]), &p); err != nil || p.FieldName == "" || p.HeaderName == "" {
				return nil, fmt.Errorf("--plugin %q: parameters must be JSON with fieldName and headerName", spec)
			}
			if p.FieldName == "model" {
				o.ModelHeaders = appendUnique(o.ModelHeaders, strings.ToLower(p.HeaderName))
				continue
			}
			rules = append(rules, Rule{Field: p.FieldName, Header: p.HeaderName})
		default:
			return nil, fmt.Errorf("--plugin %q: unknown plugin type %q; bbr understands body-field-to-header and base-model-to-header (see --rules-file for other fields)", spec, typ)
		}
	}
	if !baseModel {
		o.BaseModelHeader = ""
	}
	return rules, nil
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return list
		}
	}
	return append(list, v)
}
