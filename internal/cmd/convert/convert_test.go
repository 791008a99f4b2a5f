package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/convert"
	"github.com/igw-dev/igw/internal/goldenfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/convert")

// corpus holds one directory per case: in.yaml or in.json as a guide or kubectl prints it, args
// (extra flags, optional), and what igwctl prints: out.yaml|out.json and summary.txt, or
// error.txt when it must refuse.
const corpus = "../../../testdata/convert"

func cases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(corpus, "*"))
	if err != nil || len(dirs) < 10 {
		t.Fatalf("corpus: %d cases, %v", len(dirs), err)
	}
	return dirs
}

// caseArgs are the -f arguments of the case's input files and its extra flags, and the output
// file's extension.
func caseArgs(t *testing.T) (args []string, ext string) {
	t.Helper()
	ins, _ := filepath.Glob("in.*")
	if len(ins) == 0 {
		t.Fatal("no in.* file")
	}
	for _, in := range ins {
		args = append(args, "-f", in)
	}
	extra, err := os.ReadFile("args")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return append(args, strings.Fields(string(extra))...), filepath.Ext(ins[0])
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

// Every case prints what its golden files say; a refused case prints nothing on stdout; and
// converting a converted output again changes nothing.
func TestGolden(t *testing.T) {
	for _, dir := range cases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			args, ext := caseArgs(t)
			stdout, stderr, err := cmdtest.Run(t, NewCmd, nil, "", args...)
			if err != nil {
				golden(t, "error.txt", err.Error()+"\n")
				if stdout != "" || stderr != "" {
					t.Errorf("refused, yet printed:\nstdout %q\nstderr %q", stdout, stderr)
				}
				return
			}
			golden(t, "out"+ext, stdout)
			golden(t, "summary.txt", stderr)
			again, summary, err := cmdtest.Run(t, NewCmd, nil, "", append([]string{"-f", "out" + ext}, args[2:]...)...)
			if err != nil || again != stdout || !strings.Contains(summary, "nothing to convert") {
				t.Errorf("converting the output again: %v\nsummary:\n%s\nchanged it to:\n%s", err, summary, again)
			}
		})
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "pool.yaml")
	input, err := os.ReadFile(filepath.Join(corpus, "mixed", "in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, input, 0o600); err != nil {
		t.Fatal(err)
	}
	// In place: the file is the converted text, its mode kept, no temporary file left.
	stdout, stderr, err := cmdtest.Run(t, NewCmd, nil, "", "-f", in, "-o", in)
	if err != nil || stdout != "" || !strings.Contains(stderr, "written to "+in) {
		t.Fatalf("-o %s: %v, stdout %q, stderr %q", in, err, stdout, stderr)
	}
	want, err := os.ReadFile(filepath.Join(corpus, "mixed", "out.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.Replace(want, []byte("llm-d.ai/v1alpha2"), []byte("inference.networking.x-k8s.io/v1alpha2"), 1) // no --objective-group
	got, _ := os.ReadFile(in)
	if fi, _ := os.Stat(in); string(got) != string(want) || fi.Mode().Perm() != 0o600 {
		t.Errorf("in place: mode %v, content:\n%s", fi.Mode(), got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	// A refused conversion leaves the output file as it was, and creates none.
	bad := filepath.Join(corpus, "error-duplicate", "in.yaml")
	out := filepath.Join(dir, "new.yaml")
	for _, target := range []string{in, out} {
		if _, _, err := cmdtest.Run(t, NewCmd, nil, "", "-f", bad, "-o", target); err == nil {
			t.Fatalf("%s: converted", bad)
		}
	}
	if after, _ := os.ReadFile(in); string(after) != string(got) {
		t.Error("a refused conversion changed the -o file")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused conversion created %s: %v", out, err)
	}
}

// -f - reads standard input; several files come out as one stream with a separator between.
func TestStdinAndSeveralFiles(t *testing.T) {
	f, stdout, _ := cmdtest.Factory(nil, "")
	f.IO.In = strings.NewReader("apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceObjective\nmetadata:\n  name: a\nspec:\n  poolRef:\n    name: p")
	nothing := filepath.Join(corpus, "nothing", "in.yaml")
	if err := cmdtest.Execute(NewCmd(f, nil), f.IO, "-f", "-", "-f", nothing, "--objective-group", "llm-d"); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(nothing)
	got := stdout.String()
	head := "apiVersion: llm-d.ai/v1alpha2\nkind: InferenceObjective\nmetadata:\n  name: a\nspec:\n  poolRef:\n    name: p\n---\n"
	if got != head+string(want) {
		t.Errorf("got:\n%s", got)
	}
}

func TestCommandLine(t *testing.T) {
	o, err := cmdtest.Parse(t, NewCmd, "-f", "a.yaml", "--filename=b", "-R", "--objective-group", "llm-d", "--all-pool-refs", "-o", "out.yaml")
	if err != nil || strings.Join(o.Files, ",") != "a.yaml,b" || !o.Recursive || o.ObjectiveGroup != convert.ObjectivesLLMD ||
		!o.AllPoolRefs || o.OutFile != "out.yaml" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{nil, "no files given"},
		{[]string{"-f", "a.yaml", "-o", "yaml"}, "-o names the file to write"},
		{[]string{"-f", "a.yaml", "--objective-group", "both"}, "must be one of llm-d, x-k8s"},
	} {
		if _, err := cmdtest.Parse(t, NewCmd, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want %q", bad.args, err, bad.want)
		}
	}
}

// A path with no document is an error, as everywhere -f is read, not "nothing to convert".
func TestNoDocuments(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, []byte("# nothing here\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{empty, dir, filepath.Join(dir, "missing.yaml")} {
		stdout, _, err := cmdtest.Run(t, NewCmd, nil, "", "-f", arg)
		if err == nil || stdout != "" {
			t.Errorf("-f %s: %v, stdout %q", arg, err, stdout)
		}
	}
}

// A directory is read as manifest reads it: its YAML and JSON files in lexical order, the
// subdirectories with -R only.
func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objective := func(name string) string {
		return "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceObjective\nmetadata: {name: " + name + "}\nspec: {poolRef: {name: p}}\n"
	}
	write("b.yaml", objective("b"))
	write("a.yml", "---\n"+objective("a"))
	write("notes.txt", "not read")
	write("sub/c.json", `{"apiVersion": "llm-d.ai/v1alpha2", "kind": "InferenceObjective", "metadata": {"name": "c"}, "spec": {"poolRef": {"name": "p"}}}`)
	llmd := func(s string) string { return strings.ReplaceAll(s, "inference.networking.x-k8s.io", "llm-d.ai") }
	for _, tc := range []struct {
		args         []string
		want, totals string
	}{
		{nil, "---\n" + llmd(objective("a")) + "---\n" + llmd(objective("b")), "converted 2 objects in 2 of 2 files"},
		{[]string{"-R"}, "---\n" + llmd(objective("a")) + "---\n" + llmd(objective("b")) + "---\n" + `{"apiVersion": "llm-d.ai/v1alpha2", "kind": "InferenceObjective", "metadata": {"name": "c"}, "spec": {"poolRef": {"name": "p"}}}`,
			"converted 2 objects in 2 of 3 files"},
	} {
		stdout, stderr, err := cmdtest.Run(t, NewCmd, nil, "", append([]string{"-f", dir, "--objective-group", "llm-d"}, tc.args...)...)
		if err != nil || stdout != tc.want || !strings.Contains(stderr, tc.totals) {
			t.Errorf("%v: %v\nstdout:\n%s\nstderr:\n%s", tc.args, err, stdout, stderr)
		}
	}
}
