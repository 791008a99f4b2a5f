package scan

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// special marks the bytes that end a run of plain string content.
var special = func() (t [256]bool) {
	for b := 0; b < 0x20; b++ {
		t[b] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipPlain returns the index of the first byte at or after i that ends plain
// string content. Prompts make up most of a body, so this loop is where
// the scanner spends its time: it tests eight bytes at a time, and the
// lowest flagged byte of a word is exact (the word tricks only misflag bytes
// above a real hit).
func skipPlain(p []byte, i int) int {
	for ; i+16 <= len(p); i += 16 {
		if m := hasSpecial(binary.LittleEndian.Uint64(p[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		if m := hasSpecial(binary.LittleEndian.Uint64(p[i+8:])); m != 0 {
			return i + 8 + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(p); i++ {
		if special[p[i]] {
			return i
		}
	}
	return i
}

// skipPlain16 is skipPlain limited to the next 16 bytes: it returns i+16
// when they are all plain.
func skipPlain16(p []byte, i int) int {
	if i+16 > len(p) {
		return skipPlain(p, i)
	}
	if m := hasSpecial(binary.LittleEndian.Uint64(p[i:])); m != 0 {
		return i + bits.TrailingZeros64(m)>>3
	}
	if m := hasSpecial(binary.LittleEndian.Uint64(p[i+8:])); m != 0 {
		return i + 8 + bits.TrailingZeros64(m)>>3
	}
	return i + 16
}

// shortEscape marks the characters that may follow a backslash, except u.
var shortEscape = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}

var isHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

// skipString passes over the content of a string nobody wants, including
// its complete two-byte escapes, and stops at the byte that needs the state
// machine: a quote, a control character, a \u escape, or an escape split
// across chunks.
func skipString(p []byte, i int) int {
	for {
		// Short strings (keys, roles) end within the first word loop; long
		// ones go on in the vector loop, which also passes escapes.
		if j := skipPlain16(p, i); j < i+16 || j == len(p) {
			i = j
		} else {
			i = skipPlain(p, skipVector(p, j))
		}
		if i+1 >= len(p) || p[i] != '\\' {
			return i
		}
		switch {
		case shortEscape[p[i+1]]:
			i += 2
		case p[i+1] == 'u' && i+6 <= len(p) && isHex[p[i+2]] && isHex[p[i+3]] && isHex[p[i+4]] && isHex[p[i+5]]:
			i += 6
		default:
			return i
		}
	}
}

// hasSpecial is non-zero when any byte of w is below 0x20, a quote or a
// backslash (the classic "has less than" and "has zero byte" word tricks).
func hasSpecial(w uint64) uint64 {
	quote := w ^ ('"' * lsb)
	slash := w ^ ('\\' * lsb)
	return ((w-0x20*lsb) & ^w | (quote-lsb) & ^quote | (slash-lsb) & ^slash) & msb
}

func (s *Scanner) inString(b byte, pos int64) bool {
	switch {
	case b == '"':
		return s.endString(pos + 1)
	case b == '\\':
		s.st = stEsc
		return true
	case b < 0x20:
		return s.syntax(pos, "control character inside a JSON string; it must be escaped")
	}
	if s.role != roleSkip {
		s.flushSurrogate()
		s.emitByte(b)
	}
	return true
}

func (s *Scanner) escape(b byte, pos int64) bool {
	var c byte
	switch b {
	case '"', '\\', '/':
		c = b
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'u':
		s.st, s.hex, s.hexVal = stHex, 0, 0
		return true
	default:
		return s.syntax(pos, "invalid escape sequence in a JSON string")
	}
	s.st = stString
	if s.role != roleSkip {
		s.flushSurrogate()
		s.emitByte(c)
	}
	return true
}

func (s *Scanner) hexDigit(b byte, pos int64) bool {
	var v byte
	switch {
	case b >= '0' && b <= '9':
		v = b - '0'
	case b >= 'a' && b <= 'f':
		v = b - 'a' + 10
	case b >= 'A' && b <= 'F':
		v = b - 'A' + 10
	default:
		return s.syntax(pos, "invalid \\u escape in a JSON string")
	}
	s.hexVal = s.hexVal<<4 | rune(v)
	s.hex++
	if s.hex < 4 {
		return true
	}
	s.st = stString
	if s.role != roleSkip {
		s.emitEscapedRune(s.hexVal)
	}
	return true
}

// emitEscapedRune decodes \u escapes the way encoding/json does: a surrogate
// pair becomes one rune; any other surrogate becomes U+FFFD and the escape
// after it is decoded on its own.
func (s *Scanner) emitEscapedRune(r rune) {
	if s.pendSurr != 0 {
		if dec := utf16.DecodeRune(s.pendSurr, r); dec != utf8.RuneError {
			s.pendSurr = 0
			s.emitRune(dec)
			return
		}
		s.flushSurrogate()
	}
	if utf16.IsSurrogate(r) {
		s.pendSurr = r
		return
	}
	s.emitRune(r)
}

func (s *Scanner) flushSurrogate() {
	if s.pendSurr != 0 {
		s.pendSurr = 0
		s.emitRune(utf8.RuneError)
	}
}

func (s *Scanner) emitRune(r rune) {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		s.emitByte(b)
	}
}

func (s *Scanner) emitByte(b byte) {
	if s.role == roleKey {
		if len(s.key) > s.maxKey+utf8.UTFMax {
			s.keyLong = true
			return
		}
		s.key = append(s.key, b)
		return
	}
	s.appendValue(b)
}

func (s *Scanner) endString(end int64) bool {
	s.flushSurrogate()
	role := s.role
	s.role = roleSkip
	if s.inKey {
		s.st = stColon
		if role == roleKey {
			return s.endTopKey(end)
		}
		return true
	}
	if role == roleValue {
		f := &s.fields[s.cur]
		f.Value = fixUTF8(f.Value)
		if len(f.Value) > s.maxValue {
			f.TooLong = true
		}
	}
	s.scalarDone(end)
	return true
}

// endTopKey matches a finished top-level key against the wanted fields.
func (s *Scanner) endTopKey(end int64) bool {
	s.cur = -1
	if s.keyLong {
		return true
	}
	s.key = fixUTF8(s.key)
	for i := range s.fields {
		f := &s.fields[i]
		if string(s.key) != f.Name {
			continue
		}
		if f.Seen {
			s.err = &Error{Code: ErrDuplicate, Offset: end, Field: f.Name,
				Msg: "the top-level key \"" + f.Name + "\" appears more than once"}
			return false
		}
		f.Seen = true
		s.cur = i
	}
	return true
}

// fixUTF8 replaces each byte of an invalid UTF-8 sequence with U+FFFD, as
// encoding/json does when it decodes a string.
func fixUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r)
		b = b[n:]
	}
	return out
}
