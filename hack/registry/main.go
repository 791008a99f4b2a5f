// Command registry serves an in-memory OCI registry on loopback with a stand-in for the images'
// base, so that `make image` and `make snapshot` run where gcr.io/distroless cannot be pulled
// (this project's machines, CI):
//
//	go build -o bin/ ./hack/registry && bin/registry -env .cache/registry.env &
//	. .cache/registry.env && make snapshot BASE_IMAGE=$BASE_IMAGE
//
// It prints (and with -env writes, once it is serving) BASE_IMAGE=HOST/distroless/static:nonroot
// and IMAGE_REPO=HOST/igw-dev. Everything pushed is kept in memory until it is interrupted.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/igw-dev/igw/internal/image/imagetest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	envFile := flag.String("env", "", "also write BASE_IMAGE=... and IMAGE_REPO=... to this file, for a shell to source")
	flag.Parse()
	if err := run(*addr, *envFile); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run(addr, envFile string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go srv.Serve(l)
	host := l.Addr().String()
	base, err := name.ParseReference(host + "/" + imagetest.BasePath)
	if err != nil {
		return err
	}
	idx, err := imagetest.Base()
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(base, idx); err != nil {
		return fmt.Errorf("pushing the stand-in base: %w", err)
	}
	env := fmt.Sprintf("BASE_IMAGE=%s\nIMAGE_REPO=%s/igw-dev\n", base, host)
	fmt.Print(env)
	if envFile != "" {
		if err := os.MkdirAll(filepath.Dir(envFile), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(envFile, []byte(env), 0o644); err != nil {
			return err
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return srv.Close()
}
