package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

func testPoll(account string, id int64, at time.Time, raw string) Poll {
	return Poll{Receiver: 1, Account: account, AccountID: id, Listener: "dc09-main", At: at, Transport: "udp",
		RemoteAddr: "127.0.0.1:5000", Protocol: "dc09", Kind: "NULL", Raw: []byte(raw)}
}

// TestPollsAreCoalescedPerAccount: polls cost no frame row; a flush writes
// one row per account and listener with the first and last poll and the
// count, and the next flush adds to it.
func TestPollsAreCoalescedPerAccount(t *testing.T) {
	s, reg := openTest(t, "")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	raw := func(seq string) string { return "\n1F5D0011\"NULL\"" + seq + "#4321[]\r" }
	for i := range 5 {
		if err := s.RecordPoll(testPoll("4321", 7, t0.Add(time.Duration(i)*time.Second), raw("000"+string(rune('0'+i))))); err != nil {
			t.Fatal(err)
		}
	}
	other := testPoll("4321", 7, t0, raw("0009"))
	other.Listener = "dc09-backup"
	if err := s.RecordPoll(other); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPoll(testPoll("9999", 0, t0, raw("0001"))); err != nil {
		t.Fatal(err)
	}
	if v := gaugeValue(t, reg, "alarmrx_store_poll_evidence_pending"); v != 3 {
		t.Fatalf("pending = %v, want 3", v)
	}
	n, err := s.FlushPolls(ctx)
	if err != nil || n != 3 {
		t.Fatalf("FlushPolls = %d, %v; want 3 rows", n, err)
	}
	frames, signals, err := s.Counts(ctx)
	if err != nil || frames != 0 || signals != 0 {
		t.Fatalf("polls stored %d frames and %d signals (%v), want none", frames, signals, err)
	}
	got, err := s.PollEvidence(ctx, PollFilter{Account: "4321"})
	if err != nil || len(got) != 2 {
		t.Fatalf("evidence of 4321 = %+v, %v; want its two listeners", got, err)
	}
	main := got[0] // the most recent first
	if main.Listener != "dc09-main" || main.Polls != 5 || !main.FirstAt.Equal(t0) || !main.LastAt.Equal(t0.Add(4*time.Second)) ||
		main.Raw != raw("0004") || main.AccountID == nil || *main.AccountID != 7 || main.Kind != "NULL" || main.Transport != "udp" {
		t.Fatalf("dc09-main evidence = %+v", main)
	}
	if got[1].Listener != "dc09-backup" || got[1].Polls != 1 {
		t.Fatalf("dc09-backup evidence = %+v", got[1])
	}
	unknown, err := s.PollEvidence(ctx, PollFilter{Receiver: 1, Account: "9999"})
	if err != nil || len(unknown) != 1 || unknown[0].AccountID != nil || unknown[0].Polls != 1 {
		t.Fatalf("evidence of the unknown 9999 = %+v, %v", unknown, err)
	}
	// The next flush adds its count and moves the last poll; the first stays.
	if err := s.RecordPoll(testPoll("4321", 7, t0.Add(time.Minute), raw("0005"))); err != nil {
		t.Fatal(err)
	}
	if n, err := s.FlushPolls(ctx); err != nil || n != 1 {
		t.Fatalf("second FlushPolls = %d, %v; want 1 row", n, err)
	}
	got, _ = s.PollEvidence(ctx, PollFilter{Account: "4321", Limit: 1})
	if len(got) != 1 || got[0].Polls != 6 || !got[0].FirstAt.Equal(t0) || !got[0].LastAt.Equal(t0.Add(time.Minute)) || got[0].Raw != raw("0005") {
		t.Fatalf("after the second flush: %+v", got)
	}
	if v := counterValue(t, reg, "alarmrx_store_poll_evidence_written_total"); v != 4 {
		t.Fatalf("rows written = %v, want 4", v)
	}
	if n, err := s.FlushPolls(ctx); err != nil || n != 0 {
		t.Fatalf("an empty flush = %d, %v", n, err)
	}
}

// TestPollFlushFailureKeepsTheCounts: a flush the storage refuses keeps
// what it held, merged with the polls that came meanwhile; while the store
// is unhealthy RecordPoll says so (the poll is answered negatively), and
// the flush that succeeds makes it healthy again.
func TestPollFlushFailureKeepsTheCounts(t *testing.T) {
	s, _ := openTest(t, "")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var failing atomic.Bool
	failing.Store(true)
	s.InjectFault(func() error {
		if failing.Load() {
			return errors.New("database or disk is full")
		}
		return nil
	})
	for i := range 3 {
		if err := s.RecordPoll(testPoll("4321", 7, t0.Add(time.Duration(i)*time.Second), "p")); err != nil {
			t.Fatalf("poll %d on a store not known to fail yet: %v", i, err)
		}
	}
	if _, err := s.FlushPolls(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("FlushPolls on a failing store = %v, want ErrUnavailable", err)
	}
	if err := s.RecordPoll(testPoll("4321", 7, t0.Add(10*time.Second), "q")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("RecordPoll on an unhealthy store = %v, want ErrUnavailable", err)
	}
	failing.Store(false)
	if n, err := s.FlushPolls(ctx); err != nil || n != 1 {
		t.Fatalf("FlushPolls after recovery = %d, %v", n, err)
	}
	if ok, why := s.Healthy(); !ok {
		t.Fatalf("store unhealthy after a flush succeeded: %s", why)
	}
	got, _ := s.PollEvidence(ctx, PollFilter{Account: "4321"})
	if len(got) != 1 || got[0].Polls != 4 || !got[0].FirstAt.Equal(t0) || !got[0].LastAt.Equal(t0.Add(10*time.Second)) || got[0].Raw != "q" {
		t.Fatalf("evidence after a failed and a good flush = %+v", got)
	}
}

// TestUnknownPollsAreBounded: made-up accounts cannot grow the pending
// polls without limit; the polls over the cap are counted, not kept.
func TestUnknownPollsAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName),
		Options{Logger: zaptest.NewLogger(t), Registerer: reg, UnknownPollsMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, acct := range []string{"A1", "A2", "A3", "A4", "A5", "A1"} {
		if err := s.RecordPoll(testPoll(acct, 0, t0, "x")); err != nil {
			t.Fatal(err)
		}
	}
	// A known account is kept whatever the cap.
	if err := s.RecordPoll(testPoll("K1", 9, t0, "x")); err != nil {
		t.Fatal(err)
	}
	if v := counterValue(t, reg, "alarmrx_store_polls_unkept_total"); v != 2 {
		t.Fatalf("unkept = %v, want 2 (A4, A5)", v)
	}
	if n, err := s.FlushPolls(context.Background()); err != nil || n != 4 {
		t.Fatalf("FlushPolls = %d, %v; want A1–A3 and K1", n, err)
	}
	// The cap is per flush.
	if err := s.RecordPoll(testPoll("A4", 0, t0, "x")); err != nil {
		t.Fatal(err)
	}
	if v := counterValue(t, reg, "alarmrx_store_polls_unkept_total"); v != 2 {
		t.Fatalf("unkept after a flush = %v, want still 2", v)
	}
}

func gaugeValue(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	m, err := gatherOne(reg, name)
	if err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

func counterValue(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	m, err := gatherOne(reg, name)
	if err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
