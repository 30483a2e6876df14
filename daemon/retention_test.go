package daemon

import (
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
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

// TestRetentionLogIsRateLimited: rounds that remove something within
// retentionLogEvery of the last line add to the next line instead of
// logging their own; rounds that remove nothing never log.
func TestRetentionLogIsRateLimited(t *testing.T) {
	clk := newTestClock()
	s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), store.FileName),
		store.Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	core, logs := observer.New(zapcore.InfoLevel)
	cfg := configs.DefaultRetention()
	cfg.PollEvidence = time.Hour
	p := newPruner(s, cfg, zap.New(core), clk.Now)
	// poll leaves the evidence of one poll of account, an hour and a
	// minute before the clock: the next round prunes it.
	poll := func(account string) {
		t.Helper()
		if err := s.RecordPoll(store.Poll{Receiver: 1, Account: account, Listener: "dc09-main",
			At: clk.Now().Add(-time.Hour - time.Minute), Transport: "tcp", RemoteAddr: "127.0.0.1:1", Protocol: "dc09",
			Kind: "NULL", Raw: []byte("poll")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FlushPolls(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	round := func(want int) {
		t.Helper()
		res, err := p.round(t.Context())
		if err != nil || res.Rows[store.RetainPollEvidence] != want {
			t.Fatalf("round pruned %v, %v; want %d poll evidence rows", res.Rows, err, want)
		}
	}
	poll("1111")
	round(1) // the first line
	poll("2222")
	poll("3333")
	clk.Advance(time.Minute)
	round(2) // within 10 minutes: summed, not logged
	clk.Advance(time.Minute)
	round(0) // nothing removed: nothing to say
	poll("4444")
	clk.Advance(retentionLogEvery)
	round(1) // the second line: this round and the suppressed one
	var got []any
	for _, e := range logs.FilterMessage("retention pruned rows past their periods").All() {
		m := e.ContextMap()
		got = append(got, []any{m["poll_evidence"], m["rounds"]})
	}
	want := []any{[]any{int64(1), int64(1)}, []any{int64(3), int64(2)}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines (poll_evidence, rounds) %v, want %v", got, want)
	}
}
