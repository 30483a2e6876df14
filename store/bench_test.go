package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BenchmarkCommit measures durable commits per second with many concurrent
// committers sharing group-commit transactions (synchronous=FULL).
func BenchmarkCommit(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, par := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("synchronous=%s/committers=%d", sync, par), func(b *testing.B) {
				s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), Options{
					Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Synchronous: sync,
				})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var n atomic.Int64
				msg := testMessage("1234", "0001")
				// RunParallel starts parallelism×GOMAXPROCS goroutines.
				b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						rec := testReceipt("\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r")
						rec.DedupeKey = fmt.Sprint(n.Add(1))
						if _, err := s.Commit(context.Background(), msg, rec); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			})
		}
	}
}

// BenchmarkOpenIntegrityCheck measures what store.integrity_check: start
// costs at start-up: Open and Close of a store holding
// ALARMRX_BENCH_SIGNALS signals (default 1,000,000, about 250 bytes each
// with their indexes), with and without the quick_check.
//
//	go test -run '^$' -bench OpenIntegrityCheck -benchtime 3x ./store
func BenchmarkOpenIntegrityCheck(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("ALARMRX_BENCH_SIGNALS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("ALARMRX_BENCH_SIGNALS=%q", v)
		}
	}
	path := filepath.Join(b.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	// Rows as the receiver writes them, generated in SQL: a frame and a
	// signal each.
	err = s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO frames (id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, account,
				sequence, status, dedupe_key, raw)
			SELECT i, 1700000000000000000 + i * 1000000, 1, 1, 'dc09-main', 'tcp', '10.0.0.1:5000', 'dc09', 'SIA-DCS',
				printf('%08d', i % 100000), printf('%04d', i % 10000), 'accepted', hex(randomblob(16)),
				CAST(printf('"SIA-DCS"%04dL0#%08d[#%08d|Nri1/BA%03d]', i % 10000, i % 100000, i % 100000, i % 1000) AS BLOB)
			FROM n`, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signals (frame_id, idx, received_at, receiver, account, format, event_code,
				qualifier, zone, known, description, category, priority)
			SELECT id, 0, received_at, 1, account, 'SIA', 'BA', 'new', printf('%03d', id % 1000), 1, 'Burglary Alarm', 'burglary', 4
			FROM frames`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, check := range []bool{true, false} {
		b.Run(fmt.Sprintf("quick_check=%v", check), func(b *testing.B) {
			for range b.N {
				s, err := Open(context.Background(), path, Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(),
					IntegrityCheck: map[bool]IntegrityCheck{true: IntegrityCheckAtOpen, false: IntegrityCheckOff}[check]})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(fi.Size())/(1<<30), "GiB")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/(float64(fi.Size())/(1<<30)), "s/GiB")
		})
	}
}

// benchRunaway is the station's default runaway detector (configs:
// queue.runaway), on in the benchmarks as in the daemon; their frames
// each name a zone of their own, the detector's dearest case (a row
// each) without a trip.
var benchRunaway = RunawayRules{Max: 10, Window: 2 * time.Minute, Quiet: 30 * time.Minute}

// BenchmarkIngest measures frames committed and projected per second, as
// panels send them: 16 committers, each its own account, every frame an
// alarm queued to the operators (an incident opened, then joined), the
// projection included (the timer stops once it caught up).
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./store
func BenchmarkIngest(b *testing.B) {
	const committers = 16
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Runaway: benchRunaway,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n atomic.Int64
	b.SetParallelism(max(1, committers/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		account := strconv.Itoa(100000 + int(n.Add(1)))
		msg := testMessage(account, "0001")
		for pb.Next() {
			rec := testReceipt("\nED280035\"SIA-DCS\"0001L0#" + account + "[#" + account + "|NBA01]_12:00:00,01-01-2024\r")
			rec.DedupeKey = fmt.Sprint(n.Add(1))
			msg.Events[0].Zone = rec.DedupeKey // a signal of its own for the runaway detector
			rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
			if _, err := s.Commit(context.Background(), msg, rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := s.Settle(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
