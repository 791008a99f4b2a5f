package bbr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/bbr/scan"
	"github.com/igw-dev/igw/internal/bbr/wire"
)

// MaxMessageBytes bounds one gRPC message. BUFFERED mode sends a whole body
// in one message, so this is above any body a gateway should buffer.
const MaxMessageBytes = 64 << 20

// Server is a configured bbr, ready to serve.
type Server struct {
	opts    *Options
	log     *slog.Logger
	handler *Handler
	metrics *Metrics
	store   *adapters.Store
	sources []*adapters.Status
	health  *health.Server

	codec *wire.Codec

	mu       sync.Mutex
	draining bool

	goMemoryLimit int64

	// Addrs are the bound addresses, known once Serve has listened.
	ready chan Addrs
}

// Addrs are the listening addresses of a running server.
type Addrs struct{ GRPC, Health, Metrics string }

// NewServer checks the options and builds everything that does not touch
// the network; every configuration error surfaces here, before serving.
func NewServer(o *Options, version string, logOut io.Writer) (*Server, error) {
	log, err := newLogger(o, logOut)
	if err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	plan, err := o.planMemory(o.cgroupRoot)
	if err != nil {
		return nil, err
	}
	plan.apply(o, log)
	h, err := o.handlerSettings()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: log, metrics: NewMetrics(version), health: health.NewServer(), ready: make(chan Addrs, 1),
		goMemoryLimit: plan.goLimit}
	h.held = newHeldBudget(plan.heldBytes)
	s.codec = wire.NewCodec()
	s.metrics.trackBudget(h.held, s.codec.Bodies())
	s.store = adapters.NewStore(log, s.metrics.MappingSwapped)
	rules, err := o.applyPlugins()
	if err != nil {
		return nil, err
	}
	if o.RulesFile != "" {
		more, err := LoadRules(o.RulesFile)
		if err != nil {
			return nil, err
		}
		rules = append(rules, more...)
	}
	policy, err := NewPolicy(Policy{
		ModelHeaders: o.ModelHeaders, BaseModelHeader: o.BaseModelHeader, RequireModel: o.RequireModel,
		MaxModelLength: o.MaxModelLength, Rules: rules, Adapters: s.store.Snapshot,
	})
	if err != nil {
		return nil, err
	}
	h.Policy, h.Metrics, h.Log = policy, s.metrics, log
	s.handler = h
	return s, nil
}

func (o *Options) handlerSettings() (*Handler, error) {
	mode := o.RequestBodyMode
	if o.Streaming {
		mode = "FULL_DUPLEX_STREAMED"
	}
	req, err := ParseMode(mode)
	if err != nil {
		return nil, fmt.Errorf("--request-body-mode: %w", err)
	}
	resp := req
	if o.ResponseBodyMode != "" {
		if resp, err = ParseMode(o.ResponseBodyMode); err != nil {
			return nil, fmt.Errorf("--response-body-mode: %w", err)
		}
	}
	return &Handler{MaxBodyBytes: int(o.MaxBodyBytes), RequestBodyMode: req, ResponseBodyMode: resp, Strict: o.Strict}, nil
}

// GoMemoryLimit is the soft limit the Go heap should have: the held-bytes
// budget and some headroom, within nine tenths of the container's memory
// limit. The runtime's limit is the process's, so the command sets it, not
// the server.
func (s *Server) GoMemoryLimit() int64 { return s.goMemoryLimit }

// Log is the server's logger.
func (s *Server) Log() *slog.Logger { return s.log }

// Handler returns the ext_proc service, for tests that serve it themselves.
func (s *Server) Handler() *Handler { return s.handler }

// Ready delivers the bound addresses once all listeners are open.
func (s *Server) Ready() <-chan Addrs { return s.ready }

