package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// runawayRules trip at the 4th identical signal within a minute and
// reset after 10 minutes of quiet.
var runawayRules = RunawayRules{Max: 3, Window: time.Minute, Quiet: 10 * time.Minute}

func openRunaway(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	opts.Logger, opts.Registerer, opts.Runaway = zaptest.NewLogger(t), prometheus.NewRegistry(), runawayRules
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var runawayT0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// commitSwing commits one burglary signal of account 1234, zone z,
// received at runawayT0+at, queued by the receiver's rules, and waits for
// its projection.
func commitSwing(t *testing.T, s *Store, n int, zone string, at time.Duration) {
	t.Helper()
	commitSwingNoWait(t, s, n, zone, at)
	if err := s.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// commitSwingNoWait is commitSwing without the wait.
func commitSwingNoWait(t *testing.T, s *Store, n int, zone string, at time.Duration) {
	t.Helper()
	m := testMessage("1234", fmt.Sprintf("%04d", n))
	m.Events[0].Zone = zone
	rec := testReceipt(fmt.Sprintf("frame %d", n))
	rec.ReceivedAt = runawayT0.Add(at)
	rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
	if _, err := s.Commit(context.Background(), m, rec); err != nil {
		t.Fatal(err)
	}
}

// handlings are the stored signals' handling of one zone, oldest first.
func handlings(t *testing.T, s *Store, zone string) string {
	t.Helper()
	return strings.Join(column[string](t, s, `SELECT handling FROM signals WHERE zone = ? ORDER BY id`, zone), " ")
}

// column is the one column of a query's rows.
func column[T any](t *testing.T, s *Store, query string, args ...any) []T {
	t.Helper()
	rows, err := s.rdb.QueryContext(context.Background(), query, args...)
	must(t, err)
	defer rows.Close()
	var got []T
	for rows.Next() {
		var v T
		must(t, rows.Scan(&v))
		got = append(got, v)
	}
	must(t, rows.Err())
	return got
}

// TestRunawayTripsOnceThenRepeatsUntilQuiet: three signals within a
// minute are alarms, the fourth trips the detector and raises one
// runaway incident, the repeats are auto-logged on it until the signal
// has been quiet for the quiet time. On PostgreSQL the detector's state
// is the database's: a restart in the middle of a swing forgets nothing.
func TestRunawayTripsOnceThenRepeatsUntilQuiet(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := openRunaway(t, path, Options{})
	ctx := context.Background()
	for i, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second} {
		commitSwing(t, s, i, "012", at)
	}
	if s.opts.Driver == DriverPostgres {
		must(t, s.Close())
		s = openRunaway(t, path, Options{})
	}
	for i, at := range []time.Duration{30 * time.Second, 40 * time.Second, 5 * time.Minute,
		15*time.Minute + time.Second, 16 * time.Minute} {
		commitSwing(t, s, 3+i, "012", at)
	}
	want := "queued queued queued queued repeat repeat queued queued"
	if got := handlings(t, s, "012"); got != want {
		t.Fatalf("handling %q, want %q", got, want)
	}
	var kind string
	var signals, runawayLogs int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT kind, signal_count,
		(SELECT count(*) FROM incident_actions a WHERE a.incident_id = i.id AND a.action = 'runaway')
		FROM incidents i`).Scan(&kind, &signals, &runawayLogs))
	if kind != IncidentRunaway || signals != 8 || runawayLogs != 1 {
		t.Errorf("incident %s with %d signals and %d runaway entries, want runaway, 8, 1", kind, signals, runawayLogs)
	}
	if v := testutil.ToFloat64(s.m.runaways); v != 1 {
		t.Errorf("alarmrx_runaways_total = %v, want 1", v)
	}

	// Signals spread wider than the window never trip.
	for i := range 8 {
		commitSwing(t, s, 100+i, "013", 20*time.Minute+time.Duration(i)*31*time.Second)
	}
	if got := handlings(t, s, "013"); strings.Contains(got, "repeat") || strings.Count(got, "queued") != 8 {
		t.Errorf("signals 31 s apart: handling %q, want 8 queued", got)
	}
	var runaways int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM incident_actions WHERE action = 'runaway'`).Scan(&runaways))
	if runaways != 1 {
		t.Errorf("%d runaway entries, want 1", runaways)
	}

	// A signal an hour later prunes the rows idle past the window and
	// the quiet time: only its own is left (PostgreSQL; on SQLite the
	// state is the process's, and the table stays empty).
	commitSwing(t, s, 200, "014", 2*time.Hour)
	if s.opts.Driver != DriverPostgres {
		var n int
		must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM runaway_watch`).Scan(&n))
		if n != 0 {
			t.Errorf("%d runaway_watch rows on SQLite, want none", n)
		}
		return
	}
	keys := column[string](t, s, `SELECT key FROM runaway_watch`)
	if len(keys) != 1 || keys[0] != "1/1234/SIABA/014" {
		t.Errorf("runaway_watch after an idle hour: %q, want the one key of zone 014", keys)
	}
}

// TestRunawayAcrossNodes: a panel that swings between the primary and
// the secondary path, its signals reaching two nodes in turn, trips the
// detector as it would on one node (each node on its own would have seen
// two signals, under the limit).
func TestRunawayAcrossNodes(t *testing.T) {
	if testEngine != nil {
		t.Skip("opens PostgreSQL itself: it ran in the first pass")
	}
	dsn := pgtest.Database(t)
	a := openRunaway(t, t.TempDir()+"/unused", Options{Driver: DriverPostgres, DSN: dsn, NodeID: "node-a"})
	b := openRunaway(t, t.TempDir()+"/unused", Options{Driver: DriverPostgres, DSN: dsn, NodeID: "node-b"})
	nodes := []*Store{a, b}
	for i, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second} {
		commitSwing(t, nodes[i%2], i, "012", at)
	}
	frameCount(t, a, b)
	want := "queued queued queued queued repeat"
	if got := handlings(t, a, "012"); got != want {
		t.Fatalf("handling of the signals the two nodes took in turn %q, want %q", got, want)
	}
}

// TestRunawayCountsAProjectionThatRolledBackOnce: a projection that
// failed and is tried again (here a group with a signal the database
// refuses, by a trigger, projected again an entry at a time) does not
// count its signals twice: the fourth signal trips, not an earlier one.
func TestRunawayCountsAProjectionThatRolledBackOnce(t *testing.T) {
	s := openRunaway(t, filepath.Join(t.TempDir(), FileName), Options{ProjectDelay: time.Hour})
	ctx := context.Background()
	refuseZone(t, s, "signals", "666")
	for i := range 4 {
		commitSwingNoWait(t, s, i, "012", time.Duration(i)*time.Second)
	}
	commitSwingNoWait(t, s, 9, "666", 5*time.Second)
	must(t, s.Settle(ctx))
	if got, want := handlings(t, s, "012"), "queued queued queued queued"; got != want {
		t.Fatalf("handling %q, want %q", got, want)
	}
	ids := column[int64](t, s, `SELECT id FROM signals WHERE zone = '012' ORDER BY id`)
	details := column[string](t, s, `SELECT detail FROM incident_actions WHERE action = 'runaway'`)
	var trip struct {
		SignalID int64  `json:"signal_id"`
		Detail   string `json:"detail"`
	}
	if len(details) != 1 || json.Unmarshal([]byte(details[0]), &trip) != nil {
		t.Fatalf("runaway entries %q, want one", details)
	}
	if trip.SignalID != ids[3] || trip.Detail != "4 identical signals within 1m0s" {
		t.Errorf("tripped by signal %d (%s), want the fourth, %d, with 4 signals", trip.SignalID, trip.Detail, ids[3])
	}
}
