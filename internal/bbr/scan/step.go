package scan

// The grammar below is RFC 8259 as encoding/json implements it; every branch
// that rejects input has a case in the oracle fuzz test.

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// step consumes one byte at body offset pos. It returns false after
// recording an error.
func (s *Scanner) step(b byte, pos int64) bool {
	switch s.st {
	case stTop:
		return s.top(b, pos)
	case stObjKeyOrEnd, stObjKey:
		return s.expectKey(b, pos)
	case stColon:
		if isSpace(b) {
			return true
		}
		if b != ':' {
			return s.syntax(pos, "expected ':' after an object key")
		}
		s.st, s.arrFirst = stValue, false
		return true
	case stValue:
		if isSpace(b) {
			return true
		}
		if s.arrFirst && b == ']' {
			return s.pop(pos)
		}
		return s.beginValue(b, pos)
	case stAfterValue:
		return s.afterValue(b, pos)
	case stEnd:
		if isSpace(b) {
			return true
		}
		return s.syntax(pos, "unexpected data after the top-level JSON object")
	case stString:
		return s.inString(b, pos)
	case stEsc:
		return s.escape(b, pos)
	case stHex:
		return s.hexDigit(b, pos)
	case stLiteral:
		if b != s.lit[s.litPos] {
			return s.syntax(pos, "invalid literal, expected "+s.lit)
		}
		s.capture(b)
		s.litPos++
		if s.litPos == len(s.lit) {
			if s.depth == 0 {
				return s.failAt(ErrNotObject, pos, "request body must be a JSON object, not "+s.lit)
			}
			s.scalarDone(pos + 1)
		}
		return true
	}
	return s.number(b, pos)
}

// literalFrom names the literal that starts with b (t, f or n).
func literalFrom(b byte) string {
	switch b {
	case 't':
		return "true"
	case 'f':
		return "false"
	}
	return "null"
}

func (s *Scanner) top(b byte, pos int64) bool {
	switch {
	case isSpace(b):
		return true
	case b == '{':
		s.st = stObjKeyOrEnd
		return s.push(false, pos)
	case b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9'):
		// JSON, surely, but not an object: the rest cannot change that.
		return s.failAt(ErrNotObject, pos, "request body must be a JSON object")
	case b == 't' || b == 'f' || b == 'n':
		// true, false or null, or plain text that starts like them ("not
		// json"): the literal decides which.
		s.st, s.lit, s.litPos = stLiteral, literalFrom(b), 1
		return true
	}
	return s.syntax(pos, "request body is not JSON")
}

func (s *Scanner) expectKey(b byte, pos int64) bool {
	switch {
	case isSpace(b):
		return true
	case b == '"':
		s.st = stString
		s.inKey = true
		s.role = roleSkip
		if s.depth == 1 {
			s.role = roleKey
			s.key = s.key[:0]
			s.keyLong = false
		}
		return true
	case b == '}' && s.st == stObjKeyOrEnd:
		return s.pop(pos)
	}
	return s.syntax(pos, "expected a string object key")
}

func (s *Scanner) afterValue(b byte, pos int64) bool {
	if isSpace(b) {
		return true
	}
	inArray := s.inArray()
	switch {
	case b == ',' && inArray:
		s.st, s.arrFirst = stValue, false
	case b == ',':
		s.st = stObjKey
	case b == ']' && inArray, b == '}' && !inArray:
		return s.pop(pos)
	default:
		return s.syntax(pos, "expected ',' or the end of a container")
	}
	return true
}

