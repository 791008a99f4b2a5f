// Package convert rewrites manifests written for the alpha Inference Extension APIs, or with their
// spellings, to what current releases read: alpha InferencePools
// (inference.networking.x-k8s.io/v1alpha2) and v1 pools spelled the alpha way become v1 pools,
// routes, ReferenceGrants and objectives that name those pools by the alpha group name them by
// the v1 group, and InferenceObjectives move between inference.networking.x-k8s.io and llm-d.ai
// on request.
//
// It edits text, not structs: each file is parsed into yaml.v3 nodes, which say where every value
// is, and only the bytes of the values that change are replaced, so other documents, comments,
// key order, quoting and indentation stay as written. Every rewritten file is parsed again and
// must mean exactly what the conversion intended. What has no exact v1 meaning is an error, and
// then nothing is converted. Pure: no cluster, no I/O.
package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/igw-dev/igw/internal/manifest"
)

// The API groups convert moves objects and references between.
const (
	GroupV1   = "inference.networking.k8s.io"   // InferencePool v1
	GroupX    = "inference.networking.x-k8s.io" // alpha InferencePool, legacy InferenceObjective
	GroupLLMD = "llm-d.ai"                      // InferenceObjective as llm-d-router reads it
)

// ObjectiveGroup is the group InferenceObjectives are moved to.
type ObjectiveGroup string

// The values of --objective-group.
const (
	ObjectivesLLMD ObjectiveGroup = "llm-d"
	ObjectivesXK8s ObjectiveGroup = "x-k8s"
)

func (g ObjectiveGroup) apiGroup() string {
	switch g {
	case ObjectivesLLMD:
		return GroupLLMD
	case ObjectivesXK8s:
		return GroupX
	}
	return ""
}

// Options say what to convert beyond alpha InferencePools and alpha spellings, which are always
// converted.
type Options struct {
	// ObjectiveGroup moves every InferenceObjective to that group; empty leaves them where they are.
	ObjectiveGroup ObjectiveGroup
	// AllPoolRefs moves every reference to an InferencePool in the alpha group to the v1 group.
	// Without it only references to pools in the input move: a reference to a pool that is not
	// converted may still mean an alpha pool on the cluster.
	AllPoolRefs bool
}

// File is one input file: its name as messages print it ("-" for standard input) and its bytes.
type File struct {
	Name string
	Data []byte
}

// Result is the converted files, in input order, and what changed.
type Result struct {
	Files   []Output
	Objects []Converted
	// Notes are what was left alone on purpose and why, one line each.
	Notes []string
}

// Output is one file after conversion; Data is the input itself when nothing in it changed.
type Output struct {
	Name      string
	Data      []byte
	Documents int // documents that are not empty, as manifest counts them
	Changed   bool
}

// Converted is one object convert changed.
type Converted struct {
	Source                manifest.Source
	Item                  string // "items[2]" for an object in a List
	Kind, Namespace, Name string
	From, To              string // apiVersion before and after; equal when only fields changed
	Changes               []Change
}

// Op is what happened to a field.
type Op int

// The ops a Change records.
const (
	Renamed   Op = iota // the field moved to another name or shape (To)
	Regrouped           // an API group or apiVersion changed from From to To
	FilledIn            // a field v1 requires got the value alpha implied (To)
	Added               // an entry was added next to the old one (To)
	Removed             // the field has no place in the converted object
)

// Change is one edit of an object. Path is the field as it was written ("spec.extensionRef");
// Note says why, when the edit is more than a rename.
type Change struct {
	Op       Op
	Path     string
	From, To string
	Note     string
}

// Error lists everything that cannot be converted exactly. When Convert returns one, nothing
// was converted.
type Error struct{ Problems []Problem }

