package daemon

import (
	"maps"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestRetentionRoundsOnTheDaemonsClock: the daemon prunes what its clock
// says is past store.retention, keeps what an open incident holds, counts
// it in alarmrx_store_pruned_rows_total and says so in one line.
func TestRetentionRoundsOnTheDaemonsClock(t *testing.T) {
	clk := newTestClock()
	cfg := testConfig(t, t.TempDir())
	cfg.Store.Retention.Interval = time.Hour // the test runs the rounds itself
	core, logs := observer.New(zapcore.InfoLevel)
	r := runDaemonWith(t, cfg, Options{Logger: zap.New(core), Version: "test", Now: clk.Now})
	waitReady(t, "http://"+r.d.HTTPAddr())
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("NULL", "4444", "0001", "", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "4444", "0002", "#4444|Nri1/OP001", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "4444", "0003", "#4444|Nri1/BA001", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "4444", "0004", "#4444|Nri1/CL001", false), "ACK")
	// The poll's evidence is written now rather than at the next flush.
	if _, err := r.d.store.FlushPolls(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Nothing is old yet.
	res, err := r.d.pruner.round(t.Context())
	if err != nil || res.Removed() != 0 {
		t.Fatalf("first round: %v, %v", res.Rows, err)
	}
	clk.Advance(4 * 365 * 24 * time.Hour)
	res, err = r.d.pruner.round(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The opening goes with its frame; the alarm stays with its open
	// incident; the closing is the newest signal and frame, which stay so
	// that ids are never reused; the poll's evidence is past 30 days.
	want := map[string]int{store.RetainSignals: 1, store.RetainFrames: 1, store.RetainPollEvidence: 1}
	if !maps.Equal(res.Rows, want) {
		t.Errorf("pruned %v, want %v", res.Rows, want)
	}
	for k, n := range want {
		if got := counter(t, r, "alarmrx_store_pruned_rows_total", "kind", k); got != float64(n) {
			t.Errorf("alarmrx_store_pruned_rows_total{kind=%q} %v, want %d", k, got, n)
		}
	}
	if got := gauge(t, r, "alarmrx_store_bytes"); got <= 0 {
		t.Errorf("alarmrx_store_bytes %v", got)
	}
	lines := logs.FilterMessage("retention pruned rows past their periods").All()
	if len(lines) != 1 {
		t.Fatalf("%d retention lines", len(lines))
	}
	if got, want := lines[0].ContextMap(), map[string]any{"frames": int64(1), "signals": int64(1), "poll_evidence": int64(1),
		"freed_pages": int64(0), "rounds": int64(1)}; !maps.Equal(got, want) {
		t.Errorf("logged %v, want %v", got, want)
	}
	got := signals(t, r, "account=4444")
	if len(got) != 2 || got[0]["event_code"] == "OP" || got[1]["event_code"] == "OP" {
		t.Errorf("signals left: %v", got)
	}
}
