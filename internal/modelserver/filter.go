package modelserver

import (
	"bytes"
	"fmt"
)

// Names are the family names the protocols read: their gauges, LoRA and cache info metrics and
// counters. A live view parses only these.
func Names(ps ...Protocol) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		for _, m := range append([]Metric{p.Waiting, p.Running, p.KVCache}, p.OldKVCache...) {
			out[m.Name] = true
		}
		for _, m := range p.Counters.All() {
			out[m.Name] = true
		}
		for _, m := range p.CacheGauges {
			out[m.Name] = true
		}
		for _, m := range []*Metric{p.LoRA, p.CacheInfo} {
			if m != nil {
				out[m.Name] = true
			}
		}
	}
	return out
}

// AllNames are the names of every engine's default protocol: enough to Detect the engine too.
func AllNames() map[string]bool {
	var ps []Protocol
	for _, e := range Engines() {
		ps = append(ps, ProtocolOf(e))
	}
	return Names(ps...)
}

// ParseNames parses the families of page that names holds and skips the rest. A model server's
// page is hundreds of lines of histograms and runtime metrics around the few dozen a live view
// reads, and the text parser costs microseconds a line: skipping the rest before parsing is what
// lets one refresh of a thousand pods fit in a second. Every line must still start as the text
// format's lines do (a comment, or a metric name), so a page that is not the format (an HTML
// error page) is an error, as with Parse; the kept lines get the parser's full checks. scratch,
// when not nil, is reused for the kept lines.
func ParseNames(page []byte, names map[string]bool, scratch *bytes.Buffer) (Families, error) {
	if scratch == nil {
		scratch = new(bytes.Buffer)
	}
	scratch.Reset()
	for n := 1; len(page) > 0; n++ {
		line := page
		if i := bytes.IndexByte(page, '\n'); i >= 0 {
			line, page = page[:i+1], page[i+1:]
		} else {
			page = nil
		}
		body := bytes.TrimLeft(line, " \t")
		switch {
		case len(bytes.TrimSpace(body)) == 0:
			continue
		case body[0] == '#':
			// Only TYPE matters to the parser; HELP and other comments are skipped.
			if rest, ok := bytes.CutPrefix(body, []byte("# TYPE ")); ok && names[string(firstField(rest))] {
				scratch.Write(body)
			}
			continue
		}
		name := metricName(body)
		if len(name) == 0 {
			return nil, fmt.Errorf("not Prometheus text format: line %d: %q", n, truncate(bytes.TrimSpace(line), 60))
		}
		if names[string(name)] {
			scratch.Write(body)
		}
	}
	if b := scratch.Bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
		scratch.WriteByte('\n')
	}
	return Parse(bytes.NewReader(scratch.Bytes()))
}

// metricName is the longest prefix of line that is a legacy metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
func metricName(line []byte) []byte {
	for i, c := range line {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return line[:i]
		}
	}
	return line
}

func firstField(b []byte) []byte {
	if i := bytes.IndexAny(b, " \t\n"); i >= 0 {
		return b[:i]
	}
	return b
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