// Problem is one field that cannot be converted, and why.
type Problem struct {
	Source manifest.Source
	Item   string
	Object string // "InferencePool default/x"
	Path   string
	Why    string
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (p Problem) String() string {
	where := p.Source.String()
	if p.Item != "" {
		where += ", " + p.Item
	}
	return fmt.Sprintf("%s: %s: %s: %s", where, p.Object, p.Path, p.Why)
}

// Convert converts every object in files. It returns an *Error when some object cannot be
// converted exactly, another error when a file is not YAML, and otherwise the files with only
// the changed values rewritten.
func Convert(files []File, o Options) (*Result, error) {
	r := &run{opts: o}
	for _, f := range files {
		if err := r.parse(f); err != nil {
			return nil, err
		}
	}
	r.indexPools()
	for _, ob := range r.objects {
		r.convertObject(ob)
	}
	r.checkDuplicates()
	if len(r.problems) > 0 {
		return nil, &Error{Problems: r.problems}
	}
	return r.result()
}

// run is one conversion: the parsed input and what was found.
type run struct {
	opts     Options
	files    []*file
	objects  []*object
	pools    []*object // every InferencePool in the input, all v1 once converted
	problems []Problem
	notes    []string
}

// file is one parsed input file.
type file struct {
	name      string
	ed        *editor
	docs      []*yaml.Node // every document node, empty ones included
	documents int          // documents that are not empty
}

func (r *run) parse(f File) error {
	fl := &file{name: f.Name}
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	for {
		d := &yaml.Node{}
		err := dec.Decode(d)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s, document %d: not valid YAML: %w", f.Name, fl.documents+1, err)
		}
		fl.docs = append(fl.docs, d)
		if emptyDoc(d) {
			continue
		}
		fl.documents++
		r.addObjects(fl, d.Content[0], manifest.Source{File: f.Name, Doc: fl.documents})
	}
	fl.ed = &editor{src: newSource(f.Data), lay: detectLayout(fl.docs)}
	r.files = append(r.files, fl)
	return nil
}

// emptyDoc reports whether a document holds nothing but comments, as manifest skips them.
func emptyDoc(d *yaml.Node) bool {
	return len(d.Content) == 0 || d.Content[0].Kind == yaml.ScalarNode && d.Content[0].Tag == "!!null" && d.Content[0].Value == ""
}

// addObjects records the object in a document, or each item of a List. A document that is not
// a mapping is left alone: convert rewrites what it knows and passes the rest through.
func (r *run) addObjects(fl *file, root *yaml.Node, src manifest.Source) {
	if root.Kind != yaml.MappingNode {
		return
	}
	ob := newObject(fl, root, src, "")
	items := child(root, "items")
	if !strings.HasSuffix(ob.kind, "List") || items == nil || items.Kind != yaml.SequenceNode {
		r.objects = append(r.objects, ob)
		return
	}
	for i, it := range items.Content {
		if it.Kind == yaml.MappingNode {
			r.objects = append(r.objects, newObject(fl, it, src, fmt.Sprintf("items[%d]", i)))
		}
	}
}

// result applies each file's edits and checks that the new text means what the nodes say.
func (r *run) result() (*Result, error) {
	res := &Result{Notes: r.notes}
	for _, fl := range r.files {
		out, err := fl.ed.apply()
		if err == nil {
			err = verify(out, fl.docs)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot rewrite the file in place (%w); this is a bug in igwctl convert, please report it with the file", fl.name, err)
		}
		res.Files = append(res.Files, Output{Name: fl.name, Data: out, Documents: fl.documents, Changed: len(fl.ed.edits) > 0})
	}
	for _, ob := range r.objects {
		if len(ob.changes) > 0 {
			res.Objects = append(res.Objects, Converted{Source: ob.src, Item: ob.item, Kind: ob.kind,
				Namespace: ob.namespace, Name: ob.name, From: ob.apiVersion, To: ob.newAPIVersion, Changes: ob.changes})
		}
	}
	return res, nil
}

// verify parses out again and checks that every document decodes to what the edited node tree
// of the same document decodes to.
func verify(out []byte, docs []*yaml.Node) error {
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for i := 0; ; i++ {
		var d yaml.Node
		err := dec.Decode(&d)
		if err == io.EOF {
			if i != len(docs) {
				return fmt.Errorf("%d documents instead of %d", i, len(docs))
			}
			return nil
		}
		if err != nil {
			return err
		}
		if i >= len(docs) {
			return errors.New("more documents than before")
		}
		var got, want any
		if err := d.Decode(&got); err != nil {
			return err
		}
		if err := docs[i].Decode(&want); err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("document %d does not come out as intended", i+1)
		}
	}
}

// detectLayout finds how the file indents nested mappings and sequences, from the first of each
// it has; without one, two spaces, and sequences indented like mappings.
func detectLayout(docs []*yaml.Node) layout {
	l := layout{step: -1, seq: -1}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				block := v.Style&yaml.FlowStyle == 0 && v.Line > k.Line
				switch {
				case l.step < 0 && block && v.Kind == yaml.MappingNode && v.Column > k.Column:
					l.step = v.Column - k.Column
				case l.seq < 0 && block && v.Kind == yaml.SequenceNode && v.Column >= k.Column:
					l.seq = v.Column - k.Column
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	if l.step <= 0 {
		l.step = 2
	}
	if l.seq < 0 {
		l.seq = l.step
	}
	return l
}
