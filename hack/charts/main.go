// Command charts serves the stand-in charts of testdata/charts from an OCI registry on
// loopback, so the install commands can be tried by hand on the test bed, which cannot reach
// the real charts' registries:
//
//	go build -o bin/ ./hack/charts && bin/charts &   # prints the --chart-repo flags to use
//	bin/igwctl install pool llama --selector app=llama --chart-repo oci://127.0.0.1:PORT/charts --plain-http
//
// Each chart is pushed at the version its Chart.yaml names; the registry lives until
// interrupted and keeps nothing.
package main

import (
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/igw-dev/igw/internal/ocitest"
)

func main() {
	root := "testdata/charts"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	reg, err := ocitest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "Chart.yaml" {
			return err
		}
		ref, version, err := reg.PushChart(filepath.Dir(path), "")
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Dir(path), err)
		}
		fmt.Fprintf(os.Stderr, "pushed %s:%s\n", ref, version)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("--chart-repo %s --plain-http\n", reg.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
