// Package convert is `igwctl convert`.
package convert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/convert"
	"github.com/igw-dev/igw/internal/manifest"
)

// Options are the flags of `igwctl convert` and what the command is given.
type Options struct {
	IO *cmdutil.IOStreams

	Files          []string
	Recursive      bool
	ObjectiveGroup convert.ObjectiveGroup
	AllPoolRefs    bool
	OutFile        string
}

// NewCmd returns the command; hook, when not nil, replaces Run (tests use it to check flag
// parsing alone).
func NewCmd(f *cmdutil.Factory, hook cmdutil.RunFunc[Options]) *cobra.Command {
	o := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "convert -f FILE|DIR|-",
		Short: "Rewrite manifests written for the alpha Inference Extension APIs to v1",
		Long: `Rewrite manifests as guides and older releases wrote them to what current releases read,
changing only the values that must change: every other document, comment, key order, quoting
and indentation stays as written. No cluster is needed.

  InferencePool inference.networking.x-k8s.io/v1alpha2 (alpha, removed in v1.5.0), and v1 pools
  written with alpha fields, become inference.networking.k8s.io/v1:
    selector: {app: x}            selector: {matchLabels: {app: x}}
    targetPortNumber: 8000        targetPorts: [{number: 8000}]
    extensionRef:                 endpointPickerRef:
      portNumber: 9002              port: {number: 9002}
  An extensionRef to a Service without portNumber meant port 9002; v1 requires the port, so
  9002 is written out. An alpha pool's status and server-set metadata (uid, resourceVersion,
  ...) belong to the old object and are dropped.
  HTTPRoute and GRPCRoute backendRefs, ReferenceGrant "to" entries and InferenceObjective
  poolRefs that name a pool of the input by the alpha group get the v1 group (a grant to all
  pools of a namespace gets a v1 entry next to the alpha one, which alpha pools left out may
  still need); with --all-pool-refs every reference to an alpha pool does.
  --objective-group llm-d|x-k8s moves InferenceObjectives to llm-d.ai/v1alpha2 (what
  llm-d-router's picker reads) or back to inference.networking.x-k8s.io/v1alpha2; both have the
  same fields, so only the apiVersion changes.

What has no exact v1 meaning (an empty alpha selector, an unknown field, an InferenceModel,
whose criticality and modelName have no InferenceObjective equivalent) is an error naming the
file, document and field, and then nothing is written.

The converted documents go to stdout, or to the file -o names (written whole or not at all;
it may be the input). What changed goes to stderr.`,
		Example: `  # A guide's manifest, converted, to review before applying
  igwctl convert -f quickstart.yaml

  # Convert in place, objectives to llm-d.ai
  igwctl convert -f manifests.yaml --objective-group llm-d -o manifests.yaml

  # A directory tree, into one file
  igwctl convert -f deploy/ -R -o converted.yaml

  # From kubectl
  kubectl get inferencepools.inference.networking.x-k8s.io -A -o yaml | igwctl convert -f -`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, Run, hook, func(*cobra.Command, []string) error { return o.check() }),
	}
	fs := cmd.Flags()
	fs.StringSliceVarP(&o.Files, "filename", "f", nil, "file, directory or - (standard input) to convert; repeatable")
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "read the directories of -f recursively")
	fs.Var(cmdutil.Enum(&o.ObjectiveGroup, convert.ObjectivesLLMD, convert.ObjectivesXK8s), "objective-group",
		"move InferenceObjectives to llm-d (llm-d.ai) or x-k8s (inference.networking.x-k8s.io); unset leaves them")
	fs.BoolVar(&o.AllPoolRefs, "all-pool-refs", false, "point every reference to an alpha InferencePool at the v1 group, also for pools not in the input")
	fs.StringVarP(&o.OutFile, "output-file", "o", "", "write the converted documents to this file instead of stdout")
	return cmd
}

// check refuses a command line that cannot work before anything is read.
func (o *Options) check() error {
	if len(o.Files) == 0 {
		return errors.New("no files given; name them with -f FILE, -f DIR or -f - for standard input")
	}
	if slices.Contains([]string{"text", "json", "yaml"}, o.OutFile) {
		return fmt.Errorf("-o names the file to write, and convert always writes YAML as it was written; "+
			"leave -o out to print to stdout, or write -o ./%s for a file of that name", o.OutFile)
	}
	return nil
}

// Run converts the files and writes the result; on any error it writes nothing.
func Run(_ context.Context, o *Options) error {
	files, perArg, err := o.read()
	if err != nil {
		return err
	}
	res, err := convert.Convert(files, convert.Options{ObjectiveGroup: o.ObjectiveGroup, AllPoolRefs: o.AllPoolRefs})
	var cerr *convert.Error
	if errors.As(err, &cerr) {
		return fmt.Errorf("cannot convert exactly; nothing was written:\n  %s", strings.ReplaceAll(cerr.Error(), "\n", "\n  "))
	}
	if err != nil {
		return err
	}
	if err := o.checkDocuments(res.Files, perArg); err != nil {
		return err
	}
	if err := o.write(join(res.Files)); err != nil {
		return err
	}
	return writeSummary(o.IO.ErrOut, res, o.OutFile)
}

// read reads every file the -f arguments name, by manifest's rules; perArg[i] is the number of
// files argument i named.
func (o *Options) read() (files []convert.File, perArg []int, err error) {
	for _, arg := range o.Files {
		names, err := manifest.Files(arg, o.Recursive)
		if err != nil {
			return nil, nil, err
		}
		for _, name := range names {
			data, err := o.readFile(name)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, convert.File{Name: name, Data: data})
		}
		perArg = append(perArg, len(names))
	}
	return files, perArg, nil
}

// checkDocuments refuses, as manifest.Load does, an -f argument that holds no document: a typo
// in -f must not read as "nothing to convert".
func (o *Options) checkDocuments(outs []convert.Output, perArg []int) error {
	for i, arg := range o.Files {
		docs := 0
		for _, f := range outs[:perArg[i]] {
			docs += f.Documents
		}
		if docs == 0 {
			return manifest.NoObjectsError(arg, o.Recursive)
		}
		outs = outs[perArg[i]:]
	}
	return nil
}

func (o *Options) readFile(name string) ([]byte, error) {
	if name != manifest.Stdin {
		return os.ReadFile(name)
	}
	in := o.IO.In
	if in == nil {
		in = os.Stdin
	}
	return io.ReadAll(in)
}

// join puts the files one after the other as one YAML stream. One file comes out exactly as
// converted; between files a document separator is added where the next file has none.
func join(outs []convert.Output) []byte {
	var b []byte
	for _, f := range outs {
		if len(b) > 0 {
			if b[len(b)-1] != '\n' {
				b = append(b, '\n')
			}
			if !bytes.HasPrefix(f.Data, []byte("---")) {
				b = append(b, "---\n"...)
			}
		}
		b = append(b, f.Data...)
	}
	return b
}

// write puts data on stdout, or in the -o file: through a file in the same directory renamed
// over it, so a failure never leaves half a file and the input may be the output.
func (o *Options) write(data []byte) error {
	if o.OutFile == "" {
		_, err := o.IO.Out.Write(data)
		return err
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(o.OutFile); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.OutFile), ".igwctl-convert-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), o.OutFile)
}
