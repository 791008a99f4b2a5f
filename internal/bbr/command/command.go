// Package command is bbr's command line: flags in, a running server out.
package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/bbr/scan"
	"github.com/igw-dev/igw/internal/version"
)

// New returns the bbr root command. run is what it does with the built
// server; tests replace it.
func New(stdout, stderr io.Writer) *cobra.Command {
	o := bbr.DefaultOptions()
	v := version.Get()
	cmd := &cobra.Command{
		Use:   "bbr",
		Short: "Body Based Router: route inference requests on the model named in their JSON body",
		Long: `bbr is an Envoy external processor (ext_proc) for the Gateway API Inference Extension.
It reads the top-level "model" of each OpenAI-style JSON request body as it streams
through the gateway, and sets x-gateway-inference-model and x-gateway-model-name
(and x-gateway-base-model-name for LoRA adapters) so HTTPRoutes can split traffic
per model. It runs with no flags and no cluster; see the README for deployment.`,
		Version:       versionText(v),
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			floor := make([]byte, heapFloorBytes)
			defer runtime.KeepAlive(floor)
			srv, err := bbr.NewServer(o, v.Version, stderr)
			if err != nil {
				return err
			}
			// An operator's GOMEMLIMIT wins over the one derived from the
			// container.
			if lim := srv.GoMemoryLimit(); lim > 0 && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(lim)
			}
			// client-go's own reports go to bbr's log, in its format,
			// instead of klog's text lines on stderr.
			klog.SetSlogLogger(srv.Log().With("component", "client-go"))
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return srv.Serve(ctx)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	o.AddFlags(cmd.Flags())
	return cmd
}

// versionText is what --version prints after "bbr version": the version, then the build and which
// JSON string scanner this process runs (avx2, or the portable word loop).
func versionText(v version.Info) string {
	return fmt.Sprintf("%s (commit %s, built %s, %s, %s, JSON scanner: %s)",
		v.Version, v.ShortCommit(), v.Built(), v.GoVersion, v.Platform, scan.Accelerator())
}

// Main runs bbr and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := New(stdout, stderr)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(stderr, "bbr: %v\n", err)
		return 1
	}
	return 0
}
