package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/sia"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// benchFill pre-fills a data directory with signals through the store's
// own write path (Commit, the journal and its projection, as the receiver
// writes them), for the benchmarks of a store that has grown: ACK
// throughput, start-up and the list queries at millions of signals.
func benchFill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench fill", stderr)
	dataDir := fs.String("data-dir", "", "the data directory to fill (created when missing; alarmrx must not run on it)")
	signals := fs.Int("signals", 1_000_000, "signals to add, one frame each")
	accounts := fs.Int("accounts", 10_000, "accounts on receiver 1 the signals spread over (created on the first fill)")
	every := fs.Duration("every", 100*time.Millisecond, "receipt times step back from now by this much per signal")
	committers := fs.Int("committers", 256, "concurrent committers (they share group-commit batches)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataDir == "" || *signals < 1 || *accounts < 1 || *committers < 1 {
		return usageError{fmt.Errorf("give --data-dir, and --signals, --accounts and --committers of at least 1")}
	}
	s, err := store.Open(ctx, filepath.Join(*dataDir, store.FileName), store.Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), IntegrityCheck: store.IntegrityCheckOff})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := fillAccounts(ctx, s, *accounts); err != nil {
		return err
	}
	row, _ := sia.Lookup("OP")
	alarm, _ := sia.Lookup("BA")
	now := time.Now()
	start := now
	var next, done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range *committers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(*signals) || ctx.Err() != nil {
					return
				}
				number := strconv.Itoa(100000 + int(i)%*accounts)
				received := now.Add(-time.Duration(int64(*signals)-i) * *every)
				ev := protocols.Event{Format: protocols.FormatSIA, Account: number, Code: "OP", Known: true,
					Description: row.Name, Category: row.Category, User: "001", Address: "001",
					AddressKind: protocols.AddressUser}
				h := store.Handling{Mode: store.HandlingLog, Priority: row.Category.DefaultPriority()}
				if i%10 == 9 { // one signal in ten an alarm, queued: its account's incident opens or is joined
					ev = protocols.Event{Format: protocols.FormatSIA, Account: number, Code: "BA", Known: true,
						Description: alarm.Name, Category: alarm.Category, Zone: "001", Address: "001",
						AddressKind: protocols.AddressZone}
					h = store.Handling{Mode: store.HandlingQueue, Priority: alarm.Category.DefaultPriority()}
				}
				seq := fmt.Sprintf("%04d", i%10000)
				// A frame as a panel sends it, CRC and length right, as the
				// receiver would have stored it.
				raw, err := dc09.Encode(&dc09.Frame{Token: dc09.TokenSIA, Sequence: seq, Line: "0", Account: number,
					Data: []byte("#" + number + "|N" + ev.Code + ev.Address)}, dc09.Key{}, nil)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: number, Line: "0", Sequence: seq,
					Events: []protocols.Event{ev}}
				rec := store.Receipt{ReceivedAt: received, Receiver: 1, Line: 1, Listener: "dc09-fill", Transport: "tcp",
					RemoteAddr: "127.0.0.1:5000", Protocol: "dc09", Status: store.StatusAccepted, Raw: raw,
					DedupeKey:   number + "/" + seq + "/" + strconv.FormatInt(i, 10),
					Resolutions: []store.Resolution{s.Resolve(1, number, &ev, received)}, Handling: []store.Handling{h}}
				if _, err := s.Commit(ctx, msg, rec); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				if n := done.Add(1); n%500_000 == 0 {
					el := time.Since(start)
					fmt.Fprintf(stdout, "%d signals in %s (%.0f/s)\n", n, el.Round(time.Second), float64(n)/el.Seconds())
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := s.Settle(ctx); err != nil {
		return err
	}
	el := time.Since(start)
	frames, total, err := s.Counts(ctx)
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(*dataDir, store.FileName))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d signals in %s (%.0f/s, projected included); the store holds %d frames, %d signals, %d bytes (%.0f bytes a signal)\n",
		done.Load(), el.Round(time.Millisecond), float64(done.Load())/el.Seconds(), frames, total, fi.Size(), float64(fi.Size())/float64(total))
	return nil
}

// fillAccounts creates the fill's customer, sites and accounts through
// the CSV import, once: a second fill of the same data dir finds them.
func fillAccounts(ctx context.Context, s *store.Store, n int) error {
	if res := s.Resolve(1, strconv.Itoa(100000+n-1), nil, time.Now()); res.Known() {
		return nil
	}
	// Receiver 1, as testdata/bench/alarmrx.yaml declares it; a daemon
	// started on the data dir later syncs its own.
	if err := s.SyncReceivers(ctx, []store.Receiver{{Number: 1, Name: "bench receiver"}}); err != nil {
		return err
	}
	if err := fillImport(s.ImportCustomers(ctx, strings.NewReader("identifier,name\nfill-customer,fill\n"), false)); err != nil {
		return err
	}
	var sites, accts strings.Builder
	sites.WriteString("identifier,name,customer\n")
	accts.WriteString("receiver,number,site\n")
	for i := range (n + 99) / 100 {
		fmt.Fprintf(&sites, "fill-site-%d,fill site %d,fill-customer\n", i, i)
	}
	for i := range n {
		fmt.Fprintf(&accts, "1,%d,fill-site-%d\n", 100000+i, i/100)
	}
	if err := fillImport(s.ImportSites(ctx, strings.NewReader(sites.String()), false)); err != nil {
		return err
	}
	return fillImport(s.ImportAccounts(ctx, strings.NewReader(accts.String()), false))
}

// fillImport is an import's outcome as an error: its first bad row, if any.
func fillImport(rep *store.ImportReport, err error) error {
	if err == nil && len(rep.Errors) > 0 {
		err = fmt.Errorf("fill: import: %+v", rep.Errors[0])
	}
	return err
}
