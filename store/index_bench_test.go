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

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// benchAccounts is the size of the resolution benchmark's station:
// ALARMRX_BENCH_ACCOUNTS, default 1,000,000.
func benchAccounts(b *testing.B) int {
	if v := os.Getenv("ALARMRX_BENCH_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("ALARMRX_BENCH_ACCOUNTS=%q", v)
		}
		return n
	}
	return 1_000_000
}

// benchNumber is the account number of the i-th benchmark account: 8 digits
// on receivers 1-4 round robin.
func benchNumber(i int) (receiver int, number string) {
	return 1 + i%4, fmt.Sprintf("%08d", i)
}

// benchStation builds a store with n accounts on 4 receivers over 10,000
// sites, 1 % of them with a DC-09 key.
func benchStation(b *testing.B, n int) string {
	path := filepath.Join(b.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Synchronous: "normal"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rs := []Receiver{{Number: 1, Name: "r1"}, {Number: 2, Name: "r2"}, {Number: 3, Name: "r3"}, {Number: 4, Name: "r4"}}
	if err := s.SyncReceivers(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
	err = s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		now := time.Now().UnixNano()
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, created_at, updated_at) VALUES (1, 'bench', ?, ?)`, now, now); err != nil {
			return err
		}
		for site := 1; site <= 10000; site++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (id, customer_id, name, identifier, created_at, updated_at)
					VALUES (?, 1, ?, ?, ?, ?)`, site, "site", strconv.Itoa(site), now, now); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO accounts (receiver, number, site_id, dc09_key, dc09_key_format,
				created_at, updated_at) VALUES (?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i := range n {
			r, num := benchNumber(i)
			key, format := "", ""
			if i%100 == 0 {
				key, format = "000102030405060708090A0B0C0D0E0F", "hex"
			}
			if _, err := ins.ExecContext(ctx, r, num, 1+i%10000, key, format, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkAccountIndex measures the in-memory resolution index at
// ALARMRX_BENCH_ACCOUNTS accounts: load (start-up) time and heap, and
// lookups per second from parallel sessions.
func BenchmarkAccountIndex(b *testing.B) {
	n := benchAccounts(b)
	path := benchStation(b, n)
	s, err := Open(context.Background(), path, Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	b.Run(fmt.Sprintf("load/accounts=%d", n), func(b *testing.B) {
		var heap uint64
		for b.Loop() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			idx, err := s.loadIndex(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if idx.AccountCount() != n {
				b.Fatalf("loaded %d accounts, want %d", idx.AccountCount(), n)
			}
			heap = after.HeapAlloc - before.HeapAlloc
			runtime.KeepAlive(idx)
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(heap)/float64(n), "heap-B/account")
	})

	b.Run(fmt.Sprintf("resolve/accounts=%d", n), func(b *testing.B) {
		ev := &protocols.Event{Code: "BA", Zone: "017", Category: protocols.CategoryBurglary}
		at := time.Now()
		receivers := make([]int, n)
		numbers := make([]string, n)
		for i := range n {
			receivers[i], numbers[i] = benchNumber(i)
		}
		var seed atomic.Int64
		var misses atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(7919))
			for pb.Next() {
				i = (i + 104729) % n
				if !s.Resolve(receivers[i], numbers[i], ev, at).Known() {
					misses.Add(1)
				}
			}
		})
		if misses.Load() > 0 {
			b.Fatalf("%d lookups missed", misses.Load())
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}
