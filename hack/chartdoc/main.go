// Command chartdoc writes the values table of charts/bbr/README.md from the "# --" comments of
// charts/bbr/values.yaml: one row per documented key with its type, default and description. Run
// it from the repository root (make generate); -check compares instead of writing, and the
// package's test fails when the README is stale.
//
// A "# --" comment documents the key below it, value and all (a map documented as a whole is one
// row); its following "#" lines continue it, and a line indented past "# " starts a new line in
// the table. A map without such a comment is walked key by key, and a value nobody documented
// is an error, so the table lists every value.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

const (
	chartDir    = "charts/bbr"
	valuesPath  = chartDir + "/values.yaml"
	readmePath  = chartDir + "/README.md"
	beginMarker = "<!-- values:begin -->"
	endMarker   = "<!-- values:end -->"
)

func main() {
	check := flag.Bool("check", false, "change nothing; exit 1 if "+readmePath+" is stale")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "chartdoc:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	want, err := render()
	if err != nil {
		return err
	}
	have, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	if check {
		if !bytes.Equal(have, want) {
			return fmt.Errorf("%s is stale; run go run ./hack/chartdoc", readmePath)
		}
		return nil
	}
	return os.WriteFile(readmePath, want, 0o644)
}

// render is the README with the table between its markers replaced.
func render() ([]byte, error) {
	values, err := os.ReadFile(valuesPath)
	if err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return nil, err
	}
	rows, err := parse(values)
	if err != nil {
		return nil, err
	}
	return splice(readme, table(rows))
}

// row is one documented value.
type row struct {
	key, kind, def, doc string
}

// parse reads the documented values of a values.yaml, in file order.
func parse(data []byte) ([]row, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", valuesPath, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a map of values", valuesPath)
	}
	var rows []row
	var missing []string
	if err := walk(doc.Content[0], "", &rows, &missing); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no \"# --\" comment for %s; document each value (or the map holding it)", valuesPath, strings.Join(missing, ", "))
	}
	return rows, nil
}

func walk(m *yaml.Node, prefix string, rows *[]row, missing *[]string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		text, ok := description(k.HeadComment)
		switch {
		case ok:
			kind, def, err := describe(v)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", valuesPath, key, err)
			}
			*rows = append(*rows, row{key: key, kind: kind, def: def, doc: text})
		case v.Kind == yaml.MappingNode && len(v.Content) > 0:
			if err := walk(v, key+".", rows, missing); err != nil {
				return err
			}
		default:
			*missing = append(*missing, key)
		}
	}
	return nil
}

// description is the text of the last "# --" comment in a key's head comment (earlier lines, such
// as a section's introduction, are not part of it), as one Markdown table cell.
func description(comment string) (string, bool) {
	lines := strings.Split(comment, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# --") {
			start = i
		}
	}
	if start < 0 {
		return "", false
	}
	var b strings.Builder
	for i, l := range lines[start:] {
		l = strings.TrimPrefix(strings.TrimSpace(l), "#")
		switch {
		case i == 0:
			b.WriteString(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "--")))
		case strings.HasPrefix(l, "  "):
			b.WriteString("<br>" + strings.TrimSpace(l))
		case strings.TrimSpace(l) == "":
			// A blank comment line ends nothing: the paragraph goes on.
		default:
			b.WriteString(" " + strings.TrimSpace(l))
		}
	}
	return strings.ReplaceAll(b.String(), "|", `\|`), true
}

// describe gives a value's type and its default as compact JSON.
func describe(n *yaml.Node) (kind, def string, err error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return "", "", err
	}
	switch v.(type) {
	case nil:
		kind = "null"
	case bool:
		kind = "bool"
	case int, int64, uint64:
		kind = "int"
	case float64:
		kind = "float"
	case string:
		kind = "string"
	case []any:
		kind = "list"
	case map[string]any:
		kind = "object"
	default:
		return "", "", fmt.Errorf("unexpected value of type %T", v)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return "", "", err
	}
	return kind, strings.ReplaceAll(string(js), "|", `\|`), nil
}

func table(rows []row) string {
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", r.key, r.kind, r.def, r.doc)
	}
	return b.String()
}

// splice puts the table between the README's markers, keeping everything else.
func splice(readme []byte, tbl string) ([]byte, error) {
	s := string(readme)
	begin := strings.Index(s, beginMarker)
	end := strings.Index(s, endMarker)
	if begin < 0 || end < begin {
		return nil, errors.New(readmePath + " lacks the lines " + beginMarker + " and " + endMarker + " (in that order) to write the values table between")
	}
	head := s[:begin+len(beginMarker)]
	note := "\n<!-- Generated by go run ./hack/chartdoc from the \"# --\" comments of values.yaml; do not edit. -->\n\n"
	return []byte(head + note + tbl + "\n" + s[end:]), nil
}
