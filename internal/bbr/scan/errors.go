package scan

import "strconv"

// ErrorCode classifies why a body was rejected, so callers can pick a
// status and an error code without parsing messages.
type ErrorCode uint8

const (
	ErrSyntax    ErrorCode = iota + 1 // not valid JSON
	ErrTruncated                      // valid so far, but the body ended early
	ErrNotObject                      // valid JSON whose top level is not an object
	ErrDepth                          // nested deeper than MaxDepth
	ErrDuplicate                      // a wanted top-level key appears twice
)

// Error describes the first problem found in a body.
type Error struct {
	Code   ErrorCode
	Offset int64  // body offset of the offending byte
	Field  string // the key, for ErrDuplicate
	Msg    string
}

func (e *Error) Error() string {
	return e.Msg + " (at byte " + strconv.FormatInt(e.Offset, 10) + ")"
}

func (s *Scanner) syntax(pos int64, msg string) bool {
	return s.failAt(ErrSyntax, pos, msg)
}

func (s *Scanner) failAt(code ErrorCode, pos int64, msg string) bool {
	s.err = &Error{Code: code, Offset: pos, Msg: msg}
	return false
}

// fail records an error at the current offset and returns it.
func (s *Scanner) fail(code ErrorCode, msg string) error {
	s.failAt(code, s.off, msg)
	return s.err
}
