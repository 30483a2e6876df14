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
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
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

// tlsSurgardLine connects to a Sur-Gard listener over TLS, trusting pool;
// the connection closes with the test.
func tlsSurgardLine(t *testing.T, addr string, pool *x509.CertPool) *surgardLine {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &surgardLine{t: t, rw: c, rd: bufio.NewReader(c)}
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

	line := tlsSurgardLine(t, r.addr("surgard-in", "tcp"), pool)
	if got := line.send("501100 181234E13001017", 3*time.Second); got != 0x06 {
		t.Fatalf("record over TLS answered %#x", got)
	}

	// Each certificate served says when it expires, for the alert rules.
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d", pair.Leaf.NotAfter.Unix())
	expiry := map[string]string{}
	mfs, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "alarmrx_tls_certificate_expiry_timestamp_seconds" {
			for _, m := range mf.GetMetric() {
				expiry[m.GetLabel()[0].GetValue()] = fmt.Sprintf("%.0f", m.GetGauge().GetValue())
			}
		}
	}
	if len(expiry) != 2 || expiry["http"] != want || expiry["surgard-in"] != want {
		t.Fatalf("certificate expiry %v, want http and surgard-in at %s", expiry, want)
	}
}

// TestFailedHandshakesAreThrottled: a client failing TLS handshakes in a
// loop gets them counted one by one, but the log gets one line per 10 s
// (12,626 lines in 5 s before), and the HTTP connection cap holds.
func TestFailedHandshakesAreThrottled(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.TLSCert, cfg.HTTP.TLSKey = certFile, keyFile
	cfg.HTTP.MaxConns, cfg.HTTP.MaxConnsPerIP = 32, 8
	core, logs := observer.New(zapcore.DebugLevel)
	r := runDaemon(t, cfg, zap.New(core))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	waitFor(t, 5*time.Second, func() bool {
		resp, err := client.Get("https://" + r.d.HTTPAddr() + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	const attempts = 300
	for range attempts {
		c, err := net.Dial("tcp", r.d.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) // plain HTTP on the TLS port
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, c)
		_ = c.Close()
	}
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_http_server_errors_total", "kind", "tls_handshake") >= attempts
	})
	if n := len(logs.FilterMessage("http server error").All()); n != 1 {
		t.Errorf("%d log lines for %d failed handshakes within 10 s, want 1", n, attempts)
	}

	// Idle connections past the per-address cap are closed at once.
	var held []net.Conn
	for range 8 {
		c, err := net.Dial("tcp", r.d.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	waitFor(t, 5*time.Second, func() bool {
		c, err := net.Dial("tcp", r.d.HTTPAddr())
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) && counter(t, r, "alarmrx_http_connections_refused_total", "limit", "max_conns_per_ip") >= 1
	})
}
