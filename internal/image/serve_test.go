package image

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/igw-dev/igw/internal/envoysim"
	"github.com/igw-dev/igw/internal/sdkbody"
)

// serveOne starts the bbr binary taken out of the image, on loopback, and sends it one request
// the way Envoy's FULL_DUPLEX_STREAMED filter does, with a body shaped as the OpenAI Python SDK
// sends it (model after messages). The answer must route on the model: the image's binary is
// the whole server, not only a --version.
func serveOne(t *testing.T, bin string) {
	t.Helper()
	ports := freePorts(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--bind-address", "127.0.0.1", "--secure-serving=false",
		"--grpc-port", ports[0], "--grpc-health-port", ports[1], "--metrics-port", ports[2], "--configmaps=false")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("bbr's log:\n%s", logs.String())
		}
	}()
	conn, err := grpc.NewClient("127.0.0.1:"+ports[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := extprocv3.NewExternalProcessorClient(conn)
	req := envoysim.Request{
		Headers: [][2]string{{":method", "POST"}, {":path", "/v1/chat/completions"}, {"content-type", "application/json"}},
		Body:    sdkbody.VisionChat("llama-3.1-8b-instruct", 4096),
		Chunks:  []int{1000},
		Mode:    envoysim.FullDuplexStreamed,
	}
	// The server needs a moment to listen; a refused connection is retried until then.
	deadline := time.Now().Add(20 * time.Second)
	for {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := envoysim.Run(rctx, client, req)
		rcancel()
		if err == nil {
			if got, _ := res.Headers.Get("x-gateway-inference-model"); got != "llama-3.1-8b-instruct" || res.Immediate != nil {
				t.Fatalf("bbr from the image routed to %q (immediate %v)", got, res.Immediate)
			}
			if string(res.Body) != string(req.Body) {
				t.Fatal("bbr from the image changed the body it forwarded")
			}
			t.Logf("bbr from the image routed one request: x-gateway-inference-model=llama-3.1-8b-instruct")
			return
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("no answer from bbr run out of the image: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePorts finds n ports the kernel has free on loopback now.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
