package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// maxMessageBytes matches bbr's gRPC message limit (internal/bbr/run.go).
const maxMessageBytes = 64 << 20

// streamWorkers is bbr.DefaultStreamWorkers, kept apart so the echo
// binary links none of bbr (a test holds them equal).
const streamWorkers = 128

// echoReady is the line the echo process prints once it listens, so the
// parent needs no polling to know it can connect.
const echoReady = "echo ready"

// serveEcho runs the echo ext_proc server until SIGTERM or SIGINT. It is
// the floor of the gRPC path: the least any FULL_DUPLEX_STREAMED processor
// must do (answer the headers, hand every chunk back), in its own process
// with the same server options as bbr, so that the difference to bbr is
// bbr's own work and not gRPC's.
func serveEcho(addr, debugAddr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if debugAddr != "" {
		// The same heap endpoint bbr serves with --enable-pprof, so the
		// held-memory probe reads both servers alike.
		dl, err := net.Listen("tcp", debugAddr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { _ = http.Serve(dl, mux) }()
	}
	srv := newEchoServer()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Stop()
	}()
	fmt.Fprintln(os.Stdout, echoReady)
	if err := srv.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// newEchoServer uses bbr's default server options (internal/bbr/run.go
// grpcServer), stream workers included: they make both servers faster
// alike, and the ratio is about what bbr does beyond echoing.
func newEchoServer() *grpc.Server {
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.NumStreamWorkers(streamWorkers),
	)
	extprocv3.RegisterExternalProcessorServer(srv, echoServer{})
	return srv
}

type echoServer struct {
	extprocv3.UnimplementedExternalProcessorServer
}

// Process answers each message at once and holds nothing.
func (echoServer) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	var out echoOut
	for {
		req, err := stream.Recv()
		if err != nil {
			if err == io.EOF || status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		}
		resp, err := out.answer(req)
		if err != nil {
			return err
		}
		err = stream.Send(resp)
		// Like bbr, drop the chunk once sent so an idle stream holds none.
		out.srBody.Body = nil
		if err != nil {
			return err
		}
	}
}

// echoOut holds one stream's reusable answers. bbr reuses its body answer
// the same way (session.streamOut), so neither side pays for allocations
// the other avoids.
type echoOut struct {
	resp    extprocv3.ProcessingResponse
	reqH    extprocv3.ProcessingResponse_RequestHeaders
	reqB    extprocv3.ProcessingResponse_RequestBody
	reqT    extprocv3.ProcessingResponse_RequestTrailers
	respH   extprocv3.ProcessingResponse_ResponseHeaders
	respB   extprocv3.ProcessingResponse_ResponseBody
	respT   extprocv3.ProcessingResponse_ResponseTrailers
	headers extprocv3.HeadersResponse
	trailer extprocv3.TrailersResponse
	body    extprocv3.BodyResponse
	common  extprocv3.CommonResponse
	mut     extprocv3.BodyMutation
	sr      extprocv3.BodyMutation_StreamedResponse
	srBody  extprocv3.StreamedBodyResponse
}

func (o *echoOut) answer(req *extprocv3.ProcessingRequest) (*extprocv3.ProcessingResponse, error) {
	switch r := req.Request.(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		o.reqH.RequestHeaders = &o.headers
		o.resp.Response = &o.reqH
	case *extprocv3.ProcessingRequest_RequestBody:
		o.reqB.RequestBody = o.streamed(r.RequestBody)
		o.resp.Response = &o.reqB
	case *extprocv3.ProcessingRequest_RequestTrailers:
		o.reqT.RequestTrailers = &o.trailer
		o.resp.Response = &o.reqT
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		o.respH.ResponseHeaders = &o.headers
		o.resp.Response = &o.respH
	case *extprocv3.ProcessingRequest_ResponseBody:
		o.respB.ResponseBody = o.streamed(r.ResponseBody)
		o.resp.Response = &o.respB
	case *extprocv3.ProcessingRequest_ResponseTrailers:
		o.respT.ResponseTrailers = &o.trailer
		o.resp.Response = &o.respT
	default:
		return nil, status.Error(codes.InvalidArgument, "a ProcessingRequest with no headers, body or trailers")
	}
	return &o.resp, nil
}

// streamed hands a chunk back unchanged, as FULL_DUPLEX_STREAMED requires.
func (o *echoOut) streamed(b *extprocv3.HttpBody) *extprocv3.BodyResponse {
	o.srBody.Body, o.srBody.EndOfStream = b.GetBody(), b.GetEndOfStream()
	o.sr.StreamedResponse = &o.srBody
	o.mut.Mutation = &o.sr
	o.common.BodyMutation = &o.mut
	o.body.Response = &o.common
	return &o.body
}
