package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"go.uber.org/zap"
)

// BenchmarkEndToEnd runs the whole daemon in-process and drives it with the
// bench panels over loopback: every op is one frame durably committed and
// acknowledged. Run with -cpuprofile to see where a signal's time goes.
func BenchmarkEndToEnd(b *testing.B) {
	for _, tc := range []struct {
		network string
		conns   int
		aes     bool
	}{{"tcp", 1, false}, {"tcp", 16, false}, {"tcp", 16, true}, {"udp", 16, false}} {
		b.Run(fmt.Sprintf("%s/conns=%d/aes=%v", tc.network, tc.conns, tc.aes), func(b *testing.B) {
			cfg := testConfig(&testing.T{}, b.TempDir())
			cfg.HTTP.Listen = ""
			// An account with a key must encrypt (DC-09-2013 §5.5.3.3: a plain frame
			// for it is refused), so the "*" key that covers the AES panels'
			// accounts is given only to them.
			if tc.aes {
				cfg.Receivers[0].Listeners[0].Keys = append(cfg.Receivers[0].Listeners[0].Keys,
					cfgKey("*", hexKey))
			}
			d, ctx := benchDaemon(b, cfg)
			o := panel.Options{Network: tc.network, Timeout: 5 * time.Second}
			if tc.network == "udp" {
				o.Addr = d.Addrs()[0].UDP
			} else {
				o.Addr = d.Addrs()[0].TCP
			}
			if tc.aes {
				o.Key, _ = dc09.ParseKey(hexKey, "hex")
			}
			// Receipt to visible: how long after its frame arrived a queue
			// subscriber (what the console's event stream reads) hears of
			// the incident change.
			events, unsubscribe := d.Store().SubscribeQueue()
			var visible []time.Duration
			seen, stop := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(seen)
				for {
					select {
					case e := <-events:
						if !e.ReceivedAt.IsZero() {
							visible = append(visible, time.Since(e.ReceivedAt))
						}
					case <-stop:
						return
					}
				}
			}()
			b.ResetTimer()
			res, err := panel.Bench(ctx, panel.BenchOptions{Options: o, Conns: tc.conns, Count: b.N})
			if err != nil {
				b.Fatal(err)
			}
			if res.Acked != b.N {
				b.Fatalf("acked %d of %d: %s", res.Acked, b.N, res.FirstErr)
			}
			b.ReportMetric(res.AckedPerS, "acked/s")
			b.ReportMetric(res.P99ms, "p99_ms")
			b.StopTimer()
			time.Sleep(100 * time.Millisecond) // the last commits' events
			close(stop)
			<-seen
			unsubscribe()
			if len(visible) > 0 {
				slices.Sort(visible)
				b.ReportMetric(float64(visible[len(visible)*99/100])/float64(time.Millisecond), "visible_p99_ms")
			}
		})
	}
}

// benchDaemon runs a daemon for one benchmark, stopped when it ends.
func benchDaemon(b *testing.B, cfg *configs.Config) (*Daemon, context.Context) {
	b.Helper()
	return benchDaemonLogging(b, cfg, zap.NewNop())
}

// benchDaemonLogging is benchDaemon with the daemon's logger.
func benchDaemonLogging(b *testing.B, cfg *configs.Config, log *zap.Logger) (*Daemon, context.Context) {
	b.Helper()
	d, err := New(context.Background(), cfg, Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	return d, ctx
}

func cfgKey(account, key string) configs.Key {
	return configs.Key{Account: account, Key: key, Format: "hex"}
}

// BenchmarkXMLOverHTTP posts one-signal native XML messages from parallel
// clients; every op is one message durably stored and answered code 0.
func BenchmarkXMLOverHTTP(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			cfg := testConfig(&testing.T{}, b.TempDir())
			cfg.XML.Senders = []configs.XMLSender{{ID: "chekt", Passkey: chektPasskey, Receiver: 2, Line: 3}}
			d, _ := benchDaemon(b, cfg)
			url := "http://" + d.HTTPAddr() + "/xml/v1/signals"
			tmpl := `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>%d</MessageId><Source>chekt</Source></Header>` +
				`<Signal><Account>ABC1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime><Code format="CID">E130</Code>` +
				`<Area>01</Area><Zone>%03d</Zone></Signal></AlarmMessage>`
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			var next atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			b.ResetTimer()
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(tmpl, n, n%1000)))
						req.Header.Set("Authorization", "Bearer "+chektPasskey)
						start := time.Now()
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("HTTP %d", resp.StatusCode)
							return
						}
						mu.Lock()
						lat = append(lat, time.Since(start))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100])/float64(time.Millisecond), "p99_ms")
			}
		})
	}
}

// BenchmarkSurgardOverTCP sends Sur-Gard Contact ID records the way a
// legacy receiver does, stop-and-wait on each ACK, on 1 and 4 connections.
func BenchmarkSurgardOverTCP(b *testing.B) {
	for _, conns := range []int{1, 4} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			cfg := testConfig(&testing.T{}, b.TempDir())
			cfg.HTTP.Listen = ""
			l := configs.DefaultListener()
			l.Name, l.Protocol, l.Line, l.TCP, l.HeartbeatTimeout = "surgard-in", "surgard", 2, "127.0.0.1:0", 0
			cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
			d, _ := benchDaemon(b, cfg)
			addr := ""
			for _, a := range d.Addrs() {
				if a.Listener == "surgard-in" {
					addr = a.TCP
				}
			}
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range conns {
				wg.Go(func() {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						b.Error(err)
						return
					}
					defer c.Close()
					ack := make([]byte, 1)
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						rec := fmt.Sprintf("501002 18%04dE130%02d%03d\x14", n%10000, n%100, n%1000)
						if _, err := c.Write([]byte(rec)); err != nil {
							b.Error(err)
							return
						}
						_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
						if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x06 {
							b.Errorf("answer %q, %v", ack, err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
