package cmdutil

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/igw-dev/igw/internal/kube"
)

// Enum is a flag value that accepts only the listed values, so a bad value fails while the
// command line is parsed, with an error naming the flag and the valid values.
func Enum[T ~string](p *T, valid ...T) pflag.Value { return &enum[T]{p: p, valid: valid} }

type enum[T ~string] struct {
	p     *T
	valid []T
}

func (e *enum[T]) String() string { return string(*e.p) }
func (e *enum[T]) Type() string   { return "string" }

func (e *enum[T]) Set(s string) error {
	if !slices.Contains(e.valid, T(s)) {
		names := make([]string, len(e.valid))
		for i, v := range e.valid {
			names[i] = string(v)
		}
		return fmt.Errorf("must be one of %s", strings.Join(names, ", "))
	}
	*e.p = T(s)
	return nil
}

// Format is how a command prints its result on stdout (-o).
type Format string

// The values of -o/--output.
const (
	Text Format = "text"
	JSON Format = "json"
	YAML Format = "yaml"
)

// Formats are the valid values of -o.
func Formats() []Format { return []Format{Text, JSON, YAML} }

// AddOutputFlag adds -o/--output (text, json or yaml; text by default) to a command that prints
// data.
func AddOutputFlag(fs *pflag.FlagSet, p *Format) {
	if *p == "" {
		*p = Text
	}
	fs.VarP(Enum(p, Formats()...), "output", "o", "output format: text, json or yaml")
}

// AddDryRunFlag adds --dry-run, as kubectl has it: none (the default) changes the cluster, client
// only reads it, server has the API server check the change without making it, and a bare
// --dry-run means client. usage says what each mode does for this command.
func AddDryRunFlag(fs *pflag.FlagSet, p *kube.DryRun, usage string) {
	if *p == "" {
		*p = kube.DryRunNone
	}
	fs.Var(Enum(p, kube.DryRuns()...), "dry-run", usage)
	fs.Lookup("dry-run").NoOptDefVal = string(kube.DryRunClient)
}

// Printable is a command's result: it writes itself as text for a person; JSON and YAML come from
// its fields.
type Printable interface {
	WriteText(w io.Writer) error
}

// AddAllNamespacesFlag adds kubectl's -A/--all-namespaces to a command that reads a cluster: with
// it, the command looks at every namespace and -n is ignored, as with kubectl get -A.
func AddAllNamespacesFlag(fs *pflag.FlagSet, p *bool) {
	fs.BoolVarP(p, "all-namespaces", "A", false, "look at every namespace; -n is ignored")
}
