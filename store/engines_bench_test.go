package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BenchmarkEngines measures the ingest path on each engine side by side:
// SQLite on one node, PostgreSQL on one node, and two nodes on one
// PostgreSQL database, with 16 and 256 panels (each its own account and
// sequences, half of them on each node of two). acked/s counts the
// commits that returned (what a panel is ACKed on), p99_ms is the 99th
// percentile of one commit, projected/s the frames per second until every
// one is projected into signals and incidents, q99_ms (two nodes) the 99th
// percentile from a frame's receipt on one node to its incident in the
// other node's queue stream, and pg_cpu the cores PostgreSQL's processes
// used meanwhile. The panels send as fast as they are answered, except in
// the paced run, where each of 16 sends one frame every 20 ms (800 frames
// a second): receipt to queue across nodes at a load the projection keeps
// up with. Without ALARMRX_TEST_PG_DSN the PostgreSQL runs skip.
//
//	go test -run '^$' -bench Engines -benchtime 10000x -count 3 ./store
func BenchmarkEngines(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres", "postgres-2nodes"} {
		for _, panels := range []int{16, 256} {
			b.Run(fmt.Sprintf("engine=%s/panels=%d", engine, panels), func(b *testing.B) {
				benchIngest(b, benchNodes(b, engine), panels, 0)
			})
		}
	}
	b.Run("engine=postgres-2nodes/panels=16/paced=20ms", func(b *testing.B) {
		benchIngest(b, benchNodes(b, "postgres-2nodes"), 16, 20*time.Millisecond)
	})
}

func benchNodes(b *testing.B, engine string) []*Store {
	open := func(opts Options) *Store {
		opts.Logger, opts.Registerer, opts.Runaway = zap.NewNop(), prometheus.NewRegistry(), benchRunaway
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
	switch engine {
	case "sqlite":
		return []*Store{open(Options{Driver: DriverSQLite})}
	case "postgres":
		return []*Store{open(Options{Driver: DriverPostgres, DSN: pgtest.Database(b), NodeID: "bench-a"})}
	}
	dsn := pgtest.Database(b)
	return []*Store{open(Options{Driver: DriverPostgres, DSN: dsn, NodeID: "bench-a"}),
		open(Options{Driver: DriverPostgres, DSN: dsn, NodeID: "bench-b"})}
}

func benchIngest(b *testing.B, nodes []*Store, panels int, pace time.Duration) {
	// The queue stream of the last node: what its consoles see of the
	// frames the first one received.
	var visible []time.Duration
	var visMu sync.Mutex
	stopWatch := func() {}
	if len(nodes) > 1 {
		events, stop := nodes[len(nodes)-1].SubscribeQueue()
		quit, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case e := <-events:
					if !e.ReceivedAt.IsZero() {
						visMu.Lock()
						visible = append(visible, time.Since(e.ReceivedAt))
						visMu.Unlock()
					}
				case <-quit:
					return
				}
			}
		}()
		stopWatch = func() { stop(); close(quit); <-done }
	}
	var seq atomic.Int64
	latencies := make([][]time.Duration, panels)
	per := b.N / panels
	cpu0 := postgresCPU()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range panels {
		s := nodes[p%len(nodes)]
		wg.Go(func() {
			account := strconv.Itoa(200000 + p)
			lat := make([]time.Duration, 0, per+1)
			for i := range per + boolToInt(p < b.N%panels) {
				msg := testMessage(account, fmt.Sprintf("%04d", i%10000))
				msg.Events[0].Zone = msg.Sequence // a signal of its own for the runaway detector
				rec := testReceipt("\nED280035\"SIA-DCS\"0001L0#" + account + "[#" + account + "|NBA01]_12:00:00,01-01-2024\r")
				rec.ReceivedAt = time.Now()
				rec.DedupeKey = "bench/" + strconv.FormatInt(seq.Add(1), 10)
				rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
				t0 := time.Now()
				if _, err := s.Commit(context.Background(), msg, rec); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
				if pace > 0 {
					time.Sleep(pace)
				}
			}
			latencies[p] = lat
		})
	}
	wg.Wait()
	acked := time.Since(start)
	for _, s := range nodes {
		if err := s.Settle(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	projected := time.Since(start)
	b.StopTimer()
	cpu := postgresCPU() - cpu0
	stopWatch()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked/s")
	b.ReportMetric(float64(b.N)/projected.Seconds(), "projected/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
	}
	visMu.Lock()
	if len(visible) > 0 {
		slices.Sort(visible)
		b.ReportMetric(float64(visible[len(visible)*99/100].Microseconds())/1000, "q99_ms")
	}
	visMu.Unlock()
	if nodes[0].opts.Driver == DriverPostgres {
		b.ReportMetric(cpu.Seconds()/projected.Seconds(), "pg_cpu")
	}
}

func boolToInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// postgresCPU is the CPU time the machine's postgres processes used so
// far (user and system, from /proc), 0 where there is no /proc.
func postgresCPU() time.Duration {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		sy, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + sy
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
