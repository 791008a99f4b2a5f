// Command igwctl is the operator's CLI for the Gateway API Inference Extension. Installed as
// kubectl-igw (krew does), it is the kubectl plugin `kubectl igw`.
package main

import (
	"fmt"
	"os"

	"github.com/igw-dev/igw/internal/cmd/root"
	"github.com/igw-dev/igw/internal/cmdutil"
)

func main() {
	io := cmdutil.System()
	if err := root.NewCmdNamed(io, os.Args[0]).Execute(); err != nil {
		if !cmdutil.Silent(err) {
			fmt.Fprintf(io.ErrOut, "Error: %v\n", err)
		}
		os.Exit(cmdutil.ExitCode(err))
	}
}
