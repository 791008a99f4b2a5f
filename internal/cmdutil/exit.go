package cmdutil

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// ExitError ends igwctl with exit status Code. A command returns one when its exit status says
// more than failed or not, as `igwctl diagnose` does (1 errors found, 2 warnings found, 3 could
// not run). Err, when not nil, is printed as any error is; without it igwctl exits silently,
// having said what it had to on stdout.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit status for what a command returned: 0 for nil, an ExitError's Code, and 1
// for any other error.
func ExitCode(err error) int {
	var e *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Code
	}
	return 1
}

// Silent reports whether igwctl should print nothing for err: an ExitError without a message.
func Silent(err error) bool {
	var e *ExitError
	return errors.As(err, &e) && e.Err == nil
}

// WithCode wraps err in an ExitError with code, for a command whose exit status says why it
// failed; nil stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err}
}

// UsageCode makes a command line that cmd cannot take, its arguments or its flags, exit with
// code: commands whose exit statuses scripts read (diagnose, verify, top, conformance) keep 1
// for what they found and give a bad command line the code for "could not run".
func UsageCode(code int, cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error { return WithCode(code, args(c, a)) }
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return WithCode(code, err) })
}
