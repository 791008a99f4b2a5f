package cmdutil

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// RunFunc is a command's work, given its filled Options and a context that ends on Ctrl-C.
type RunFunc[O any] func(ctx context.Context, o *O) error

// RunE is every command's cobra RunE. It checks that --timeout, where the command has one, is
// positive, then runs prepare (flag checks and completion that need the parsed command and its
// arguments; nil when there are none), then calls run with a context cancelled by SIGINT or
// SIGTERM. A non-nil hook replaces run: tests use it to see the Options a command line makes.
func RunE[O any](o *O, run, hook RunFunc[O], prepare func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := checkTimeout(cmd); err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(cmd, args); err != nil {
				return err
			}
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		if hook != nil {
			return hook(ctx, o)
		}
		return run(ctx, o)
	}
}

func checkTimeout(cmd *cobra.Command) error {
	if cmd.Flags().Lookup("timeout") == nil {
		return nil
	}
	d, err := cmd.Flags().GetDuration("timeout")
	if err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", d)
	}
	return nil
}
