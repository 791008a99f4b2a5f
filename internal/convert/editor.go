package convert

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// editor changes one file. Every operation does two things: it edits the node tree (what the
// document must mean afterwards) and records the smallest text edit that says the same, so
// everything it does not touch (other documents, comments, key order, quoting, indentation,
// blank lines) stays byte for byte. After the edits are applied the text is parsed again and
// must mean what the node tree says (see verify).
type editor struct {
	src   *source
	lay   layout
	edits []edit
}

// edit replaces the bytes [start, end) with text; start == end inserts.
type edit struct {
	start, end int
	text       string
}

// layout is how a file indents, so that added lines look like their neighbours.
type layout struct {
	step int // spaces a nested mapping is indented by
	seq  int // spaces a sequence's dashes are indented by under its key: 0 in kubectl's style
}

func (e *editor) replace(start, end int, text string) {
	e.edits = append(e.edits, edit{start, end, text})
}

// apply returns the file with every edit made. Two at one offset are made in the order they
// were recorded. Deletions may overlap: removing neighbouring entries of a flow mapping one
// after the other gives each a range up to the next entry still there, so the union is what
// goes. Any other overlap is a bug.
func (e *editor) apply() ([]byte, error) {
	edits := slices.Clone(e.edits)
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return (a.end - a.start) - (b.end - b.start)
	})
	var out []byte
	at := 0
	for i, ed := range edits {
		if ed.start < at && ed.text == "" && i > 0 && edits[i-1].text == "" {
			at = max(at, ed.end)
			continue
		}
		if ed.start < at {
			return nil, errors.New("two changes overlap")
		}
		out = append(append(out, e.src.b[at:ed.start]...), ed.text...)
		at = ed.end
	}
	return append(out, e.src.b[at:]...), nil
}

// quote writes v as a scalar in style st (plain, single or double quoted).
func quote(v string, st yaml.Style) string {
	switch {
	case st&yaml.DoubleQuotedStyle != 0:
		return strconv.Quote(v)
	case st&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return v
}

// setScalar gives the scalar n (a key or a value) the value v, written in n's quoting style.
func (e *editor) setScalar(n *yaml.Node, v string) error {
	end, err := e.src.scalarEnd(n)
	if err != nil {
		return err
	}
	e.replace(e.src.pos(n), end, quote(v, n.Style))
	n.Value = v
	return nil
}

// nest turns entry i of mapping m, `key: V`, into `newKey: {inner: V}` (or, with seq,
// `newKey: [{inner: V}]`), keeping V as written and the keys in the quoting of the old key.
func (e *editor) nest(m *yaml.Node, i int, newKey, inner string, seq bool) error {
	k, v := m.Content[i], m.Content[i+1]
	end, err := e.src.scalarEnd(v)
	if err != nil {
		return err
	}
	val := mapNode(scalarNode(inner, k.Style), v)
	if seq {
		val = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{val}}
	}
	text, err := e.entry(m, scalarNode(newKey, k.Style), val, k.Column-1)
	if err != nil {
		return err
	}
	e.replace(e.src.pos(k), end, text)
	k.Value = newKey
	m.Content[i+1] = val
	return nil
}

