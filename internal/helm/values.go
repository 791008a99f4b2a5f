package helm

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// Values are a release's values, merged in this order (later wins), as `helm -f ... --set ...`:
// Base, each of Files, Set, SetString, then Override.
type Values struct {
	// Base is what the caller wants unless the user says otherwise (e.g. the gateway's inference
	// extension switch); files and --set override it.
	Base map[string]any
	// Files are YAML values files (`-f`), merged in order.
	Files []string
	// Set are `--set` strings: "a.b=1,c[0]=x" with Helm's type inference.
	Set []string
	// SetString are `--set-string` strings: values stay strings.
	SetString []string
	// Override is applied last, over everything the user gave.
	Override map[string]any
}

// Merge returns the merged values. Problems are *Error of kind ErrBadValues naming the file and
// line or the --set string.
func (v Values) Merge() (map[string]any, error) {
	out := map[string]any{}
	mergeInto(out, copyMap(v.Base))
	for _, file := range v.Files {
		m, err := readValuesFile(file)
		if err != nil {
			return nil, err
		}
		mergeInto(out, m)
	}
	for _, s := range v.Set {
		if err := strvals.ParseInto(s, out); err != nil {
			return nil, newError(ErrBadValues, fmt.Sprintf("--set %q cannot be parsed", s), "write key=value pairs separated by commas, e.g. --set provider.name=istio,replicas=2", err)
		}
	}
	for _, s := range v.SetString {
		if err := strvals.ParseIntoString(s, out); err != nil {
			return nil, newError(ErrBadValues, fmt.Sprintf("--set-string %q cannot be parsed", s), "write key=value pairs separated by commas, e.g. --set-string image.tag=0.1.0", err)
		}
	}
	mergeInto(out, copyMap(v.Override))
	return out, nil
}

var yamlLineRE = regexp.MustCompile(`(?:yaml: )?line (\d+): (.*)`)

func readValuesFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, newError(ErrBadValues, fmt.Sprintf("values file %s does not exist", path), "check the path given to -f", nil)
		}
		return nil, newError(ErrBadValues, fmt.Sprintf("cannot read values file %s", path), "", err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			return nil, quietError(ErrBadValues, fmt.Sprintf("values file %s is not valid YAML: line %s: %s", path, m[1], m[2]), "fix the YAML at that line (indentation and `key: value` pairs)", err)
		}
		return nil, newError(ErrBadValues, fmt.Sprintf("values file %s is not valid YAML", path), "fix the YAML", err)
	}
	switch d := doc.(type) {
	case nil:
		return map[string]any{}, nil // empty file, as Helm treats it
	case map[string]any:
		return d, nil
	default:
		return nil, newError(ErrBadValues, fmt.Sprintf("values file %s holds a %s at the top level", path, yamlKind(d)), "a values file is a map of keys to values, e.g. `provider:\\n  name: istio`", nil)
	}
}

func yamlKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int64, int:
		return "number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// mergeInto merges src into dst as Helm merges values files: maps merge key by key, anything else
// (lists included) replaces.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// copyMap deep-copies the maps (not other values) so merging never writes into the caller's.
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		if sub, ok := v.(map[string]any); ok {
			out[k] = copyMap(sub)
		}
	}
	return out
}

// ValuesPath reads a value by dotted path ("pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION").
func ValuesPath(values map[string]any, path string) (any, bool) {
	var cur any = values
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}
