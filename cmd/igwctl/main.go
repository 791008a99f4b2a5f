// Command igwctl is the operator's CLI for the Gateway API Inference Extension.
package main

import (
	"fmt"
	"os"

	"github.com/igw-dev/igw/internal/cmd/root"
	"github.com/igw-dev/igw/internal/cmdutil"
)

func main() {
	io := cmdutil.System()
	if err := root.NewCmd(io).Execute(); err != nil {
		if !cmdutil.Silent(err) {
			fmt.Fprintf(io.ErrOut, "Error: %v\n", err)
		}
		os.Exit(cmdutil.ExitCode(err))
	}
}
