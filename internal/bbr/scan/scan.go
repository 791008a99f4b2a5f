// Package scan is an incremental JSON scanner for request bodies. It is fed
// the body chunk by chunk, validates the whole document with the same grammar
// as encoding/json, and reports the decoded values of a few top-level fields
// as soon as each is complete, so a caller can decide where to route a request
// long before the body ends without buffering it.
//
// Memory is fixed by the constructor's limits: the scanner never retains the
// bytes it is given.
package scan

import (
	"unicode/utf8"
)

// MaxDepth is encoding/json's nesting limit; deeper documents are rejected
// by both, so the scanner and the oracle agree.
const MaxDepth = 10000

// Kind is the JSON type of a captured value.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindNumber
	KindBool
	KindNull
	KindObject
	KindArray
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindNull:
		return "null"
	case KindObject:
		return "object"
	case KindArray:
		return "array"
	}
	return "none"
}

// Field is what the scanner learned about one wanted top-level key.
type Field struct {
	Name string
	// Seen is set when the key appeared at the top level.
	Seen bool
	// Done is set when the value is complete.
	Done bool
	Kind Kind
	// Value holds the decoded string, or the literal text of a number,
	// boolean or null. It is empty for objects and arrays.
	Value []byte
	// TooLong reports that the value exceeded the limit; Value is then
	// incomplete and must not be used.
	TooLong bool
	// End is the body offset just past the value.
	End int64
}

type state uint8

const (
	stTop         state = iota // before the document
	stObjKeyOrEnd              // after '{'
	stObjKey                   // after ',' in an object
	stColon                    // after a key
	stValue                    // after ':' or ',' in an array, or '[' (see arrFirst)
	stAfterValue               // after a value inside a container
	stEnd                      // after the top-level value
	stString
	stEsc
	stHex
	stNumMinus
	stNumZero
	stNumInt
	stNumDot
	stNumFrac
	stNumE
	stNumESign
	stNumExp
	stLiteral
)

// strRole says what the string being scanned is, so its bytes go to the
// right place.
type strRole uint8

const (
	roleSkip  strRole = iota // neither a top-level key nor a wanted value
	roleKey                  // a top-level key: decode to match wanted names
	roleValue                // the value of a wanted top-level key
)

// Scanner validates one JSON document fed in pieces. The zero value is not
// usable; call New.
type Scanner struct {
	fields   []Field
	maxValue int
	maxKey   int

	st       state
	err      *Error
	off      int64
	depth    int
	stack    []uint64 // bit i set: container at depth i+1 is an array
	arrFirst bool     // in stValue right after '[': ']' is allowed

	role    strRole
	inKey   bool   // the string being scanned is an object key
	key     []byte // decoded top-level key, capped at maxKey+1
	keyLong bool
	cur     int // index of the wanted field whose value is being scanned, or -1
	curLit  bool

	hex      int // hex digits read in a \u escape
	hexVal   rune
	pendSurr rune // a \u surrogate waiting for its partner

	lit    string // the literal being matched (true/false/null)
	litPos int
}

// New returns a scanner that reports the top-level fields named in fields.
// Captured values longer than maxValue bytes are flagged TooLong.
func New(fields []string, maxValue int) *Scanner {
	s := &Scanner{maxValue: maxValue, fields: make([]Field, len(fields))}
	for i, f := range fields {
		s.fields[i].Name = f
		if len(f) > s.maxKey {
			s.maxKey = len(f)
		}
	}
	s.key = make([]byte, 0, s.maxKey+utf8.UTFMax)
	s.Reset()
	return s
}

// Reset prepares the scanner for a new document, keeping its buffers.
func (s *Scanner) Reset() {
	for i := range s.fields {
		f := &s.fields[i]
		*f = Field{Name: f.Name, Value: f.Value[:0]}
	}
	s.st, s.err, s.off, s.depth = stTop, nil, 0, 0
	s.stack = s.stack[:0]
	s.arrFirst, s.role, s.keyLong, s.cur = false, roleSkip, false, -1
	s.key = s.key[:0]
	s.pendSurr = 0
}

// Field returns what is known about the i-th wanted field.
func (s *Scanner) Field(i int) *Field { return &s.fields[i] }

// Offset is the number of bytes consumed so far.
func (s *Scanner) Offset() int64 { return s.off }

// Err returns the first error seen, if any.
func (s *Scanner) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// Complete reports whether the whole top-level object has been read; only
// whitespace may follow.
func (s *Scanner) Complete() bool { return s.err == nil && s.st == stEnd }

// AllDone reports whether every wanted field has a complete value.
func (s *Scanner) AllDone() bool {
	for i := range s.fields {
		if !s.fields[i].Done {
			return false
		}
	}
	return true
}

// Write feeds the next piece of the body. After an error every later call
// returns the same error.
func (s *Scanner) Write(p []byte) error {
	if s.err != nil {
		return s.err
	}
	i := 0
	for i < len(p) {
		if s.st == stString && s.role == roleSkip {
			i = skipString(p, i)
			if i == len(p) {
				break
			}
		}
		if !s.step(p[i], s.off+int64(i)) {
			s.off += int64(i)
			return s.err
		}
		i++
	}
	s.off += int64(len(p))
	return nil
}

// Finish declares the end of the body and reports whether the document was
// complete.
func (s *Scanner) Finish() error {
	if s.err != nil {
		return s.err
	}
	if s.st == stEnd {
		return nil
	}
	if s.st == stTop {
		return s.fail(ErrTruncated, "request body is empty")
	}
	return s.fail(ErrTruncated, "request body ends before the JSON document is complete")
}
