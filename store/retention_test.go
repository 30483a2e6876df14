package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

const day = 24 * time.Hour

// retentionFixture is a store with a history spread over time, on a clock
// the test moves.
type retentionFixture struct {
	t   *testing.T
	s   *Store
	reg *prometheus.Registry
	t0  time.Time
	seq int
}

func newRetentionFixture(t *testing.T) *retentionFixture {
	t.Helper()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Logger: zaptest.NewLogger(t),
		Registerer: reg, Outbox: []OutboxTarget{{Name: "automation"}}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &retentionFixture{t: t, s: s, reg: reg, t0: t0}
}

// frame commits one frame of one signal from account at, queued (it opens
// or joins the account's incident) or logged, and returns the frame's and
// the signal's ids.
func (f *retentionFixture) frame(account string, at time.Time, queued bool, raw int) (frameID, signalID int64) {
	f.t.Helper()
	f.seq++
	rec := testReceipt(fmt.Sprintf("frame %d %s", f.seq, strings.Repeat("x", raw)))
	rec.ReceivedAt = at
	if queued {
		rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
	} else {
		rec.Handling = []Handling{{Mode: HandlingLog, Priority: 9}}
	}
	id, err := f.s.Commit(context.Background(), testMessage(account, fmt.Sprintf("%04d", f.seq)), rec)
	if err != nil {
		f.t.Fatal(err)
	}
	return id, f.one(`SELECT id FROM signals WHERE frame_id = ?`, id)
}

