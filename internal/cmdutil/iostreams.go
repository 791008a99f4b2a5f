// Package cmdutil is what every igwctl command shares: the Factory it is given (IO streams, kube
// clients, Helm settings), the -o and --dry-run flags, the printer for text, JSON and YAML, and the
// RunE wrapper that validates --timeout and runs the command with a context Ctrl-C cancels.
package cmdutil

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams, injected so commands run in tests without a
// terminal, and what is known about the terminal stdout goes to.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Terminal describes where Out goes; the zero value is a pipe or file, no colour.
	Terminal Terminal
}

// Terminal is what a command may assume about stdout: whether a person is watching, how wide
// the screen is, and whether colour is welcome.
type Terminal struct {
	TTY   bool
	Width int
	Color bool
}

// DefaultWidth is the width assumed when stdout is not a terminal and $COLUMNS is not set.
const DefaultWidth = 80

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Terminal: DetectTerminal(os.Stdout, os.Getenv)}
}

// DetectTerminal describes f. Colour needs a terminal that is not TERM=dumb, and is off whenever
// NO_COLOR is set to anything (https://no-color.org).
func DetectTerminal(f *os.File, getenv func(string) string) Terminal {
	t := Terminal{TTY: term.IsTerminal(int(f.Fd())), Width: DefaultWidth}
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		t.Width = n
	}
	if t.TTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			t.Width = w
		}
	}
	t.Color = t.TTY && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	return t
}
