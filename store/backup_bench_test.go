package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BenchmarkBackupUnderLoad measures what a backup costs the
// acknowledgements: a store of ALARMRX_BENCH_SIGNALS signals (default
// 200,000; 1,000,000 is about 400 MB), reopened with synchronous FULL as
// the daemon runs it, takes frames from 16 committers without pause (each
// its own account and sequence); the acknowledgements per second are
// counted for 3 s before a copy and while it runs, side by side for
// Backup (paced steps, by default and faster) and a plain VACUUM INTO on a read-only connection.
// ratio is during/before: 1 means the copy costs the ACKs nothing.
//
//	ALARMRX_BENCH_SIGNALS=1000000 go test -run '^$' -bench BackupUnderLoad -benchtime 1x -count 3 ./store
func BenchmarkBackupUnderLoad(b *testing.B) {
	s, n, start, now := openBenchStore(b)
	fillSignals(b, s, n, start, benchStep, false)
	path := s.Path()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Driver: DriverSQLite, Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(),
		Synchronous: "full", Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	var acks atomic.Int64
	var next atomic.Int64
	next.Store(int64(n))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := next.Add(1)
				acct := benchAccount(int(i))
				rec := testReceipt("#" + acct + "|NBA01")
				rec.DedupeKey = strconv.FormatInt(i, 10)
				if _, err := s.Commit(ctx, testMessage(acct, fmt.Sprintf("%04d", i%10000)), rec); err == nil {
					acks.Add(1)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	rate := func(f func()) (perSecond float64, took time.Duration) {
		a, t0 := acks.Load(), time.Now()
		f()
		took = time.Since(t0)
		return float64(acks.Load()-a) / took.Seconds(), took
	}
	for _, c := range []struct {
		name string
		copy func(dst string) error
	}{
		{"backup", func(dst string) error { // the defaults: 256 pages a step, 20 ms between steps
			_, err := Backup(ctx, filepath.Dir(path), dst, BackupOptions{}, Options{Logger: zap.NewNop()})
			return err
		}},
		{"backup-fast", func(dst string) error { // --pages-per-step 1024 --pause 10ms
			_, err := Backup(ctx, filepath.Dir(path), dst, BackupOptions{PagesPerStep: 1024, Pause: 10 * time.Millisecond}, Options{Logger: zap.NewNop()})
			return err
		}},
		{"vacuum-into", func(dst string) error {
			db, err := sqlite.OpenReadOnly(ctx, path)
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.ExecContext(ctx, "VACUUM INTO ?", dst)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				before, _ := rate(func() { time.Sleep(3 * time.Second) })
				dst := filepath.Join(b.TempDir(), "copy.db")
				var copyErr error
				during, took := rate(func() { copyErr = c.copy(dst) })
				if copyErr != nil {
					b.Fatal(copyErr)
				}
				b.ReportMetric(before, "acks/s-before")
				b.ReportMetric(during, "acks/s-during")
				b.ReportMetric(during/before, "ratio")
				b.ReportMetric(took.Seconds(), "copy-s")
			}
		})
	}
}