func (f *retentionFixture) rejected(at time.Time) int64 {
	f.t.Helper()
	f.seq++
	rec := testReceipt(fmt.Sprintf("bad frame %d", f.seq))
	rec.ReceivedAt, rec.Status, rec.Reason = at, StatusRejected, protocols.ReasonCRC
	id, err := f.s.Commit(context.Background(), nil, rec)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// deliverAll settles every outbox row, as an output that is up to date.
func (f *retentionFixture) deliverAll() {
	f.t.Helper()
	f.exec(`UPDATE outbox SET delivered_at = ? WHERE delivered_at IS NULL`, f.t0.UnixNano())
}

func (f *retentionFixture) exec(query string, args ...any) {
	f.t.Helper()
	err := f.s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *retentionFixture) one(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.s.rdb.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *retentionFixture) ids(query string) []int64 {
	f.t.Helper()
	rows, err := f.s.rdb.QueryContext(context.Background(), query)
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := core.AppendRows(nil, rows, func(r core.RowScanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *retentionFixture) pruned() map[string]float64 {
	got := map[string]float64{}
	for _, k := range RetentionKinds() {
		got[k] = testutil.ToFloat64(f.s.m.pruned.WithLabelValues(k))
	}
	return got
}

func (f *retentionFixture) expectIDs(what, query string, want ...int64) {
	f.t.Helper()
	if got := f.ids(query); !slices.Equal(got, want) {
		f.t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// TestPruneKeepsNewerRowsAndWhatOpenIncidentsNeed: a round deletes, in
// batches, exactly the rows older than their kind's period that nothing
// kept references; a pending outbox row keeps its signal, an open incident
// keeps its signals, their frames and their outbox rows, a closed incident
// past its period goes with its action log and lets its signals go; the
// metric counts exactly what went.
func TestPruneKeepsNewerRowsAndWhatOpenIncidentsNeed(t *testing.T) {
	f := newRetentionFixture(t)
	t0 := f.t0
	now := t0.Add(400 * day)
	var oldFrames, oldSignals []int64
	for range 3 {
		fr, sg := f.frame("1111", t0, false, 0)
		oldFrames, oldSignals = append(oldFrames, fr), append(oldSignals, sg)
	}
	pendingFrame, pendingSignal := f.frame("1111", t0, false, 0)
	openFrame, openSignal := f.frame("2222", t0.Add(time.Minute), true, 0)
	closedFrame, closedSignal := f.frame("3333", t0.Add(2*time.Minute), true, 0)
	oldRejected := f.rejected(now.Add(-8 * day))
	newRejected := f.rejected(now.Add(-6 * day))
	newFrame1, newSignal1 := f.frame("1111", now.Add(-day), false, 0)
	newFrame2, newSignal2 := f.frame("1111", now.Add(-day), false, 0)
	// A newer incident: the closed one is not the newest row of its table.
	newAlarmFrame, newAlarmSignal := f.frame("4444", now.Add(-day), true, 0)

	openIncident := f.one(`SELECT incident_id FROM incident_signals WHERE signal_id = ?`, openSignal)
	closedIncident := f.one(`SELECT incident_id FROM incident_signals WHERE signal_id = ?`, closedSignal)
	newIncident := f.one(`SELECT incident_id FROM incident_signals WHERE signal_id = ?`, newAlarmSignal)
	f.exec(`UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?`, t0.Add(day).UnixNano(), closedIncident)
	// Every outbox row is delivered but the one of pendingSignal.
	f.exec(`UPDATE outbox SET delivered_at = ? WHERE signal_id <> ?`, t0.Add(time.Hour).UnixNano(), pendingSignal)
	f.exec(`INSERT INTO audit_log (at, user_name, action) VALUES (?, 'admin', 'account.update'), (?, 'admin', 'account.update')`,
		t0.UnixNano(), now.Add(-day).UnixNano())
	f.exec(`INSERT INTO station_events (at, kind) VALUES (?, 'unknown_account'), (?, 'unknown_account')`,
		t0.UnixNano(), now.Add(-day).UnixNano())
	f.exec(`INSERT INTO poll_evidence (receiver, account, listener, first_at, last_at, polls, transport, remote_addr, protocol, kind, raw)
		VALUES (1, '1111', 'dc09-main', ?, ?, 5, 'tcp', '127.0.0.1:1', 'dc09', 'NULL', ?),
		       (1, '2222', 'dc09-main', ?, ?, 9, 'tcp', '127.0.0.1:1', 'dc09', 'NULL', ?)`,
		t0.UnixNano(), t0.UnixNano(), []byte{}, t0.UnixNano(), now.Add(-day).UnixNano(), []byte{})
	// An operator's notes go with their signal; a kept signal keeps its own.
	f.exec(`INSERT INTO signal_notes (signal_id, at, user_name, note) VALUES (?, ?, 'op', 'called'), (?, ?, 'op', 'called')`,
		oldSignals[0], t0.UnixNano(), pendingSignal, t0.UnixNano())

	periods := map[string]time.Duration{
		RetainOutbox: 30 * day, RetainIncidents: 365 * day, RetainSignals: 365 * day, RetainFrames: 365 * day,
		RetainRejectedFrames: 7 * day, RetainAuditLog: 365 * day, RetainStationEvents: 365 * day, RetainPollEvidence: 30 * day,
		"no_such_kind": day, // ignored
	}
	res, err := f.s.Prune(context.Background(), now, Retention{Periods: periods, BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{RetainOutbox: 4, RetainIncidents: 1, RetainSignals: 4, RetainFrames: 4,
		RetainRejectedFrames: 1, RetainAuditLog: 1, RetainStationEvents: 1, RetainPollEvidence: 1}
	if !maps.Equal(res.Rows, want) {
		t.Errorf("pruned %v, want %v", res.Rows, want)
	}
	wantMetric := map[string]float64{}
	for _, k := range RetentionKinds() {
		wantMetric[k] = 0 // every kind is there from the start
	}
	for k, n := range want {
		wantMetric[k] = float64(n)
	}
	if got := f.pruned(); !maps.Equal(got, wantMetric) {
		t.Errorf("alarmrx_store_pruned_rows_total %v, want %v", got, wantMetric)
	}

	f.expectIDs("signals", `SELECT id FROM signals ORDER BY id`, pendingSignal, openSignal, newSignal1, newSignal2, newAlarmSignal)
	f.expectIDs("frames", `SELECT id FROM frames ORDER BY id`, pendingFrame, openFrame, newRejected, newFrame1, newFrame2, newAlarmFrame)
	f.expectIDs("incidents", `SELECT id FROM incidents ORDER BY id`, openIncident, newIncident)
	f.expectIDs("outbox rows' signals", `SELECT signal_id FROM outbox ORDER BY id`,
		pendingSignal, openSignal, newSignal1, newSignal2, newAlarmSignal)
	f.expectIDs("closed incident's actions", fmt.Sprintf(`SELECT id FROM incident_actions WHERE incident_id = %d`, closedIncident))
	if f.one(`SELECT count(*) FROM incident_actions WHERE incident_id = ?`, openIncident) == 0 {
		t.Error("the open incident lost its action log")
	}
	f.expectIDs("signal notes' signals", `SELECT signal_id FROM signal_notes`, pendingSignal)
	f.expectIDs("audit log", `SELECT at FROM audit_log`, now.Add(-day).UnixNano())
	f.expectIDs("station events", `SELECT at FROM station_events`, now.Add(-day).UnixNano())
	f.expectIDs("poll evidence", `SELECT polls FROM poll_evidence`, 9)
	for _, id := range append(append(oldFrames, closedFrame, oldRejected), oldSignals...) {
		if id == 0 {
			t.Fatal("a row without an id")
		}
	}

	// A second round finds nothing more.
	res, err = f.s.Prune(context.Background(), now, Retention{Periods: periods, BatchRows: 2})
	if err != nil || res.Removed() != 0 {
		t.Fatalf("second round: %v, %v", res.Rows, err)
	}
	// Once the pending row is delivered and the incident closed long
	// enough, what they kept goes too.
	f.exec(`UPDATE outbox SET delivered_at = ? WHERE signal_id = ?`, t0.Add(time.Hour).UnixNano(), pendingSignal)
	f.exec(`UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?`, t0.Add(day).UnixNano(), openIncident)
	res, err = f.s.Prune(context.Background(), now, Retention{Periods: periods, BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{RetainOutbox: 2, RetainIncidents: 1, RetainSignals: 2, RetainFrames: 2}
	if !maps.Equal(res.Rows, want) {
		t.Errorf("third round pruned %v, want %v", res.Rows, want)
	}
	f.expectIDs("signals at last", `SELECT id FROM signals ORDER BY id`, newSignal1, newSignal2, newAlarmSignal)
}

// TestPruneZeroKeepsForever: a kind whose period is 0 (or not given) keeps
// every row, however old, and a kept kind keeps what it references: frames
// stay while their signals do.
func TestPruneZeroKeepsForever(t *testing.T) {
	f := newRetentionFixture(t)
	for range 3 {
		f.frame("1111", f.t0, false, 0)
	}
	f.rejected(f.t0)
	f.frame("1111", f.t0.Add(time.Hour), false, 0)
	now := f.t0.Add(10 * 365 * day)
	res, err := f.s.Prune(context.Background(), now, Retention{Periods: map[string]time.Duration{
		RetainSignals: 0, RetainFrames: 365 * day, RetainRejectedFrames: 0}})
	if err != nil {
		t.Fatal(err)
	}
	// Only the rejected frame has no signal to keep it.
	if want := map[string]int{RetainFrames: 1}; !maps.Equal(res.Rows, want) {
		t.Fatalf("pruned %v, want %v", res.Rows, want)
	}
	if n := f.one(`SELECT count(*) FROM signals`); n != 4 {
		t.Errorf("%d signals left, want 4", n)
	}
	if res, err := f.s.Prune(context.Background(), now, Retention{}); err != nil || res.Removed() != 0 {
		t.Errorf("no periods: %v, %v", res.Rows, err)
	}
}

// TestPruneKeepsTheNewestRow: a table pruned down to nothing would hand
// its ids out again; its newest row stays, and the next row gets a new id.
func TestPruneKeepsTheNewestRow(t *testing.T) {
	f := newRetentionFixture(t)
	var last int64
	for range 5 {
		_, last = f.frame("1111", f.t0, false, 0)
	}
	f.deliverAll()
	now := f.t0.Add(2 * 365 * day)
	res, err := f.s.Prune(context.Background(), now, Retention{Periods: map[string]time.Duration{
		RetainSignals: day, RetainFrames: day, RetainOutbox: day}, BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{RetainSignals: 4, RetainFrames: 4, RetainOutbox: 4}; !maps.Equal(res.Rows, want) {
		t.Fatalf("pruned %v, want %v", res.Rows, want)
	}
	f.expectIDs("signals", `SELECT id FROM signals`, last)
	if _, next := f.frame("1111", now, false, 0); next <= last {
		t.Errorf("the next signal got id %d after %d", next, last)
	}
}

// TestPruneShrinksTheFile: after a round, incremental vacuum gives the
// freed pages back in bounded steps, and counts them.
func TestPruneShrinksTheFile(t *testing.T) {
	onSQLiteOnly(t)
	f := newRetentionFixture(t)
	if !f.s.incrementalVacuum || f.one(`PRAGMA auto_vacuum`) != sqlite.AutoVacuumIncremental {
		t.Fatal("a new store has no incremental auto-vacuum")
	}
	for range 300 {
		f.frame("1111", f.t0, false, 8000) // two overflow pages each, at least
	}
	f.frame("1111", f.t0.Add(400*day), false, 0)
	f.deliverAll()
	before := f.one(`PRAGMA page_count`)
	res, err := f.s.Prune(context.Background(), f.t0.Add(400*day), Retention{
		Periods: map[string]time.Duration{RetainSignals: 365 * day, RetainFrames: 365 * day}, BatchRows: 100, VacuumPages: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[RetainFrames] != 300 {
		t.Fatalf("pruned %v", res.Rows)
	}
	after := f.one(`PRAGMA page_count`)
	if free := f.one(`PRAGMA freelist_count`); free != 0 {
		t.Errorf("%d pages still free", free)
	}
	if res.FreedPages < 600 || before-after != res.FreedPages {
		t.Errorf("freed %d pages; page_count %d → %d", res.FreedPages, before, after)
	}
	if got := testutil.ToFloat64(f.s.m.vacuumed); got != float64(res.FreedPages) {
		t.Errorf("alarmrx_store_vacuumed_pages_total %v, want %d", got, res.FreedPages)
	}
	if got := testutil.ToFloat64(gaugeFunc(t, f.reg, "alarmrx_store_bytes")); got != float64(f.s.db.FileBytes()) || got <= 0 {
		t.Errorf("alarmrx_store_bytes %v, file %d", got, f.s.db.FileBytes())
	}
}

// TestPruneWithoutAutoVacuum: a database created before incremental
// auto-vacuum keeps working: rows are pruned, their pages stay free for
// new rows, and the file is not rewritten.
func TestPruneWithoutAutoVacuum(t *testing.T) {
	onSQLiteOnly(t)
	path := fileWithoutAutoVacuum(t)
	reg := prometheus.NewRegistry()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f := &retentionFixture{t: t, s: s, reg: reg, t0: t0}
	if s.incrementalVacuum {
		t.Fatal("an old file reads as incremental")
	}
	for range 50 {
		f.frame("1111", t0, false, 8000)
	}
	f.frame("1111", t0.Add(400*day), false, 0)
	before := f.one(`PRAGMA page_count`)
	res, err := s.Prune(context.Background(), t0.Add(400*day), Retention{
		Periods: map[string]time.Duration{RetainSignals: 365 * day, RetainFrames: 365 * day}, VacuumPages: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[RetainFrames] != 50 || res.FreedPages != 0 {
		t.Fatalf("pruned %v, freed %d", res.Rows, res.FreedPages)
	}
	if after, free := f.one(`PRAGMA page_count`), f.one(`PRAGMA freelist_count`); after != before || free == 0 {
		t.Errorf("page_count %d → %d, %d free", before, after, free)
	}
}

// TestPruneQueriesUseIndexes: every query a round runs finds its rows by
// an index, never by a scan of a table: the writer they hold is the one
// acknowledgements wait for.
func TestPruneQueriesUseIndexes(t *testing.T) {
	onSQLiteOnly(t)
	f := newRetentionFixture(t)
	for _, k := range pruneKinds {
		queries := []string{k.pick, `DELETE FROM ` + k.table + ` WHERE ` + k.key + ` IN (?)`}
		if k.del != "" {
			queries = []string{k.del}
		}
		for _, d := range k.with {
			queries = append(queries, fmt.Sprintf(d.sql, "?"))
		}
		for _, q := range queries {
			args := []any{int64(1), 10}[:strings.Count(q, "?")]
			rows, err := f.s.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatalf("%s: %v", k.name, err)
			}
			plan, err := core.AppendRows(nil, rows, func(r core.RowScanner) (string, error) {
				var id, parent, unused int
				var detail string
				err := r.Scan(&id, &parent, &unused, &detail)
				return detail, err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") {
					t.Errorf("%s: %q scans: %v", k.name, strings.Join(strings.Fields(q), " "), plan)
				}
			}
		}
	}
}

// TestPruneStopsWithItsContext: a round ends between two transactions
// once its context ends, and what it committed stays counted.
func TestPruneStopsWithItsContext(t *testing.T) {
	f := newRetentionFixture(t)
	for range 4 {
		f.frame("1111", f.t0, false, 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := f.s.Prune(ctx, f.t0.Add(400*day), Retention{Periods: map[string]time.Duration{RetainSignals: day}})
	if err == nil || res.Removed() != 0 {
		t.Fatalf("a cancelled round: %v, %v", res.Rows, err)
	}
}

func gaugeFunc(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "db" && l.GetValue() == "store" {
					g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "copy"})
					g.Set(m.GetGauge().GetValue())
					return g
				}
			}
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

// TestPruneDeletesInBatches: one transaction deletes at most the batch,
// oldest first, and a round goes on until a batch comes back short.
func TestPruneDeletesInBatches(t *testing.T) {
	f := newRetentionFixture(t)
	var signals []int64
	for i := range 6 {
		// Inserted newest first: the oldest go first, whatever their ids.
		_, id := f.frame("1111", f.t0.Add(time.Duration(10-i)*time.Minute), false, 0)
		signals = append(signals, id)
	}
	f.frame("1111", f.t0.Add(day), false, 0) // the newest row, and not old
	f.deliverAll()
	var kind pruneKind
	for _, k := range pruneKinds {
		if k.name == RetainSignals {
			kind = k
		}
	}
	cutoff := f.t0.Add(time.Hour).UnixNano()
	for _, want := range [][]int64{signals[4:6], signals[2:4], signals[0:2], nil} {
		counts, picked, err := f.s.pruneBatch(context.Background(), kind, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		if picked != len(want) || counts[RetainSignals] != len(want) || counts[RetainOutbox] != len(want) {
			t.Fatalf("batch picked %d, deleted %v; want %d", picked, counts, len(want))
		}
		for _, id := range want {
			if n := f.one(`SELECT count(*) FROM signals WHERE id = ?`, id); n != 0 {
				t.Errorf("signal %d (among the oldest) is still there", id)
			}
		}
	}
	if n := f.one(`SELECT count(*) FROM signals`); n != 1 {
		t.Errorf("%d signals left, want 1", n)
	}
}

// fileWithoutAutoVacuum is a database file as versions before incremental
// auto-vacuum created them: a table already there when the store first
// opens it.
func fileWithoutAutoVacuum(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	old, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE before_auto_vacuum (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_ = old.Close()
	return path
}

// TestCompactConvertsAnOlderDatabase: the offline step refuses a running
// store and a missing database, and turns a file without auto-vacuum into
// one with it, smaller by its free pages, with every row kept.
func TestCompactConvertsAnOlderDatabase(t *testing.T) {
	onSQLiteOnly(t)
	path := fileWithoutAutoVacuum(t)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	f := &retentionFixture{t: t, s: s, reg: reg, t0: t0}
	for range 50 {
		f.frame("1111", t0, false, 8000)
	}
	f.frame("1111", t0.Add(400*day), false, 0)
	if _, err := s.Prune(context.Background(), t0.Add(400*day), Retention{
		Periods: map[string]time.Duration{RetainSignals: 365 * day, RetainFrames: 365 * day}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Compact(context.Background(), path); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("compact of an open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, after, err := Compact(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before || after <= 0 {
		t.Errorf("compacted %d bytes to %d", before, after)
	}
	s, err = Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f.s = s
	if !s.incrementalVacuum || f.one(`PRAGMA freelist_count`) != 0 || f.one(`SELECT count(*) FROM signals`) != 1 {
		t.Errorf("after compact: incremental %v, %d free pages, %d signals", s.incrementalVacuum,
			f.one(`PRAGMA freelist_count`), f.one(`SELECT count(*) FROM signals`))
	}

	dir := t.TempDir()
	if _, _, err := Compact(context.Background(), filepath.Join(dir, FileName)); !errors.Is(err, ErrDatabaseMissing) {
		t.Errorf("compact of a missing database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFileName)); err == nil {
		t.Error("compact of a missing database left a lock file: the next start would call the database lost")
	}
}
