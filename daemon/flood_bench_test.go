package daemon

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// BenchmarkRefusedInputFlood floods the daemon from one address with input
// it must refuse, as an attacker with no credentials can, and reports what
// that costs the station: rows and bytes kept as evidence, growth of the
// database files, and log lines. Each op is one refused message.
//
//	go test -run '^$' -bench RefusedInputFlood -benchtime 10000x ./daemon
func BenchmarkRefusedInputFlood(b *testing.B) {
	// An 8 KiB XML message with a wrong passkey, as in the attack that
	// stored 9,758 such frames (81 MiB) in 15 s.
	wrongPasskey := func(n int) []byte {
		return fmt.Appendf(nil, `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>m%d</MessageId><Source>chekt</Source>`+
			`<Passkey>not-the-passkey-%d</Passkey></Header><Signal><Account>ABC1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime>`+
			`<Code format="CID">E130</Code><Text>%s</Text></Signal></AlarmMessage>`, n, n, strings.Repeat("x", 8000))
	}
	xmlFlood := func(b *testing.B, edit func(*configs.Config), prune bool) {
		cfg := testConfig(&testing.T{}, b.TempDir())
		cfg.XML.Senders = []configs.XMLSender{{ID: "chekt", Passkey: chektPasskey, Receiver: 2, Line: 3}}
		addXMLTCP(cfg)
		if edit != nil {
			edit(cfg)
		}
		core, logs := observer.New(zapcore.InfoLevel)
		d := floodDaemon(b, cfg, zap.New(core))
		before := dataSize(b, cfg.DataDir)
		startLines := len(logs.All())
		var addr string
		for _, a := range d.Addrs() {
			if a.Listener == "xml-tcp" {
				addr = a.TCP
			}
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		answers := make(chan error, 1)
		go func() {
			br := bufio.NewReader(c)
			for range b.N {
				if _, err := br.ReadString('>'); err != nil { // the answer's first tag
					answers <- err
					return
				}
				if _, err := br.ReadBytes('\n'); err != nil {
					answers <- err
					return
				}
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						answers <- err
						return
					}
					if strings.Contains(line, "</AlarmResponse>") {
						break
					}
				}
			}
			answers <- nil
		}()
		b.ResetTimer()
		w := bufio.NewWriter(c)
		for i := range b.N {
			_, _ = w.Write(wrongPasskey(i))
		}
		_ = w.Flush()
		if err := <-answers; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if prune {
			if _, _, err := d.Store().PruneEvidence(context.Background(), cfg.Evidence.MaxBytes, maxFailedLoginRows); err != nil {
				b.Fatal(err)
			}
		}
		rows, raw := rejectedEvidence(b, d.Store())
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refused/s")
		b.ReportMetric(float64(rows), "rows_kept")
		b.ReportMetric(float64(raw)/(1<<20), "MiB_kept")
		b.ReportMetric(float64(dataSize(b, cfg.DataDir)-before)/(1<<20), "MiB_disk_growth")
		b.ReportMetric(float64(badInputLines(logs.All()[startLines:])), "log_lines")
	}
	b.Run("xml_wrong_passkey_tcp", func(b *testing.B) { xmlFlood(b, nil, false) })
	b.Run("xml_wrong_passkey_tcp_no_rate_budget_1MiB_cap", func(b *testing.B) {
		xmlFlood(b, func(c *configs.Config) {
			c.Evidence = configs.Evidence{PerSourcePerMinute: 1 << 30, PerMinute: 1 << 30, MaxBytes: 1 << 20}
		}, true)
	})

	b.Run("login_1MiB_username", func(b *testing.B) {
		cfg := testConfig(&testing.T{}, b.TempDir())
		core, logs := observer.New(zapcore.InfoLevel)
		d := floodDaemon(b, cfg, zap.New(core))
		before := dataSize(b, cfg.DataDir)
		startLines := len(logs.All())
		body := `{"username":"` + strings.Repeat("u", 1<<20) + `","password":"guess"}`
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		b.ResetTimer()
		var refused413 int
		for range b.N {
			// The server answers 413 and closes before the body is read:
			// the client may see that answer or only the closed connection.
			resp, err := client.Post("http://"+d.HTTPAddr()+"/api/v1/login", "application/json", strings.NewReader(body))
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				b.Fatalf("HTTP %d, want 413", resp.StatusCode)
			}
			refused413++
		}
		b.StopTimer()
		audit, err := d.Store().Audit(context.Background(), 0, store.MaxListLimit)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refused/s")
		b.ReportMetric(float64(len(audit)), "audit_rows")
		b.ReportMetric(float64(refused413), "answered_413")
		b.ReportMetric(float64(dataSize(b, cfg.DataDir)-before)/(1<<20), "MiB_disk_growth")
		b.ReportMetric(float64(badInputLines(logs.All()[startLines:])), "log_lines")
	})

	b.Run("login_wrong_passwords", func(b *testing.B) {
		cfg := testConfig(&testing.T{}, b.TempDir())
		core, logs := observer.New(zapcore.InfoLevel)
		d := floodDaemon(b, cfg, zap.New(core))
		before := dataSize(b, cfg.DataDir)
		startLines := len(logs.All())
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		codes := map[int]int{}
		b.ResetTimer()
		for i := range b.N {
			body := fmt.Sprintf(`{"username":"user%d","password":"guess"}`, i)
			resp, err := client.Post("http://"+d.HTTPAddr()+"/api/v1/login", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
		}
		b.StopTimer()
		audit, err := d.Store().Audit(context.Background(), 0, store.MaxListLimit)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refused/s")
		b.ReportMetric(float64(codes[http.StatusUnauthorized]), "answered_401")
		b.ReportMetric(float64(codes[http.StatusTooManyRequests]), "answered_429")
		b.ReportMetric(float64(len(audit)), "audit_rows")
		b.ReportMetric(float64(dataSize(b, cfg.DataDir)-before)/(1<<20), "MiB_disk_growth")
		b.ReportMetric(float64(badInputLines(logs.All()[startLines:])), "log_lines")
	})

	b.Run("tls_handshake_failures", func(b *testing.B) {
		certFile, keyFile, pool := selfSigned(&testing.T{})
		cfg := testConfig(&testing.T{}, b.TempDir())
		cfg.HTTP.TLSCert, cfg.HTTP.TLSKey = certFile, keyFile
		core, logs := observer.New(zapcore.InfoLevel)
		d := floodDaemon(b, cfg, zap.New(core))
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		for deadline := time.Now().Add(5 * time.Second); ; {
			resp, err := client.Get("https://" + d.HTTPAddr() + "/-/ready")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				b.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := len(logs.All())
		b.ResetTimer()
		for range b.N {
			c, err := net.Dial("tcp", d.HTTPAddr())
			if err != nil {
				b.Fatal(err)
			}
			_, _ = c.Write([]byte("\x16\x03\x01\x00\x05hello")) // a truncated ClientHello
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, c)
			_ = c.Close()
		}
		b.StopTimer()
		lines := badInputLines(logs.All()[start:])
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		b.ReportMetric(float64(lines), "log_lines")
		b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "log_lines/s")
	})
}

func floodDaemon(b *testing.B, cfg *configs.Config, log *zap.Logger) *Daemon {
	b.Helper()
	d, _ := benchDaemonLogging(b, cfg, log)
	return d
}

// dataSize is the bytes of the data directory's files.
func dataSize(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// rejectedEvidence counts the rejected frames kept and their raw bytes.
func rejectedEvidence(b *testing.B, st *store.Store) (rows int, raw int64) {
	b.Helper()
	var after int64
	for {
		frames, err := st.Frames(context.Background(), store.FrameFilter{Status: store.StatusRejected, AfterID: after, Limit: store.MaxListLimit})
		if err != nil {
			b.Fatal(err)
		}
		if len(frames) == 0 {
			return rows, raw
		}
		for _, f := range frames {
			rows++
			raw += int64(len(f.RawHex) / 2)
			after = f.ID
		}
	}
}

// badInputLines counts the log lines about refused input: warnings, and
// failed logins (logged as information). Start-up lines do not count.
func badInputLines(entries []observer.LoggedEntry) int {
	n := 0
	for _, e := range entries {
		if e.Level >= zapcore.WarnLevel || e.Message == "login failed" {
			n++
		}
	}
	return n
}
