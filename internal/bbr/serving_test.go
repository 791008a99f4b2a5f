package bbr

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/igw-dev/igw/internal/envoysim"
)

// writeCert writes a key pair for 127.0.0.1 with the given common name.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile+".tmp", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})))
	if err := os.Rename(certFile+".tmp", certFile); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

func serverCN(t *testing.T, addr string, pool *x509.CertPool) (string, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

func TestTLSFromFilesWithReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool1 := writeCert(t, dir, "first")
	bbr := startBBR(t, func(o *Options) {
		o.SecureServing, o.CertFile, o.KeyFile, o.tlsCheck = true, certFile, keyFile, 10*time.Millisecond
	})
	if cn, err := serverCN(t, bbr.addrs.GRPC, pool1); err != nil || cn != "first" {
		t.Fatalf("first certificate not served: %q %v", cn, err)
	}
	// A real Envoy-like client over TLS gets routed.
	conn, err := grpc.NewClient(bbr.addrs.GRPC, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool1, ServerName: "localhost"})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := envoysim.Run(context.Background(), extprocv3.NewExternalProcessorClient(conn),
		envoysim.Request{Headers: jsonHeaders(), Body: []byte(`{"model":"tls"}`), Mode: envoysim.FullDuplexStreamed})
	if err != nil || res.Immediate != nil {
		t.Fatalf("TLS request failed: %v", err)
	}
	time.Sleep(20 * time.Millisecond) // let the file stamps differ
	_, _, pool2 := writeCert(t, dir, "second")
	eventually(t, "the rotated certificate", func() bool {
		cn, err := serverCN(t, bbr.addrs.GRPC, pool2)
		return err == nil && cn == "second"
	})
}

func TestSelfSignedTLSByDefault(t *testing.T) {
	bbr := startBBR(t, func(o *Options) { o.SecureServing = true })
	conn, err := tls.Dial("tcp", bbr.addrs.GRPC, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatalf("self-signed TLS handshake: %v", err)
	}
	conn.Close()
	// bbr.client is plaintext: it must not get through a TLS listener.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := envoysim.Run(ctx, bbr.client, envoysim.Request{Headers: jsonHeaders(), Mode: envoysim.FullDuplexStreamed}); err == nil {
		t.Fatal("plaintext client was served by a TLS listener")
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogsNeverContainPromptText: even at debug level, with failures, no
// body content other than the model reaches the logs.
func TestLogsNeverContainPromptText(t *testing.T) {
	var logs syncBuffer
	o := DefaultOptions()
	o.BindAddress, o.GRPCPort, o.HealthPort, o.MetricsPort = "127.0.0.1", 0, 0, 0
	o.SecureServing, o.ConfigMaps, o.LogLevel = false, "false", "debug"
	srv, err := NewServer(o, "test", &logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	addrs := <-srv.Ready()
	conn, _ := grpc.NewClient(addrs.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	client := extprocv3.NewExternalProcessorClient(conn)
	const secret = "SECRET-PROMPT-7f3a"
	for _, body := range []string{
		`{"model":"m","messages":[{"content":"` + secret + `"}]}`,
		`{"model":"m","messages":[{"content":"` + secret + `"}],"model":"x"}`,
		`{"messages":[{"content":"` + secret + `"}` + "\x00",
		`{"model":"` + secret + "\\n" + `"}`,
	} {
		if _, err := envoysim.Run(context.Background(), client, envoysim.Request{Headers: jsonHeaders(), Body: []byte(body), Mode: envoysim.FullDuplexStreamed}); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	cancel()
	<-done
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("prompt text in logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "routing decision") {
		t.Fatal("debug logs missing: the test would pass vacuously")
	}
}

// TestObservabilityModeSendsNothing: Envoy ignores answers in observability
// mode and says so on the stream; bbr must not answer.
func TestObservabilityModeSendsNothing(t *testing.T) {
	h := &Handler{Metrics: NewMetrics("t"), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.Policy, _ = NewPolicy(Policy{ModelHeaders: []string{HeaderInferenceModel}, MaxModelLength: 10})
	out := &countSender{}
	s := &session{h: h, log: h.Log, stream: out}
	for _, r := range []*extprocv3.ProcessingRequest{
		{ObservabilityMode: true, Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{}}},
		{ObservabilityMode: true, Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: []byte(`{"model":"m"}`), EndOfStream: true}}},
	} {
		if err := s.handle(r); err != nil {
			t.Fatal(err)
		}
	}
	if out.n != 0 {
		t.Fatalf("%d answers in observability mode", out.n)
	}
}
