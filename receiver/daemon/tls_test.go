package daemon

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"go.uber.org/zap/zaptest"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "alarmrx test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS serves HTTPS (with HSTS) and a Sur-Gard listener over TLS.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cfg := surgardConfig(t, func(l *configs.Listener) { l.TLSCert, l.TLSKey = certFile, keyFile })
	cfg.HTTP.TLSCert, cfg.HTTP.TLSKey = certFile, keyFile
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := runDaemon(t, cfg, zaptest.NewLogger(t))
	d := r.d

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	var resp *http.Response
	var err error
	waitFor(t, 5*time.Second, func() bool {
		resp, err = client.Get("https://" + d.HTTPAddr() + "/-/ready")
		return err == nil && resp.StatusCode == http.StatusOK
	})
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS header over TLS")
	}
	if plain, err := http.Get("http://" + d.HTTPAddr() + "/-/ready"); err == nil && plain.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP answered on the TLS port")
	}

	c, err := tls.Dial("tcp", r.addr("surgard-in", "tcp"), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := &surgardLine{t: t, rw: c, rd: bufio.NewReader(c)}
	if got := line.send("501100 181234E13001017", 3*time.Second); got != 0x06 {
		t.Fatalf("record over TLS answered %#x", got)
	}
}
