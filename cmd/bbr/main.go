// Command bbr is the Body Based Router: an Envoy ext_proc server that sets
// routing headers from the model named in an inference request's JSON body.
package main

import (
	"os"

	"github.com/igw-dev/igw/internal/bbr/command"
)

func main() {
	os.Exit(command.Main(os.Args[1:], os.Stdout, os.Stderr))
}
