package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Print writes v to w in format f: its own text, or its fields as indented JSON or as YAML.
func Print(w io.Writer, f Format, v Printable) error {
	switch f {
	case Text, "":
		return v.WriteText(w)
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case YAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("unknown output format %q; use text, json or yaml", f)
}
