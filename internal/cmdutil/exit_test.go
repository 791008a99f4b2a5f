package cmdutil

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	plain := errors.New("boom")
	for _, tc := range []struct {
		err    error
		code   int
		silent bool
		text   string
	}{
		{nil, 0, false, ""},
		{plain, 1, false, "boom"},
		{&ExitError{Code: 2}, 2, true, "exit status 2"},
		{&ExitError{Code: 3, Err: plain}, 3, false, "boom"},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: 3, Err: plain}), 3, false, "wrapped: boom"},
		{WithCode(3, plain), 3, false, "boom"},
		{WithCode(3, nil), 0, false, ""},
	} {
		if got := ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if got := Silent(tc.err); got != tc.silent {
			t.Errorf("Silent(%v) = %v", tc.err, got)
		}
		if tc.err != nil && tc.err.Error() != tc.text {
			t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.text)
		}
	}
	if !errors.Is(&ExitError{Code: 3, Err: plain}, plain) {
		t.Error("ExitError does not unwrap to its error")
	}
}
