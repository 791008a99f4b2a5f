// Package manifest reads Kubernetes objects from the files a user points a command at (-f FILE,
// -f DIR with -R, -f - for stdin), the way kubectl does, keeping where each object came from so
// that every message can name the file and the document.
//
// Objects are decoded as the apiserver decodes them: YAML becomes JSON, and JSON numbers that are
// integral become int64. Decoding YAML straight into maps gives float64 numbers, and CEL rules
// then fail with "expected int, got float64" instead of the apiserver's own message.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Stdin is the -f argument that reads standard input, as kubectl spells it.
const Stdin = "-"

// Source is where an object was written: a file ("-" for standard input) and the document's
// position in it, counting from 1 over the documents that are not empty.
type Source struct {
	File string `json:"file"`
	Doc  int    `json:"document"`
}

// String is "file, document N", as messages print it.
func (s Source) String() string {
	return fmt.Sprintf("%s, document %d", s.File, s.Doc)
}

// Object is one object from a file, decoded, with its source. Raw is the document's JSON as
// written (before any defaulting or pruning), for validators that must see what the user wrote.
type Object struct {
	*unstructured.Unstructured
	Source Source
	Raw    []byte
}

// Options say what to read: Paths as given to -f, Recursive as -R.
type Options struct {
	Paths     []string
	Recursive bool
	// Stdin is read for the path "-" (os.Stdin when nil).
	Stdin io.Reader
}

// extensions are the files a directory contributes, as kubectl reads them.
var extensions = []string{".yaml", ".yml", ".json"}

// Load reads every object in the paths, in order: files in the order given, a directory's files
// in lexical order. A List (kubectl get -o yaml) contributes its items. It fails on the first
// file or document it cannot read, naming it; a path that holds no object at all is an error too,
// since a typo in -f must not read as "nothing wrong".
func Load(o Options) ([]Object, error) {
	if len(o.Paths) == 0 {
		return nil, errors.New("no files given; name them with -f FILE, -f DIR or -f - for standard input")
	}
	var out []Object
	for _, p := range o.Paths {
		files, err := expand(p, o.Recursive)
		if err != nil {
			return nil, err
		}
		before := len(out)
		for _, f := range files {
			objs, err := loadFile(f, o.Stdin)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		if len(out) == before {
			return nil, noObjects(p, o.Recursive)
		}
	}
	return out, nil
}

func dirHint(p string, recursive bool) string {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() && !recursive {
		return "; add -R to read subdirectories"
	}
	return ""
}

// expand turns one -f argument into the files it names.
func expand(p string, recursive bool) ([]string, error) {
	if p == Stdin {
		return []string{Stdin}, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", p, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != p && !recursive:
			return filepath.SkipDir
		case !d.IsDir() && slices.Contains(extensions, strings.ToLower(filepath.Ext(path))):
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

func loadFile(name string, stdin io.Reader) ([]Object, error) {
	var r io.Reader
	if name == Stdin {
		r = stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return decodeAll(name, r)
}

// decodeAll splits a stream into YAML documents ("---") and decodes each; a JSON file is one
// document.
func decodeAll(name string, r io.Reader) ([]Object, error) {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []Object
	for n := 0; ; {
		doc, err := docs.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading document %d: %w", name, n+1, err)
		}
		if isEmpty(doc) {
			continue
		}
		n++
		src := Source{File: name, Doc: n}
		objs, err := decode(doc, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		out = append(out, objs...)
	}
}

// isEmpty reports whether a document holds only blank lines and comments.
func isEmpty(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return false
		}
	}
	return true
}

// decode reads one document: an object, or a List whose items are objects.
func decode(doc []byte, src Source) ([]Object, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var m map[string]any
	if err := utiljson.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("not a YAML or JSON object: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		return nil, fmt.Errorf("the document has no %s; every Kubernetes object needs apiVersion and kind", missing(u))
	}
	if !u.IsList() {
		return []Object{{Unstructured: u, Source: src, Raw: js}}, nil
	}
	var out []Object
	err = u.EachListItem(func(item runtime.Object) error {
		iu := item.(*unstructured.Unstructured)
		raw, err := iu.MarshalJSON()
		if err != nil {
			return err
		}
		out = append(out, Object{Unstructured: iu, Source: src, Raw: raw})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the List's items: %w", err)
	}
	return out, nil
}

func missing(u *unstructured.Unstructured) string {
	switch {
	case u.GetAPIVersion() == "" && u.GetKind() == "":
		return "apiVersion and no kind"
	case u.GetAPIVersion() == "":
		return "apiVersion"
	}
	return "kind"
}