// wrap turns entry i of mapping m, `key: {labels}`, into `key: {inner: {labels}}`: a block
// mapping's lines move one level deeper under a new `inner:` line, a flow mapping gets braces.
func (e *editor) wrap(m *yaml.Node, i int, inner string) error {
	k, v := m.Content[i], m.Content[i+1]
	if v.Anchor != "" || v.Style&yaml.TaggedStyle != 0 {
		// Other nodes may alias it, and would then mean the wrapped value.
		return fmt.Errorf("line %d: written with a YAML tag, anchor or block scalar; write it out", v.Line)
	}
	in := scalarNode(inner, k.Style)
	if v.Style&yaml.FlowStyle != 0 {
		end, err := e.src.flowEnd(v)
		if err != nil {
			return err
		}
		p := e.src.pos(v)
		e.replace(p, p, "{"+quote(inner, k.Style)+": ")
		e.replace(end, end, "}")
	} else {
		if v.Line <= k.Line || v.Column <= k.Column {
			return errors.New("cannot tell how the mapping is indented")
		}
		step := v.Column - k.Column
		last := e.src.blockLast(k.Line, k.Column-1, false)
		var b strings.Builder
		b.WriteString(spaces(k.Column-1+step) + quote(inner, k.Style) + ":" + e.src.nl)
		for l := k.Line + 1; l <= last; l++ {
			line := string(e.src.b[e.src.lineStart(l):e.src.lineEnd(l)])
			if strings.TrimSpace(line) != "" {
				line = spaces(step) + line
			}
			b.WriteString(line)
		}
		e.replace(e.src.lineStart(k.Line+1), e.src.lineEnd(last), b.String())
	}
	m.Content[i+1] = mapNode(in, v)
	return nil
}

// appendEntry adds `key: val` at the end of mapping m, the key quoted in style st.
func (e *editor) appendEntry(m *yaml.Node, key string, st yaml.Style, val *yaml.Node) error {
	k := scalarNode(key, st)
	if len(m.Content) == 0 {
		return errors.New("cannot add to an empty mapping")
	}
	lastK, lastV := m.Content[len(m.Content)-2], m.Content[len(m.Content)-1]
	col := lastK.Column - 1
	text, err := e.entry(m, k, val, col)
	if err != nil {
		return err
	}
	if m.Style&yaml.FlowStyle != 0 {
		err = e.appendFlow(lastK, lastV, text)
	} else {
		e.insertLines(e.src.blockLast(lastK.Line, col, compactSeq(lastK, lastV)), spaces(col)+text)
	}
	if err == nil {
		m.Content = append(m.Content, k, val)
	}
	return err
}

// appendItem adds val at the end of sequence s.
func (e *editor) appendItem(s *yaml.Node, val *yaml.Node) error {
	if len(s.Content) == 0 {
		return errors.New("cannot add to an empty sequence")
	}
	last := s.Content[len(s.Content)-1]
	var err error
	if s.Style&yaml.FlowStyle != 0 {
		var text string
		if text, err = e.flow(val); err == nil {
			err = e.appendFlow(last, last, text)
		}
	} else {
		dash := s.Column - 1
		var text string
		one := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{val}}
		if text, err = e.block(one, dash-e.lay.seq); err == nil {
			e.insertLines(e.src.blockLast(last.Line, dash, false), strings.TrimPrefix(text, e.src.nl))
		}
	}
	if err == nil {
		s.Content = append(s.Content, val)
	}
	return err
}

// appendFlow adds text after the last element of a flow collection (whose first node is first
// and last node last): on a line of its own when the elements have lines of their own, as JSON
// printed by kubectl does.
func (e *editor) appendFlow(first, last *yaml.Node, text string) error {
	end, err := e.src.end(last)
	if err != nil {
		return err
	}
	sep := ", "
	if e.src.firstOnLine(first) {
		sep = "," + e.src.nl + spaces(first.Column-1)
	}
	e.replace(end, end, sep+text)
	return nil
}

// insertLines puts text, as lines of its own, after line l.
func (e *editor) insertLines(l int, text string) {
	at := e.src.lineEnd(l)
	text += e.src.nl
	if at == len(e.src.b) && at > 0 && e.src.b[at-1] != '\n' {
		text = e.src.nl + text
	}
	e.replace(at, at, text)
}

// deleteEntry removes entry i of mapping m: in a block mapping its lines (and the comment lines
// right above it that yaml.v3 gave the key), in a flow mapping its text and one comma.
func (e *editor) deleteEntry(m *yaml.Node, i int) error {
	k := m.Content[i]
	start, end, err := e.entryRange(m, i)
	if err != nil {
		return err
	}
	text := ""
	if m.Style&yaml.FlowStyle == 0 && !e.src.firstOnLine(k) {
		// The first key of a sequence item: keep the dash, the item's other keys follow below.
		text = e.src.nl
		start = e.src.pos(k)
		for start > 0 && e.src.b[start-1] == ' ' {
			start--
		}
	}
	e.replace(start, end, text)
	m.Content = slices.Delete(m.Content, i, i+2)
	return nil
}

