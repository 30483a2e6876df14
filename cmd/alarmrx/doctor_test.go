package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	binenc "encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDoctor: on a sound machine doctor finds nothing to fix and exits
// 0; with a listener's port taken by another program, an HTTPS
// certificate expiring in 3 days, a clock 30 s ahead of its NTP server (a
// real UDP server on 127.0.0.1 here) and a database written by a newer
// alarmrx, it names each with what to do and exits 1.
func TestDoctor(t *testing.T) {
	ntpServer := func(skew time.Duration) string {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		must(t, err)
		t.Cleanup(func() { _ = pc.Close() })
		go func() {
			buf := make([]byte, 48)
			for {
				_, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				resp := make([]byte, 48)
				resp[0] = 0x24              // version 4, mode 4 (server)
				resp[1] = 2                 // stratum 2
				at := time.Now().Add(-skew) // the client's clock is skew ahead
				binenc.BigEndian.PutUint32(resp[40:], uint32(at.Unix()+2208988800))
				binenc.BigEndian.PutUint32(resp[44:], uint32(float64(at.Nanosecond())/1e9*(1<<32)))
				_, _ = pc.WriteTo(resp, from)
			}
		}()
		return pc.LocalAddr().String()
	}
	dir := t.TempDir()
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	config := cfg.write(t, dir)
	code, out, errs := runCmd(t, "doctor", "--config", config, "--ntp", ntpServer(0))
	if code != 0 || !strings.Contains(out, "0 problem(s), 0 warning(s)") || !strings.Contains(out, "ok    clock: ") {
		t.Fatalf("a sound machine: exit %d\n%s%s", code, out, errs)
	}

	taken, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.dcPort))
	must(t, err)
	defer taken.Close()
	certFile, keyFile := expiringCert(t, 3*24*time.Hour)
	b, err := os.ReadFile(config)
	must(t, err)
	must(t, os.WriteFile(config, []byte(strings.Replace(string(b), "http: {listen:",
		fmt.Sprintf("http: {tls_cert: %s, tls_key: %s, listen:", certFile, keyFile), 1)), 0o644))
	// A database a newer alarmrx wrote: the schema version past this build's.
	must(t, os.MkdirAll(cfg.dataDir, 0o700))
	code, _, errs = runCmd(t, "doctor", "--config", config, "--ntp", "")
	if code != 1 {
		t.Fatalf("with the port taken: exit %d %s", code, errs)
	}
	newerDatabase(t, filepath.Join(cfg.dataDir, "alarmrx.db"))
	code, out, _ = runCmd(t, "doctor", "--config", config, "--ntp", ntpServer(30*time.Second))
	for _, want := range []string{
		fmt.Sprintf("FAIL  port 127.0.0.1:%d/tcp (listener dc09): in use by another program", cfg.dcPort),
		fmt.Sprintf("fix: find it with `ss -lntup | grep :%d`", cfg.dcPort),
		"warn  certificate " + certFile + " (http): valid until ",
		"warn  clock: 30s ahead of 127.0.0.1:",
		"FAIL  database " + filepath.Join(cfg.dataDir, "alarmrx.db") + ": schema version 999, newer than this build's",
		"2 problem(s), 2 warning(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor's report lacks %q", want)
		}
	}
	if code != 1 || t.Failed() {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// expiringCert writes a self-signed certificate for 127.0.0.1 valid for
// the given time, and its key.
func expiringCert(t *testing.T, valid time.Duration) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "doctor test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(valid), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

// newerDatabase writes a SQLite file whose schema version no build has.
func newerDatabase(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	must(t, err)
	defer db.Close()
	_, err = db.Exec("PRAGMA journal_mode = WAL; PRAGMA user_version = 999") // WAL, as alarmrx's are
	must(t, err)
}