// Serve runs until ctx ends, then drains. It returns an error only when
// bbr could not start or stopped abnormally.
func (s *Server) Serve(ctx context.Context) error {
	lis, err := s.listen()
	if err != nil {
		return err
	}
	grpcSrv, err := s.grpcServer()
	if err != nil {
		closeAll(lis)
		return err
	}
	healthSrv := grpc.NewServer()
	healthpb.RegisterHealthServer(healthSrv, s.health)
	httpSrv := s.httpServer()

	srcCtx, stopSources := context.WithCancel(context.Background())
	defer stopSources()
	go trimBodies(srcCtx, s.codec.Bodies())
	if err := s.startSources(srcCtx); err != nil {
		closeAll(lis)
		grpcSrv.Stop() // ends its stream workers
		return err
	}
	s.setServing(true)

	errc := make(chan error, 3)
	go func() { errc <- grpcSrv.Serve(lis[0]) }()
	go func() { errc <- healthSrv.Serve(lis[1]) }()
	go func() { errc <- ignoreClosed(httpSrv.Serve(lis[2])) }()
	addrs := Addrs{lis[0].Addr().String(), lis[1].Addr().String(), lis[2].Addr().String()}
	s.ready <- addrs
	s.log.Info("bbr serving", "grpc", addrs.GRPC, "health", addrs.Health, "metrics", addrs.Metrics,
		"tls", s.opts.SecureServing, "model_headers", strings.Join(s.handler.Policy.ModelHeaders, ","),
		"json_scanner", scan.Accelerator())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		s.log.Error("a listener stopped; shutting down", "err", serveErr)
	}
	s.drain(grpcSrv)
	healthSrv.Stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutdownCtx)
	return serveErr
}

func (s *Server) listen() ([]net.Listener, error) {
	var lis []net.Listener
	for _, p := range []struct {
		flag string
		port int
	}{{"--grpc-port", s.opts.GRPCPort}, {"--grpc-health-port", s.opts.HealthPort}, {"--metrics-port", s.opts.MetricsPort}} {
		addr := net.JoinHostPort(s.opts.BindAddress, strconv.Itoa(p.port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(lis)
			return nil, fmt.Errorf("%s: cannot listen on %s: %w (is another process using it? pick another port with %s)", p.flag, addr, err, p.flag)
		}
		lis = append(lis, l)
	}
	return lis, nil
}

func closeAll(lis []net.Listener) {
	for _, l := range lis {
		_ = l.Close()
	}
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) grpcServer() (*grpc.Server, error) {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(MaxMessageBytes),
		// Envoy keeps long-lived connections and pings them.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
	// bbr's hot answers are wire frames, encoded already; the codec passes
	// them through and leaves every other message to protobuf.
	opts = append(opts, grpc.ForceServerCodecV2(s.codec))
	if s.opts.StreamWorkers > 0 {
		opts = append(opts, grpc.NumStreamWorkers(uint32(s.opts.StreamWorkers)))
	}
	if s.opts.SecureServing {
		cfg, err := serverTLS(s.opts, s.log)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	srv := grpc.NewServer(opts...)
	extprocv3.RegisterExternalProcessorServer(srv, s.handler)
	healthpb.RegisterHealthServer(srv, s.health)
	return srv, nil
}

func (s *Server) setServing(ok bool) {
	st := healthpb.HealthCheckResponse_SERVING
	if !ok {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(extprocv3.ExternalProcessor_ServiceDesc.ServiceName, st)
}

// drain reports NOT_SERVING, optionally keeps serving while load balancers
// notice, then lets in-flight streams finish up to the drain timeout.
func (s *Server) drain(srv *grpc.Server) {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.setServing(false)
	s.log.Info("draining", "shutdown_delay", s.opts.ShutdownDelay, "drain_timeout", s.opts.DrainTimeout)
	time.Sleep(s.opts.ShutdownDelay)
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	select {
	case <-done:
		s.log.Info("drained: all streams finished")
	case <-time.After(s.opts.DrainTimeout):
		s.log.Warn("drain timeout reached; closing the remaining streams")
		srv.Stop()
		<-done
	}
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}
