package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zaptest"
)

// TestScrapeRunsNoSQL: the queue gauge and the outbox lag are served from
// the figures recounted after commits. A change made behind the store's
// back (another connection, so no commit of the store's writer) shows only
// once the store recounts; a scrape alone never does.
func TestScrapeRunsNoSQL(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	reg := prometheus.NewRegistry()
	var now atomic.Int64
	now.Store(time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg,
		Outbox: []OutboxTarget{{Name: "automation"}},
		Now:    func() time.Time { return time.Unix(0, now.Load()).UTC() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	if got := queueGauge(t, reg); got["queued"] != 0 || got["held"] != 0 {
		t.Fatalf("empty store: %v", got)
	}
	rec := testReceipt("frame 1")
	rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
	if _, err := s.Commit(ctx, testMessage("1234", "0001"), rec); err != nil {
		t.Fatal(err)
	}
	// A figure read after a commit returned includes it.
	if got := queueGauge(t, reg); got["queued"] != 1 || got["held"] != 0 {
		t.Fatalf("after a commit: %v", got)
	}
	if n, _, err := s.OutboxLag(ctx, "automation"); err != nil || n != 1 {
		t.Fatalf("outbox lag %d, %v", n, err)
	}

	behind, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	heldUntil := time.Unix(0, now.Load()).Add(10 * time.Minute)
	if _, err := behind.ExecContext(ctx, `UPDATE incidents SET held_until = ? WHERE status = 'open'`, heldUntil.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := behind.ExecContext(ctx, `UPDATE outbox SET delivered_at = 1`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := queueGauge(t, reg); got["queued"] != 1 || got["held"] != 0 {
			t.Fatalf("a scrape counted by itself: %v", got)
		}
		if n, _, err := s.OutboxLag(ctx, "automation"); err != nil || n != 1 {
			t.Fatalf("outbox lag counted by itself: %d, %v", n, err)
		}
	}

	s.gauges.refresh(ctx)
	if got := queueGauge(t, reg); got["queued"] != 0 || got["held"] != 1 {
		t.Fatalf("after the recount: %v", got)
	}
	if n, oldest, err := s.OutboxLag(ctx, "automation"); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("outbox lag after the recount: %d, %v, %v", n, oldest, err)
	}
	// The hold runs out on the scrape's clock, with no recount.
	now.Store(heldUntil.Add(time.Second).UnixNano())
	if got := queueGauge(t, reg); got["queued"] != 1 || got["held"] != 0 {
		t.Fatalf("after the hold ran out: %v", got)
	}
}

// queueGauge sums alarmrx_queue_incidents by state.
func queueGauge(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	var found bool
	for _, mf := range mfs {
		if mf.GetName() != "alarmrx_queue_incidents" {
			continue
		}
		found = true
		for _, m := range mf.GetMetric() {
			out[label(m, "state")] += m.GetGauge().GetValue()
		}
	}
	if !found {
		t.Fatal("no alarmrx_queue_incidents")
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestCommitWakesTheOutputsItGaveRows: after a committed frame, the store
// names the outputs that got outbox rows from it, and only those: an
// output whose filter takes no burglary is not woken.
func TestCommitWakesTheOutputsItGaveRows(t *testing.T) {
	woken := make(chan string, 8)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Logger: zaptest.NewLogger(t),
		Registerer:   prometheus.NewRegistry(),
		Outbox:       []OutboxTarget{{Name: "all"}, {Name: "fire only", Categories: []string{"fire"}}},
		OutboxQueued: func(name string) { woken <- name }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), testReceipt("frame 1")); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-woken:
		if name != "all" {
			t.Fatalf("woke %q, want all", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no output woken after the commit")
	}
	select {
	case name := <-woken:
		t.Fatalf("woke %q too: its filter took nothing", name)
	default:
	}
}
