package daemon

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/receiver/panel"
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
			cfg.Receivers[0].Listeners[0].Keys = append(cfg.Receivers[0].Listeners[0].Keys,
				cfgKey("*", hexKey))
			d, err := New(context.Background(), cfg, Options{Logger: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			defer func() { cancel(); <-done }()
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

func cfgKey(account, key string) configs.Key {
	return configs.Key{Account: account, Key: key, Format: "hex"}
}
