package bbr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"time"
)

// certReloader serves the key pair from disk and re-reads it when either
// file changes, so cert-manager rotations need no restart. A broken pair on
// disk keeps the last good one in use.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	every   time.Duration // how often the files are checked
	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string
	checked time.Time
}

func newCertReloader(certFile, keyFile string, every time.Duration, log *slog.Logger) (*certReloader, error) {
	if every <= 0 {
		every = 10 * time.Second
	}
	r := &certReloader{certFile: certFile, keyFile: keyFile, every: every, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) fileStamp() string {
	var s string
	for _, f := range []string{r.certFile, r.keyFile} {
		if st, err := os.Stat(f); err == nil {
			s += fmt.Sprintf("%d/%d;", st.ModTime().UnixNano(), st.Size())
		}
	}
	return s
}

func (r *certReloader) load() error {
	stamp := r.fileStamp()
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("loading --tls-cert-file/--tls-key-file: %w", err)
	}
	r.cert, r.stamp = &c, stamp
	return nil
}

// getCertificate checks the files at most once per interval, so a busy
// listener does not stat them on every handshake.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) > r.every {
		r.checked = time.Now()
		if r.fileStamp() != r.stamp {
			if err := r.load(); err != nil {
				r.log.Error("TLS certificate not reloaded; serving the previous one", "err", err)
			} else {
				r.log.Info("TLS certificate reloaded", "file", r.certFile)
			}
		}
	}
	return r.cert, nil
}

// serverTLS builds the ext_proc TLS config: files when given, otherwise a
// self-signed certificate, as upstream BBR does, for gateways configured to
// skip verification.
func serverTLS(o *Options, log *slog.Logger) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2"}}
	if o.CertFile != "" {
		r, err := newCertReloader(o.CertFile, o.KeyFile, o.tlsCheck, log)
		if err != nil {
			return nil, err
		}
		cfg.GetCertificate = r.getCertificate
		return cfg, nil
	}
	c, err := selfSigned()
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []tls.Certificate{c}
	log.Info("serving ext_proc over TLS with a self-signed certificate; pass --tls-cert-file and --tls-key-file for a real one")
	return cfg, nil
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"igw bbr"}, CommonName: "bbr"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "bbr"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
