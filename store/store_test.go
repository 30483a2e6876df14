package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

func openTest(t *testing.T, path string) (*Store, *prometheus.Registry) {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), FileName)
	}
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, reg
}

func testMessage(account, seq string) *protocols.Message {
	return &protocols.Message{
		Protocol: "dc09", Kind: "SIA-DCS", Account: account, Line: "0", Sequence: seq,
		Timestamp: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC),
		Events: []protocols.Event{{
			Format: protocols.FormatSIA, Account: account, Code: "BA", Qualifier: protocols.QualifierNew,
			Partition: "1", Address: "012", AddressKind: protocols.AddressZone, Zone: "012", Known: true,
			Description: "Burglary Alarm", Category: protocols.CategoryBurglary,
			Modifiers: []protocols.Modifier{{Name: "ri", Value: "1"}},
		}},
	}
}

func testReceipt(raw string) Receipt {
	return Receipt{
		ReceivedAt: time.Date(2024, 1, 1, 12, 0, 1, 0, time.UTC), Receiver: 1, Line: 1,
		Listener: "dc09-main", Transport: "tcp", RemoteAddr: "127.0.0.1:5000", Protocol: "dc09",
		Status: StatusAccepted, Raw: []byte(raw),
	}
}

func TestCommitAndReadBack(t *testing.T) {
	s, reg := openTest(t, "")
	ctx := context.Background()
	raw := "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r"
	id, err := s.Commit(ctx, testMessage("1234", "0001"), testReceipt(raw))
	if err != nil {
		t.Fatal(err)
	}
	if id != 1 {
		t.Fatalf("frame id = %d, want 1", id)
	}
	sigs, err := s.Signals(ctx, SignalFilter{Account: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 {
		t.Fatalf("got %d signals, want 1", len(sigs))
	}
	g := sigs[0]
	if g.EventCode != "BA" || g.Zone != "012" || g.Partition != "1" || g.Qualifier != "new" ||
		g.Category != "burglary" || g.Priority != 4 || g.Raw != raw || g.Sequence != "0001" ||
		g.Listener != "dc09-main" || g.Receiver != 1 || g.Line != 1 || g.FrameTime == nil ||
		!g.FrameTime.Equal(time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)) || len(g.Modifiers) != 1 {
		t.Errorf("signal read back = %+v", g)
	}
	if got := testutil.ToFloat64(s.m.signalsStored); got != 1 {
		t.Errorf("alarmrx_store_signals_total = %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "alarmrx_store_commit_batch_size"); err != nil || n != 2 { // the journal's and the store's
		t.Errorf("batch size histogram count series = %d, %v", n, err)
	}
}

func TestGroupCommitBatchesConcurrentCommits(t *testing.T) {
	s, reg := openTest(t, "")
	ctx := context.Background()
	const n = 400
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := s.Commit(ctx, testMessage(fmt.Sprintf("%04d", i), "0001"), testReceipt("x"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	frames, signals, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames != n || signals != n {
		t.Fatalf("stored %d frames, %d signals; want %d each", frames, signals, n)
	}
	// 400 commits racing one writer must have shared transactions.
	h := &dtoHistogram{}
	if err := h.gather(reg, "alarmrx_store_commit_batch_size", "db", "journal"); err != nil {
		t.Fatal(err)
	}
	if h.count >= n {
		t.Errorf("%d transactions for %d commits: no batching happened", h.count, n)
	}
	if h.sum != n {
		t.Errorf("batch sizes sum to %v, want %d", h.sum, n)
	}
}

func TestRejectedFrameStoresNoSignals(t *testing.T) {
	s, _ := openTest(t, "")
	ctx := context.Background()
	rec := testReceipt("\n....\"*SIA-DCS\"0001L0#9999[ABCDEF]\r")
	rec.Status = StatusRejected
	rec.Reason = protocols.ReasonNoKey
	msg := testMessage("9999", "0001")
	msg.Encrypted = true
	if _, err := s.Commit(ctx, msg, rec); err != nil {
		t.Fatal(err)
	}
	frames, err := s.Frames(ctx, FrameFilter{Status: StatusRejected})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 || frames[0].Reason != "no_key" || frames[0].Signals != 0 || !frames[0].Encrypted {
		t.Fatalf("rejected frames = %+v", frames)
	}
	_, signals, _ := s.Counts(ctx)
	if signals != 0 {
		t.Fatalf("rejected frame produced %d signals", signals)
	}
}

func TestCommitFailureIsReportedAndRecovers(t *testing.T) {
	s, reg := openTest(t, "")
	ctx := context.Background()
	var fail sync.Mutex
	failing := true
	s.InjectFault(func() error {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			return errors.New("database or disk is full")
		}
		return nil
	})
	_, err := s.Commit(ctx, testMessage("1234", "0001"), testReceipt("x"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("commit on a failing store: err = %v, want ErrUnavailable", err)
	}
	if ok, _ := s.Healthy(); ok {
		t.Fatal("store reports healthy after a failed commit")
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping = %v, want ErrUnavailable", err)
	}
	if m, err := gatherOne(reg, "alarmrx_store_up", "db", "journal"); err != nil || m.GetGauge().GetValue() != 0 {
		t.Fatalf("alarmrx_store_up = %v (%v), want 0", m.GetGauge().GetValue(), err)
	}
	_, signals, _ := s.Counts(ctx)
	if signals != 0 {
		t.Fatalf("a failed commit left %d signals", signals)
	}
	fail.Lock()
	failing = false
	fail.Unlock()
	if _, err := s.Commit(ctx, testMessage("1234", "0002"), testReceipt("x")); err != nil {
		t.Fatalf("commit after recovery: %v", err)
	}
	if ok, _ := s.Healthy(); !ok {
		t.Fatal("store not healthy after a successful commit")
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	rec := testReceipt("x")
	rec.DedupeKey = "k1"
	if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(context.Background(), testMessage("1234", "0002"), rec); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after close: %v, want ErrClosed", err)
	}
	s2, _ := openTest(t, path)
	_, signals, err := s2.Counts(context.Background())
	if err != nil || signals != 1 {
		t.Fatalf("after reopen: %d signals, %v", signals, err)
	}
	keys, err := s2.RecentDedupeKeys(context.Background(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(keys) != 1 || keys[0].Key != "k1" {
		t.Fatalf("dedupe keys = %+v, %v", keys, err)
	}
	var v int
	if err := s2.rdb.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion())
	}
	var mode string
	if err := s2.rdb.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}