func (s *Scanner) beginValue(b byte, pos int64) bool {
	capturing := s.depth == 1 && s.cur >= 0
	var kind Kind
	switch {
	case b == '"':
		kind = KindString
		s.st, s.inKey, s.role = stString, false, roleSkip
		if capturing {
			s.role = roleValue
		}
	case b == '{':
		kind = KindObject
		s.st = stObjKeyOrEnd
		if !s.push(false, pos) {
			return false
		}
	case b == '[':
		kind = KindArray
		s.st, s.arrFirst = stValue, true
		if !s.push(true, pos) {
			return false
		}
	case b == '-':
		kind, s.st = KindNumber, stNumMinus
	case b == '0':
		kind, s.st = KindNumber, stNumZero
	case b >= '1' && b <= '9':
		kind, s.st = KindNumber, stNumInt
	case b == 't' || b == 'f':
		kind, s.st, s.lit = KindBool, stLiteral, literalFrom(b)
	case b == 'n':
		kind, s.st, s.lit = KindNull, stLiteral, literalFrom(b)
	default:
		return s.syntax(pos, "expected a JSON value")
	}
	s.litPos = 1
	if capturing {
		f := &s.fields[s.cur]
		f.Kind = kind
		s.curLit = kind == KindNumber || kind == KindBool || kind == KindNull
		s.capture(b)
	}
	return true
}

// number advances the number states; a byte that cannot continue the
// number ends it and is then scanned as what follows the value.
func (s *Scanner) number(b byte, pos int64) bool {
	digit := b >= '0' && b <= '9'
	next := s.st
	switch s.st {
	case stNumMinus:
		switch {
		case b == '0':
			next = stNumZero
		case digit:
			next = stNumInt
		default:
			return s.syntax(pos, "invalid number")
		}
	case stNumZero, stNumInt, stNumFrac:
		switch {
		case digit && s.st != stNumZero:
		case b == '.' && s.st != stNumFrac:
			next = stNumDot
		case b == 'e' || b == 'E':
			next = stNumE
		default:
			if digit {
				return s.syntax(pos, "invalid number: leading zero")
			}
			s.scalarDone(pos)
			return s.step(b, pos)
		}
	case stNumDot:
		if !digit {
			return s.syntax(pos, "invalid number: expected a digit after '.'")
		}
		next = stNumFrac
	case stNumE:
		switch {
		case b == '+' || b == '-':
			next = stNumESign
		case digit:
			next = stNumExp
		default:
			return s.syntax(pos, "invalid number: expected a digit in the exponent")
		}
	case stNumESign:
		if !digit {
			return s.syntax(pos, "invalid number: expected a digit in the exponent")
		}
		next = stNumExp
	case stNumExp:
		if !digit {
			s.scalarDone(pos)
			return s.step(b, pos)
		}
	}
	s.st = next
	s.capture(b)
	return true
}

func (s *Scanner) inArray() bool {
	d := s.depth - 1
	return s.stack[d/64]&(1<<(d%64)) != 0
}

func (s *Scanner) push(array bool, pos int64) bool {
	if s.depth >= MaxDepth {
		return s.failAt(ErrDepth, pos, "JSON nesting is deeper than 10000 levels")
	}
	d := s.depth
	if d/64 >= len(s.stack) {
		s.stack = append(s.stack, 0)
	}
	if array {
		s.stack[d/64] |= 1 << (d % 64)
	} else {
		s.stack[d/64] &^= 1 << (d % 64)
	}
	s.depth++
	return true
}

func (s *Scanner) pop(pos int64) bool {
	s.depth--
	if s.depth == 0 {
		s.st = stEnd
		return true
	}
	s.st = stAfterValue
	if s.depth == 1 && s.cur >= 0 {
		s.finishField(pos + 1)
	}
	return true
}

// scalarDone ends a string, number or literal value.
func (s *Scanner) scalarDone(end int64) {
	s.st = stAfterValue
	if s.depth == 1 && s.cur >= 0 {
		s.finishField(end)
	}
}

func (s *Scanner) finishField(end int64) {
	f := &s.fields[s.cur]
	f.Done, f.End = true, end
	s.cur, s.curLit = -1, false
}

// capture records a byte of a wanted number or literal.
func (s *Scanner) capture(b byte) {
	if !s.curLit || s.depth != 1 {
		return
	}
	s.appendValue(b)
}

func (s *Scanner) appendValue(b byte) {
	f := &s.fields[s.cur]
	if len(f.Value) >= s.maxValue {
		f.TooLong = true
		return
	}
	f.Value = append(f.Value, b)
}
