package convert

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is one file's text, indexed by line. yaml.v3 gives every node the line and column
// (counted in characters) where it starts but not where it ends; edits need byte ranges, so the
// ends are found here: from the text for scalars and flow collections, and from indentation for
// block entries.
type source struct {
	b     []byte
	lines []int  // byte offset where each line starts; lines[0] is line 1
	nl    string // what the file's lines end with, for the lines an edit adds
}

func newSource(b []byte) *source {
	s := &source{b: b, lines: []int{0}, nl: "\n"}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			s.lines = append(s.lines, i+1)
		}
	}
	if bytes.Contains(b, []byte("\r\n")) {
		s.nl = "\r\n"
	}
	return s
}

func (s *source) numLines() int { return len(s.lines) }

// lineStart is the offset of line l's first byte.
func (s *source) lineStart(l int) int { return s.lines[l-1] }

// lineEnd is the offset just past line l's line break (or the end of the file).
func (s *source) lineEnd(l int) int {
	if l < len(s.lines) {
		return s.lines[l]
	}
	return len(s.b)
}

// text is line l without its line break.
func (s *source) text(l int) string {
	return strings.TrimRight(string(s.b[s.lineStart(l):s.lineEnd(l)]), "\r\n")
}

// indent is the number of spaces line l starts with, and whether anything but a comment follows.
func (s *source) indent(l int) (n int, content bool) {
	t := s.text(l)
	rest := strings.TrimLeft(t, " ")
	return len(t) - len(rest), rest != "" && rest[0] != '#'
}

// pos is the offset where n's text starts.
func (s *source) pos(n *yaml.Node) int {
	off := s.lineStart(n.Line)
	for i := 1; i < n.Column && off < len(s.b); i++ {
		_, size := utf8.DecodeRune(s.b[off:])
		off += size
	}
	return off
}

// firstOnLine reports whether only spaces (and a sequence dash) come before n on its line.
func (s *source) firstOnLine(n *yaml.Node) bool {
	return strings.TrimSpace(string(s.b[s.lineStart(n.Line):s.pos(n)])) == ""
}

// raw is the text of a scalar as written, quotes included.
func (s *source) raw(n *yaml.Node) (string, error) {
	end, err := s.scalarEnd(n)
	if err != nil {
		return "", err
	}
	return string(s.b[s.pos(n):end]), nil
}

// scalarEnd is the offset just past a one-line scalar. Multi-line and block scalars, tags and
// anchors are refused: convert edits only short values (ports, groups, versions) and must know
// exactly which bytes it replaces.
func (s *source) scalarEnd(n *yaml.Node) (int, error) {
	if n.Kind != yaml.ScalarNode || n.Anchor != "" || n.Style&(yaml.TaggedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, fmt.Errorf("line %d: written with a YAML tag, anchor or block scalar; write it as a plain value", n.Line)
	}
	p := s.pos(n)
	end := p + len(n.Value)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		end = quotedEnd(s.b, p, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		end = quotedEnd(s.b, p, '\'')
	}
	if end < 0 || end > len(s.b) || !sameScalar(string(s.b[p:end]), n) {
		return 0, fmt.Errorf("line %d: %q spans several lines; write it on one line", n.Line, n.Value)
	}
	return end, nil
}

// quotedEnd is the offset past the quoted scalar starting at p, or -1 when it does not end on
// its line.
func quotedEnd(b []byte, p int, q byte) int {
	for i := p + 1; i < len(b) && b[i] != '\n'; i++ {
		switch {
		case q == '"' && b[i] == '\\':
			i++
		case b[i] == q && q == '\'' && i+1 < len(b) && b[i+1] == '\'':
			i++
		case b[i] == q:
			return i + 1
		}
	}
	return -1
}

// sameScalar reports whether raw is how n was written, so an edit replaces exactly n. A quoted
// scalar was found by its closing quote; a plain one must read exactly as its value (it does not,
// when it continues on the next line).
func sameScalar(raw string, n *yaml.Node) bool {
	return n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || raw == n.Value
}

// end is the offset just past n inside a flow collection (a JSON document, or YAML written
// with braces).
func (s *source) end(n *yaml.Node) (int, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return s.pos(n) + 1 + len(n.Value), nil
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle == 0 {
			return 0, fmt.Errorf("line %d: a block collection inside a flow collection", n.Line)
		}
		return s.flowEnd(n)
	}
	return s.scalarEnd(n)
}

// flowEnd is the offset just past the bracket that closes the flow collection n: after its last
// element, skip blanks, line breaks, comments and a trailing comma.
func (s *source) flowEnd(n *yaml.Node) (int, error) {
	i := s.pos(n) + 1
	if len(n.Content) > 0 {
		var err error
		if i, err = s.end(n.Content[len(n.Content)-1]); err != nil {
			return 0, err
		}
	}
	for ; i < len(s.b); i++ {
		switch c := s.b[i]; c {
		case ' ', '\t', '\r', '\n', ',':
		case '#':
			for i < len(s.b) && s.b[i] != '\n' {
				i++
			}
		case '}', ']':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("line %d: cannot find where the collection ends", n.Line)
		}
	}
	return 0, fmt.Errorf("line %d: the collection does not end", n.Line)
}

// blockLast is the last line of the block entry (a key, or a sequence dash) that starts on line
// first at column indent (0-based): the lines after it that are indented deeper, and, when its
// value is a sequence written at the key's own indentation (kubectl's style), the dashes at that
// indentation. Comments indented deeper belong to the entry; blank lines at its end do not.
func (s *source) blockLast(first, indent int, compactSeq bool) int {
	last := first
	for l := first + 1; l <= s.numLines(); l++ {
		ind, content := s.indent(l)
		t := strings.TrimLeft(s.text(l), " ")
		switch {
		case t == "":
		case !content:
			if ind > indent {
				last = l
			}
		case ind > indent, compactSeq && ind == indent && (t == "-" || strings.HasPrefix(t, "- ")):
			last = l
		default:
			return last
		}
	}
	return last
}
