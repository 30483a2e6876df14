package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BenchmarkListQueries measures the list queries of the HTTP API and the
// dedupe seed of start-up on a store holding ALARMRX_BENCH_SIGNALS signals
// (default 200,000), each in a frame of its own, written through Commit as
// the receiver writes them (design.md §2 rule 6: the queries stay fast as the
// store grows). Signals arrive every 100 ms from 10,000 accounts, so the
// last 15 minutes hold 9,000 of them, the last 24 hours 864,000 (a time
// bound costs the entries of its range: see sinceFrame), and an account 1
// in 10,000. store-size reports the database's pages per signal, indexes
// included.
//
//	ALARMRX_BENCH_SIGNALS=1000000 go test -run '^$' -bench ListQueries -benchtime 20x ./store
func BenchmarkListQueries(b *testing.B) {
	s, n, start, now := openBenchStore(b)
	fillSignals(b, s, n, start, benchStep, false)

	ctx := context.Background()
	// The store's size with its indexes: the database's pages (what the
	// file holds once its write-ahead log is checkpointed) per signal.
	if err := s.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	var pages, pageSize, free int64
	for q, v := range map[string]*int64{`PRAGMA page_count`: &pages, `PRAGMA page_size`: &pageSize, `PRAGMA freelist_count`: &free} {
		if err := s.rdb.QueryRowContext(ctx, q).Scan(v); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	b.Run("store-size", func(b *testing.B) {
		b.ReportMetric(float64(pages*pageSize)/float64(n), "bytes/signal")
		b.ReportMetric(float64(free*pageSize)/float64(n), "free-bytes/signal")
		b.ReportMetric(float64(pages*pageSize)/(1<<20), "MiB")
	})
	for _, c := range []struct {
		name string
		run  func() (int, error)
	}{
		{"signals/since=15m/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Since: now.Add(-15 * time.Minute), Limit: 100})
			return len(l), err
		}},
		{"signals/since=15m/order=desc/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Since: now.Add(-15 * time.Minute), Desc: true, Limit: 100})
			return len(l), err
		}},
		{"signals/since=24h/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Since: now.Add(-24 * time.Hour), Limit: 100})
			return len(l), err
		}},
		{"signals/account=X/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Account: benchAccount(4242), Limit: 100})
			return len(l), err
		}},
		{"signals/account=X/order=desc/limit=500", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Account: benchAccount(4242), Desc: true, Limit: 500})
			return len(l), err
		}},
		// The history search: its filters narrow an account's signals, a
		// code that matches none reading all of them.
		{"signals/account=X/code=BA/zone=12/q=burglary/order=desc/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Account: benchAccount(4242), Code: "BA", Zone: "12", Text: "burglary", Desc: true, Limit: 100})
			return len(l), err
		}},
		{"signals/account=X/code=FA/order=desc/limit=100", func() (int, error) {
			l, err := s.Signals(ctx, SignalFilter{Account: benchAccount(4242), Code: "FA", Desc: true, Limit: 100})
			return len(l), err
		}},
		{"frames/account=X/limit=100", func() (int, error) {
			l, err := s.Frames(ctx, FrameFilter{Account: benchAccount(4242), Limit: 100})
			return len(l), err
		}},
		{"dedupe-seed/window=10m", func() (int, error) {
			l, err := s.RecentDedupeKeys(ctx, now.Add(-10*time.Minute))
			return len(l), err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rows := 0
			for range b.N {
				got, err := c.run()
				if err != nil {
					b.Fatal(err)
				}
				rows = got
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// benchStep is the time between two signals of the list benchmarks.
const benchStep = 100 * time.Millisecond

// openBenchStore opens an empty store for ALARMRX_BENCH_SIGNALS signals
// (default 200,000) received benchStep apart from start; the store's
// clock stands at now, just after the last of them.
func openBenchStore(b *testing.B) (s *Store, n int, start, now time.Time) {
	b.Helper()
	n = 200_000
	if v := os.Getenv("ALARMRX_BENCH_SIGNALS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("ALARMRX_BENCH_SIGNALS=%q", v)
		}
	}
	start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now = start.Add(time.Duration(n) * benchStep)
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Synchronous: "normal",
		Now: func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, n, start, now
}

func benchAccount(i int) string { return fmt.Sprintf("%06d", i%10000) }

// fillSignals commits n frames of one alarm each, from many committers at
// once so that the writer groups them into batches as it does for panels;
// with resolve, each is resolved to its account as the pipeline does.
func fillSignals(b *testing.B, s *Store, n int, start time.Time, step time.Duration, resolve bool) {
	b.Helper()
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				acct := benchAccount(i)
				seq := fmt.Sprintf("%04d", i%10000)
				rec := testReceipt("\nED280035\"SIA-DCS\"" + seq + "L0#" + acct + "[#" + acct + "|NBA01]_12:00:00,01-01-2024\r")
				rec.ReceivedAt = start.Add(time.Duration(i) * step)
				rec.DedupeKey = strconv.Itoa(i)
				msg := testMessage(acct, seq)
				if resolve {
					// As the pipeline resolves it: to the account's site.
					rec.Resolutions = []Resolution{s.Resolve(1, acct, &msg.Events[0], rec.ReceivedAt)}
				}
				if _, err := s.Commit(context.Background(), msg, rec); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d signals in %v", n, time.Since(began).Round(time.Millisecond))
}

// BenchmarkCustomerSignals measures a customer's signal list
// (customerSignals) on a store of ALARMRX_BENCH_SIGNALS signals (default
// 200,000) of 10,000 accounts, ten to a site, on 1,000 sites of ten
// regions under one HQ: the HQ's list reads 1,000 sites, a region's 100.
// A code no signal has is the worst case of the history filters: every
// signal of the customer's sites in the range is read.
//
//	ALARMRX_BENCH_SIGNALS=1000000 go test -run '^$' -bench CustomerSignals -benchtime 20x -count 3 ./store
func BenchmarkCustomerSignals(b *testing.B) {
	s, n, start, now := openBenchStore(b)
	ctx := context.Background()
	if err := s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP"}}); err != nil {
		b.Fatal(err)
	}
	hq := &Customer{Name: "HQ"}
	if err := s.Customers.Create(ctx, hq); err != nil {
		b.Fatal(err)
	}
	var region *Customer
	for i := range 1000 {
		if i%100 == 0 {
			region = &Customer{Name: fmt.Sprintf("Region %d", i/100), ParentID: &hq.ID}
			if err := s.Customers.Create(ctx, region); err != nil {
				b.Fatal(err)
			}
		}
		site := &Site{CustomerID: region.ID, Name: fmt.Sprintf("Store %d", i)}
		if err := s.Sites.Create(ctx, site); err != nil {
			b.Fatal(err)
		}
		for a := range 10 {
			if err := s.Accounts.Create(ctx, &Account{Receiver: 1, Number: benchAccount(i*10 + a), SiteID: site.ID}); err != nil {
				b.Fatal(err)
			}
		}
	}
	fillSignals(b, s, n, start, benchStep, true)
	if err := s.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	week := now.Add(-MaxCustomerSearch)
	for _, c := range []struct {
		name string
		f    SignalFilter
	}{
		{"hq/order=desc/limit=100", SignalFilter{CustomerID: hq.ID, Desc: true, Limit: 100}},
		{"hq/limit=100", SignalFilter{CustomerID: hq.ID, Limit: 100}},
		{"region/order=desc/limit=100", SignalFilter{CustomerID: region.ID, Desc: true, Limit: 100}},
		{"hq/since=15m/order=desc/limit=100", SignalFilter{CustomerID: hq.ID, Since: now.Add(-15 * time.Minute), Desc: true, Limit: 100}},
		// The history filters search a week at most; the store's signals
		// span 28 hours at 1,000,000, so a week is all of them.
		{"hq/since=7d/code=BA/order=desc/limit=100", SignalFilter{CustomerID: hq.ID, Code: "BA", Since: week, Desc: true, Limit: 100}},
		{"region/since=7d/code=FA/order=desc/limit=100", SignalFilter{CustomerID: region.ID, Code: "FA", Since: week, Desc: true, Limit: 100}},
		{"hq/since=24h/code=FA/order=desc/limit=100", SignalFilter{CustomerID: hq.ID, Code: "FA", Since: now.Add(-24 * time.Hour), Desc: true, Limit: 100}},
		{"hq/since=7d/code=FA/order=desc/limit=100", SignalFilter{CustomerID: hq.ID, Code: "FA", Since: week, Desc: true, Limit: 100}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rows := 0
			for range b.N {
				l, err := s.Signals(ctx, c.f)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(l)
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}
