package validate

import (
	"bytes"
	"fmt"
	stdio "io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/manifest"
	"github.com/igw-dev/igw/internal/validate"
)

// BenchmarkValidate2000 is one whole `igwctl validate -f FILE` of 2,000 objects: reading and
// decoding the file, building the validator (CRDs parsed, schemas and CEL rules compiled as
// objects need them), checking every object, printing the findings. The objects are the
// differential corpus (every kind, valid and broken) repeated under new names. Target: under 2 s
// per run (ns/op) on the project's 2-core machine.
func BenchmarkValidate2000(b *testing.B) {
	file := corpusOf(b, 2000)
	io, _, _ := cmdtest.Streams()
	io.Out = stdio.Discard
	o := &Options{IO: io, Files: []string{file}, GatewayAPI: validate.Standard, Output: cmdutil.Text}
	b.ResetTimer()
	for b.Loop() {
		// The corpus holds broken objects on purpose, so Run's error is expected.
		_ = Run(b.Context(), o)
	}
	b.ReportMetric(2000, "objects/op")
}

// corpusOf writes n objects, the corpus's documents in turn, each renamed so that no two are
// the same object, into one file.
func corpusOf(b *testing.B, n int) string {
	b.Helper()
	objs, err := manifest.Load(manifest.Options{Paths: []string{"../../../testdata/validate"}})
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		obj := objs[i%len(objs)].DeepCopy()
		if name := obj.GetName(); name != "" {
			obj.SetName(strings.ToLower(fmt.Sprintf("%s-%d", name, i)))
		}
		data, err := obj.MarshalJSON()
		if err != nil {
			b.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(data)
		out.WriteString("\n")
	}
	path := filepath.Join(b.TempDir(), "objects.yaml")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}
