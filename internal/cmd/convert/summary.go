package convert

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/convert"
)

// writeSummary tells a person what changed: one line per converted object with the count of
// each kind of change, the changes below it, what was left alone on purpose, and a total.
func writeSummary(w io.Writer, res *convert.Result, outFile string) error {
	var b strings.Builder
	for _, ob := range res.Objects {
		b.WriteString(objectLine(ob) + "\n")
		changes := slices.Clone(ob.Changes)
		slices.SortStableFunc(changes, func(a, b convert.Change) int { return slices.Index(ops, a.Op) - slices.Index(ops, b.Op) })
		for i := 0; i < len(changes); i++ {
			c := changes[i]
			// Removals with one reason share a line: "metadata.uid, metadata.generation removed: ...".
			for ; c.Op == convert.Removed && i+1 < len(changes) && changes[i+1].Op == c.Op && changes[i+1].Note == c.Note; i++ {
				c.Path += ", " + changes[i+1].Path
			}
			if line := changeLine(c); line != "" {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	for _, n := range res.Notes {
		b.WriteString("left as is: " + n + "\n")
	}
	b.WriteString(total(res, outFile) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// objectLine is "InferencePool default/x: <from> → <to>; 3 fields renamed, 1 filled in".
func objectLine(ob convert.Converted) string {
	name := ob.Name
	if ob.Namespace != "" {
		name = ob.Namespace + "/" + name
	}
	line := ob.Kind + " " + name + ":"
	if ob.From != ob.To {
		line += " " + ob.From + " → " + ob.To
	}
	counts := map[convert.Op]int{}
	for _, c := range ob.Changes {
		if c.Path != "apiVersion" {
			counts[c.Op]++
		}
	}
	var parts []string
	for _, op := range ops {
		if n := counts[op]; n > 0 && len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", n, plural(n, "field", "fields"), opWords[op]))
		} else if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, opWords[op]))
		}
	}
	if len(parts) == 0 {
		return line
	}
	if ob.From != ob.To {
		line += ";"
	}
	return line + " " + strings.Join(parts, ", ")
}

// ops is the order changes are counted and listed in.
var ops = []convert.Op{convert.Renamed, convert.Regrouped, convert.FilledIn, convert.Added, convert.Removed}

var opWords = map[convert.Op]string{
	convert.Renamed:   "renamed",
	convert.Regrouped: "changed",
	convert.FilledIn:  "filled in",
	convert.Added:     "added",
	convert.Removed:   "removed",
}

// changeLine is one change: "spec.extensionRef → spec.endpointPickerRef". The apiVersion is on
// the object's line already.
func changeLine(c convert.Change) string {
	switch {
	case c.Path == "apiVersion":
		return ""
	case c.Op == convert.Renamed:
		return c.Path + " → " + c.To
	case c.Op == convert.Regrouped:
		return c.Path + ": " + c.From + " → " + c.To
	case c.Op == convert.FilledIn:
		return c.To + " filled in: " + c.Note
	case c.Op == convert.Added:
		return c.Path + " added, " + c.To + ": " + c.Note
	}
	return c.Path + " removed: " + c.Note
}

// total is the last line: how many objects changed, where the result went.
func total(res *convert.Result, outFile string) string {
	objects, files := 0, 0
	for _, f := range res.Files {
		objects += f.Documents
		if f.Changed {
			files++
		}
	}
	dest := "written to stdout"
	if outFile != "" {
		dest = "written to " + outFile
	}
	if len(res.Objects) == 0 {
		return fmt.Sprintf("nothing to convert in %d %s (%d %s); %s unchanged",
			len(res.Files), plural(len(res.Files), "file", "files"), objects, plural(objects, "document", "documents"), dest)
	}
	return fmt.Sprintf("converted %d %s in %d of %d %s; %s",
		len(res.Objects), plural(len(res.Objects), "object", "objects"), files, len(res.Files), plural(len(res.Files), "file", "files"), dest)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
