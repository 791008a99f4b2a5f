package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// charts/bbr/README.md's values table is what values.yaml's comments say today: a new or changed
// value must come with the regenerated README.
func TestReadmeIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := render()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Errorf("%s is stale; run go run ./hack/chartdoc", readmePath)
	}
}

func TestParse(t *testing.T) {
	rows, err := parse([]byte(`# Introduction, not part of any value.

# -- Pods.
replicas: 1
image:
  # -- Where | from.
  repository: x
  # -- One of:
  #   a: first;
  #   b: second.
  # Then more.
  tag: ""
# A section comment.
# -- The whole map.
probes:
  a: {x: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := table(rows)
	for _, want := range []string{
		"| `replicas` | int | `1` | Pods. |\n",
		"| `image.repository` | string | `\"x\"` | Where \\| from. |\n",
		"| `image.tag` | string | `\"\"` | One of:<br>a: first;<br>b: second. Then more. |\n",
		"| `probes` | object | `{\"a\":{\"x\":1}}` | The whole map. |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Introduction") || strings.Contains(got, "section") {
		t.Errorf("comments without -- leaked into the table:\n%s", got)
	}

	_, err = parse([]byte("# -- Documented.\na: 1\nb:\n  c: 2\n"))
	if err == nil || !strings.Contains(err.Error(), `no "# --" comment for b.c`) {
		t.Errorf("undocumented value: %v", err)
	}
	if _, err := splice([]byte("no markers"), "x"); err == nil {
		t.Error("a README without markers was accepted")
	}
}
