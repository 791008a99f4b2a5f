package root

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
)

const (
	module  = "github.com/igw-dev/igw"
	repo    = "../../.."
	cmdPkgs = module + "/internal/cmd"
)

// goFile is one parsed Go file of the repository.
type goFile struct {
	pkg  string // import path of its directory
	test bool
	ast  *ast.File
}

func parseRepo(t *testing.T) []goFile {
	t.Helper()
	var files []goFile
	err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != repo) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, filepath.Dir(p))
		files = append(files, goFile{pkg: path.Join(module, filepath.ToSlash(rel)), test: strings.HasSuffix(p, "_test.go"), ast: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d Go files under %s; the walk went wrong", len(files), repo)
	}
	return files
}

func imports(f *ast.File) []string {
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		out = append(out, p)
	}
	return out
}

// A command package never imports another command package: what two commands share belongs in
// a package named for what it is about. A parent command imports its own subcommands to build the
// tree, and root imports the top-level commands; nothing else. Outside internal/cmd only
// cmd/igwctl may import it.
func TestCommandPackagesImportNoOtherCommand(t *testing.T) {
	for _, f := range parseRepo(t) {
		for _, imp := range imports(f.ast) {
			if !strings.HasPrefix(imp, cmdPkgs+"/") {
				continue
			}
			inCmd := strings.HasPrefix(f.pkg, cmdPkgs+"/")
			switch {
			case !inCmd && f.pkg != module+"/cmd/igwctl":
				t.Errorf("%s imports %s: only cmd/igwctl may import a command package", f.pkg, imp)
			case !inCmd, f.test:
				// Tests run a command and its counterpart (install, then uninstall).
			case path.Dir(imp) == f.pkg:
				// A parent and its subcommand.
			case f.pkg == cmdPkgs+"/root" && path.Dir(imp) == cmdPkgs:
				// The root and a top-level command.
			default:
				t.Errorf("%s imports %s: move what they share into a domain package", f.pkg, imp)
			}
		}
	}
}

// connectionFlags are kubectl's flags a hint may name: the ones that pick the cluster, the user
// and the namespace. The others (--insecure-skip-tls-verify, --certificate-authority, ...) are
// about the API server and would mislead in a hint about, say, a chart registry.
func connectionFlags() []string {
	return []string{"--kubeconfig", "--context", "--user", "--namespace"}
}

// commandFlags are the flags igwctl's commands define themselves, and --help.
func commandFlags() map[string]bool {
	io, _, _ := cmdtest.Streams()
	names := map[string]bool{"--help": true}
	for _, name := range connectionFlags() {
		names[name] = true
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { names["--"+f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmd(io))
	return names
}

// otherTool starts another program's command line in a message ("helm upgrade --install",
// "gcloud ... --region=REGION"), or names a program whose configuration diagnose reads ("the
// picker's --pool-name", "NGINX Gateway Fabric runs without --gateway-api-inference-extension"):
// the flags after it are that program's.
var (
	otherTool = regexp.MustCompile(`\b(helm|gcloud|kubectl|istioctl|bbr|picker|istiod|NGINX Gateway Fabric|model server)('s)?\s`)
	flagToken = regexp.MustCompile(`(?:^|[\s(/"'` + "`" + `])(--[a-z][a-z0-9-]*)`)
)

// Every flag a message of igwctl names (a fix, a hint, a help text) is a flag igwctl has, so
// following a hint never ends in "unknown flag".
func TestHintsNameRealFlags(t *testing.T) {
	flags := commandFlags()
	for _, dir := range []string{"internal/cmd", "internal/cmdutil", "internal/helm", "internal/install", "internal/gateway",
		"internal/providers", "internal/kube", "internal/diagnose"} {
		for _, lit := range stringLiterals(t, filepath.Join(repo, dir)) {
			for _, m := range flagToken.FindAllStringSubmatchIndex(lit.value, -1) {
				flag := lit.value[m[2]:m[3]]
				if flags[flag] || otherTool.MatchString(clause(lit.value, m[2])) {
					continue
				}
				t.Errorf("%s: %q names %s, which no igwctl command has", lit.pos, lit.value, flag)
			}
		}
	}
}

// clause is the text of s before i back to the last sentence or clause break.
func clause(s string, i int) string {
	start := 0
	for _, sep := range []string{";", ". ", "\n"} {
		if j := strings.LastIndex(s[:i], sep); j+len(sep) > start && j >= 0 {
			start = j + len(sep)
		}
	}
	return s[start:i]
}

type literal struct{ pos, value string }

// stringLiterals are the string constants of the non-test Go files under dir.
func stringLiterals(t *testing.T, dir string) []literal {
	t.Helper()
	var out []literal
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				v, _ := strconv.Unquote(b.Value)
				out = append(out, literal{fset.Position(b.Pos()).String(), v})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
