package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
)

// outcome is what both the scanner and the oracle say about a body.
type outcome struct {
	ok    bool
	kinds map[string]Kind
	vals  map[string]string
}

func (o outcome) String() string {
	if !o.ok {
		return "rejected"
	}
	return fmt.Sprintf("ok kinds=%v vals=%q", o.kinds, o.vals)
}

func (o outcome) equal(p outcome) bool {
	if o.ok != p.ok {
		return false
	}
	if !o.ok {
		return true
	}
	if len(o.kinds) != len(p.kinds) || len(o.vals) != len(p.vals) {
		return false
	}
	for k, v := range o.kinds {
		if p.kinds[k] != v {
			return false
		}
	}
	for k, v := range o.vals {
		if pv, ok := p.vals[k]; !ok || pv != v {
			return false
		}
	}
	return true
}

// oracle decides with encoding/json: the body must be valid JSON, an object
// at the top, and name each wanted key at most once.
func oracle(body []byte, wanted []string) outcome {
	if !json.Valid(body) {
		return outcome{}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return outcome{}
	}
	o := outcome{ok: true, kinds: map[string]Kind{}, vals: map[string]string{}}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return outcome{}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return outcome{}
		}
		key := kt.(string)
		for _, w := range wanted {
			if key != w {
				continue
			}
			if _, dup := o.kinds[key]; dup {
				return outcome{}
			}
			o.kinds[key] = kindOf(raw)
			switch o.kinds[key] {
			case KindString:
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					panic(err)
				}
				o.vals[key] = s
			case KindNumber, KindBool, KindNull:
				o.vals[key] = string(raw)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return outcome{}
	}
	if _, err := dec.Token(); err != io.EOF {
		return outcome{}
	}
	return o
}

func kindOf(raw json.RawMessage) Kind {
	switch raw[0] {
	case '"':
		return KindString
	case '{':
		return KindObject
	case '[':
		return KindArray
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// scanChunks runs the scanner over body cut at the given sizes (cycled).
func scanChunks(body []byte, wanted []string, sizes []int) (outcome, *Scanner) {
	s := New(wanted, 1<<20)
	rest := body
	for i := 0; len(rest) > 0; i++ {
		n := len(rest)
		if len(sizes) > 0 {
			n = min(max(sizes[i%len(sizes)], 1), len(rest))
		}
		if s.Write(rest[:n]) != nil {
			return outcome{}, s
		}
		rest = rest[n:]
	}
	if s.Finish() != nil {
		return outcome{}, s
	}
	o := outcome{ok: true, kinds: map[string]Kind{}, vals: map[string]string{}}
	for i := range wanted {
		f := s.Field(i)
		if !f.Seen {
			continue
		}
		if !f.Done {
			panic("field seen but not done in a complete document")
		}
		o.kinds[f.Name] = f.Kind
		if f.Kind != KindObject && f.Kind != KindArray {
			o.vals[f.Name] = string(f.Value)
		}
	}
	return o, s
}

var wantedFields = []string{"model", "stream"}

func checkAgainstOracle(t *testing.T, body []byte) {
	t.Helper()
	want := oracle(body, wantedFields)
	for _, sizes := range [][]int{nil, {1}, {2, 3, 5}, {7, 1, 13}} {
		got, _ := scanChunks(body, wantedFields, sizes)
		if !got.equal(want) {
			t.Fatalf("body %q chunked %v:\n scanner: %v\n  oracle: %v", body, sizes, got, want)
		}
	}
}

func FuzzScannerMatchesEncodingJSON(f *testing.F) {
	for _, c := range hardCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstOracle(t, body)
	})
}