func (e *editor) entryRange(m *yaml.Node, i int) (start, end int, err error) {
	k, v := m.Content[i], m.Content[i+1]
	s := e.src
	if m.Style&yaml.FlowStyle == 0 {
		first := k.Line
		for k.HeadComment != "" && first > 1 {
			ind, content := s.indent(first - 1)
			if content || ind != k.Column-1 || strings.TrimSpace(s.text(first-1)) == "" {
				break
			}
			first--
		}
		return s.lineStart(first), s.lineEnd(s.blockLast(k.Line, k.Column-1, compactSeq(k, v))), nil
	}
	n := len(m.Content)
	switch {
	case i+2 < n:
		next := m.Content[i+2]
		if s.firstOnLine(k) && s.firstOnLine(next) {
			return s.lineStart(k.Line), s.lineStart(next.Line), nil
		}
		return s.pos(k), s.pos(next), nil
	case i > 0:
		start, err = s.end(m.Content[i-1])
	default:
		start = s.pos(k)
	}
	if err != nil {
		return 0, 0, err
	}
	end, err = s.end(v)
	return start, end, err
}

// entry writes `key: val` for a mapping entry whose key is at column col: block or flow as m is.
func (e *editor) entry(m, k, val *yaml.Node, col int) (string, error) {
	key, err := e.scalarText(k)
	if err != nil {
		return "", err
	}
	if m.Style&yaml.FlowStyle != 0 {
		v, err := e.flow(val)
		return key + ": " + v, err
	}
	v, err := e.block(val, col)
	return key + ":" + v, err
}

// block writes n as the value of a key at column col: " scalar" on the key's line, or the lines
// of a collection below it.
func (e *editor) block(n *yaml.Node, col int) (string, error) {
	var b strings.Builder
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			text, err := e.entry(n, n.Content[i], n.Content[i+1], col+e.lay.step)
			if err != nil {
				return "", err
			}
			b.WriteString(e.src.nl + spaces(col+e.lay.step) + text)
		}
	case yaml.SequenceNode:
		dash := col + e.lay.seq
		for _, it := range n.Content {
			if it.Kind != yaml.MappingNode {
				return "", errors.New("only sequences of mappings are written")
			}
			m, err := e.block(it, dash+2-e.lay.step)
			if err != nil {
				return "", err
			}
			// The item's first key goes on the dash's line.
			b.WriteString(e.src.nl + spaces(dash) + "- " + strings.TrimLeft(m, " \r\n"))
		}
	default:
		text, err := e.scalarText(n)
		return " " + text, err
	}
	return b.String(), nil
}

// flow writes n as a flow collection, `{k: v}` or `[v]`.
func (e *editor) flow(n *yaml.Node) (string, error) {
	var parts []string
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		step := 1
		if n.Kind == yaml.MappingNode {
			step = 2
		}
		for i := 0; i < len(n.Content); i += step {
			text, err := e.flow(n.Content[i])
			if err == nil && step == 2 {
				var v string
				v, err = e.flow(n.Content[i+1])
				text += ": " + v
			}
			if err != nil {
				return "", err
			}
			parts = append(parts, text)
		}
	default:
		return e.scalarText(n)
	}
	if n.Kind == yaml.MappingNode {
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}

// scalarText is a scalar as it must be written: as in the file when it comes from the file, else
// in its own style.
func (e *editor) scalarText(n *yaml.Node) (string, error) {
	if n.Line > 0 {
		return e.src.raw(n)
	}
	return quote(n.Value, n.Style), nil
}

func compactSeq(k, v *yaml.Node) bool {
	return v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && v.Column == k.Column
}

func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }

func scalarNode(v string, st yaml.Style) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: st & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)}
}

func mapNode(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: kv}
}
