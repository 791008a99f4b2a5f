// Command testbed does the parts of hack/testbed.sh that bash cannot do portably on its own: a
// throwaway PKI and kubeconfig, free loopback ports, and a TLS-authenticated /readyz probe. It uses
// only the standard library, so the script needs nothing beyond Go (no openssl, curl or kubectl).
//
//	testbed ports N                                  print N free loopback TCP ports
//	testbed pki -dir D -server URL -kubeconfig F     write CA, serving, admin and SA keys to D; F embeds them
//	testbed ready -pki D -server URL                 exit 0 if URL/readyz answers 200 to the admin cert
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testbed {ports N | pki ... | ready ...}")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "ports":
		err = ports(args)
	case "pki":
		err = pki(args)
	case "ready":
		err = ready(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testbed: %v\n", err)
		os.Exit(1)
	}
}

// ports holds every listener open until all are chosen, so the N ports are distinct. Another
// process may still grab one before etcd or kube-apiserver binds it; the script then fails to start
// loudly rather than talking to the wrong server, which is acceptable for a developer tool.
func ports(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: ports N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("bad count %q", args[0])
	}
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		out = append(out, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(out, " "))
	return nil
}

func pki(args []string) error {
	fs := flag.NewFlagSet("pki", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the PEM files")
	server := fs.String("server", "", "kube-apiserver URL for the kubeconfig")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *server == "" || *kubeconfig == "" {
		return errors.New("pki needs -dir, -server and -kubeconfig")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}

	ca, err := newCert(nil, nil, x509.Certificate{
		Subject:               pkix.Name{CommonName: "igw-testbed-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	if err != nil {
		return err
	}
	serving, err := newCert(ca.cert, ca.key, x509.Certificate{
		Subject: pkix.Name{CommonName: "kube-apiserver"},
		// Only loopback names: the bed has no nodes or pods that would use the Service address.
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return err
	}
	// The system:masters group makes this client cluster-admin without any RBAC objects.
	admin, err := newCert(ca.cert, ca.key, x509.Certificate{
		Subject:     pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}

	files := map[string][]byte{
		"ca.crt":        ca.certPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"admin.crt":     admin.certPEM,
		"admin.key":     admin.keyPEM,
		"sa.pub":        pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
	}
	if files["sa.key"], err = keyPEM(saKey); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*dir, name), data, 0o600); err != nil {
			return err
		}
	}

	// Data embedded rather than file paths, so the kubeconfig keeps working when copied elsewhere.
	b64 := base64.StdEncoding.EncodeToString
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: igw-testbed
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: igw-testbed-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: igw-testbed
  context:
    cluster: igw-testbed
    user: igw-testbed-admin
current-context: igw-testbed
`, *server, b64(ca.certPEM), b64(admin.certPEM), b64(admin.keyPEM))
	return os.WriteFile(*kubeconfig, []byte(cfg), 0o600)
}

type keyPair struct {
	cert            *x509.Certificate
	key             crypto.Signer
	certPEM, keyPEM []byte
}

// newCert signs tmpl with parent/parentKey, or self-signs when parent is nil. P-256 rather than RSA
// because key generation is instant and kube-apiserver accepts ECDSA for every role used here.
func newCert(parent *x509.Certificate, parentKey crypto.Signer, tmpl x509.Certificate) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	// Backdated so a slightly skewed clock between cert creation and first use does not matter.
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().AddDate(1, 0, 0)
	if parent == nil {
		parent, parentKey = &tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kp := &keyPair{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	kp.keyPEM, err = keyPEM(key)
	return kp, err
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func ready(args []string) error {
	fs := flag.NewFlagSet("ready", flag.ContinueOnError)
	dir := fs.String("pki", "", "directory written by the pki command")
	server := fs.String("server", "", "kube-apiserver URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	caPEM, err := os.ReadFile(filepath.Join(*dir, "ca.crt"))
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return errors.New("no certificate in ca.crt")
	}
	admin, err := tls.LoadX509KeyPair(filepath.Join(*dir, "admin.crt"), filepath.Join(*dir, "admin.key"))
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:      roots,
			Certificates: []tls.Certificate{admin},
		}},
	}
	// ?verbose lists the failing checks, which is what a user wants to see when start times out.
	resp, err := client.Get(strings.TrimSuffix(*server, "/") + "/readyz?verbose")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s\n%s", resp.Status, body)
	}
	return nil
}
