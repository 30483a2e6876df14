package queue_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/queue"
)

// step is one thing to write with the queue's Tx in a batch of the writer.
type step func(ctx context.Context, t *queue.Tx) error

// batcher runs each item's step on the batch's *engine.Tx, as the commit
// path does, and keeps what each batch touched once it committed.
type batcher struct {
	q        queue.Tx
	mu       sync.Mutex
	touched  []queue.Event
	released chan struct{} // a batch was released (capacity 1)
}

// published waits for n touched incidents: the writer releases a batch
// after its callers have their answer. It returns what was touched by
// then, or after 5 s without a release.
func (b *batcher) published(t *testing.T, n int) []queue.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		b.mu.Lock()
		got := slices.Clone(b.touched)
		b.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-b.released:
		case <-timeout:
			return got
		}
	}
}

func (*batcher) Statements() []string { return nil }
func (b *batcher) WriteBatch(ctx context.Context, tx *engine.Tx, items []any, ids []int64) error {
	b.q.Reset(tx)
	for _, it := range items {
		if err := it.(step)(ctx, &b.q); err != nil {
			b.q.Reset(nil)
			return err
		}
	}
	// As the store's projection does before it commits.
	return b.q.Flush(ctx)
}
func (*batcher) Committed([]any) {}
func (b *batcher) Released([]any) {
	b.mu.Lock()
	b.touched = append(b.touched, b.q.Touched...)
	b.mu.Unlock()
	b.q.Reset(nil)
	select {
	case b.released <- struct{}{}:
	default:
	}
}

type fixture struct {
	db      storetest.Engine
	b       *batcher
	signals []int64 // stored signals, logged: free to queue
}

var received = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// newFixture opens an engine over a real SQLite file with the store's
// schema and n stored signals that no incident holds yet.
func newFixture(t *testing.T, d core.Dialect, n int) *fixture {
	t.Helper()
	return reopen(t, d, storetest.NewPlace(t, d), n)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) run(t *testing.T, s step) {
	t.Helper()
	if _, err := f.db.Submit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

type incident struct {
	id, signals      int
	kind, title, key string
	priority         int
	restored         int
	roles, actions   []string
}

func (f *fixture) incidents(t *testing.T) []incident {
	t.Helper()
	ctx := context.Background()
	rdb := f.db.Read()
	rows, err := rdb.QueryContext(ctx, `SELECT id, signal_count, kind, title, account_key, priority, restored FROM incidents ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var out []incident
	for rows.Next() {
		var in incident
		must(t, rows.Scan(&in.id, &in.signals, &in.kind, &in.title, &in.key, &in.priority, &in.restored))
		out = append(out, in)
	}
	must(t, rows.Err())
	for i := range out {
		out[i].roles = column(t, rdb, `SELECT role FROM incident_signals WHERE incident_id = ? ORDER BY signal_id`, out[i].id)
		out[i].actions = column(t, rdb, `SELECT action FROM incident_actions WHERE incident_id = ? ORDER BY id`, out[i].id)
	}
	return out
}

func column(t *testing.T, db core.Reader, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		must(t, rows.Scan(&s))
		out = append(out, s)
	}
	must(t, rows.Err())
	return out
}

func (f *fixture) signal(i, accountID int64, e protocols.Event, h queue.Handling) step {
	return func(ctx context.Context, t *queue.Tx) error {
		return t.QueueSignal(ctx, &queue.Signal{ID: f.signals[i], ReceivedAt: received, Receiver: 1, Account: "1234",
			AccountID: accountID, Event: &e}, h)
	}
}

// TestSignalsOpenJoinAndRaiseIncidents: a queued signal opens its
// account's incident and later ones join it, a better priority raises it
// (logged) and a worse one never lowers it; a restore attaches, a repeat
// is logged on it and a logged signal stays out; a runaway flags the
// incident; each change is touched for the subscribers once committed.
func TestSignalsOpenJoinAndRaiseIncidents(t *testing.T) {
	storetest.ForEachDialect(t, testSignalsOpenJoinAndRaiseIncidents)
}

func testSignalsOpenJoinAndRaiseIncidents(t *testing.T, d core.Dialect) {
	f := newFixture(t, d, 6)
	alarm := protocols.Event{Format: protocols.FormatSIA, Code: "BA", Zone: "012", Description: "Burglary Alarm",
		Qualifier: protocols.QualifierNew}
	restore := alarm
	restore.Qualifier = protocols.QualifierRestore
	f.run(t, f.signal(0, 0, alarm, queue.Handling{Mode: queue.HandlingAttach, Priority: 4})) // nothing open: logged
	f.run(t, f.signal(1, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 4}))
	f.run(t, f.signal(2, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 5}))
	f.run(t, f.signal(3, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 2, Runaway: true, RunawayDetail: "11 in 2m"}))
	f.run(t, f.signal(4, 0, restore, queue.Handling{Mode: queue.HandlingAttach, Priority: 4}))
	f.run(t, f.signal(5, 0, alarm, queue.Handling{Mode: queue.HandlingLog, Priority: 4}))

	got := f.incidents(t)
	if len(got) != 1 {
		t.Fatalf("incidents: %+v", got)
	}
	in := got[0]
	if in.signals != 4 || in.kind != queue.IncidentRunaway || in.priority != 2 || in.restored != 1 ||
		in.key != queue.IncidentKey(1, "1234", 0) || in.title != "Burglary Alarm — zone 012" ||
		!slices.Equal(in.roles, []string{"alarm", "alarm", "alarm", "restore"}) ||
		!slices.Equal(in.actions, []string{"opened", "priority_raised", "runaway"}) {
		t.Errorf("incident: %+v", in)
	}
	var detail string
	must(t, f.db.Read().QueryRowContext(context.Background(), `SELECT detail FROM incident_actions WHERE action = 'priority_raised'`).Scan(&detail))
	var fields map[string]any
	must(t, json.Unmarshal([]byte(detail), &fields))
	if fields["from"] != float64(4) || fields["to"] != float64(2) || fields["code"] != "BA" {
		t.Errorf("priority_raised detail: %s", detail)
	}
	touched := f.b.published(t, 4)
	if len(touched) != 4 {
		t.Fatalf("touched: %+v", touched)
	}
	for _, e := range touched {
		if e.IncidentID != int64(in.id) || e.Action != "signal" || !e.ReceivedAt.Equal(received) {
			t.Errorf("touched: %+v", e)
		}
	}
}

// TestRepeatsAndKeys: a repeat joins the open incident in its own role;
// an event without a description is titled by format and code; a
// resolved account's key is its id, an unknown one's receiver and number.
func TestRepeatsAndKeys(t *testing.T) { storetest.ForEachDialect(t, testRepeatsAndKeys) }

func testRepeatsAndKeys(t *testing.T, d core.Dialect) {
	f := newFixture(t, d, 2)
	e := protocols.Event{Format: protocols.FormatSIA, Code: "FA"}
	f.run(t, f.signal(0, 0, e, queue.Handling{Mode: queue.HandlingQueue, Priority: 1}))
	f.run(t, f.signal(1, 0, e, queue.Handling{Mode: queue.HandlingRepeat, Priority: 1}))
	got := f.incidents(t)
	if len(got) != 1 || got[0].title != "SIA FA" || !slices.Equal(got[0].roles, []string{"alarm", "repeat"}) {
		t.Fatalf("incidents: %+v", got)
	}
	if k := queue.IncidentKey(1, "1234", 42); k != "id:42" {
		t.Errorf("known key %q", k)
	}
	if k := queue.IncidentKey(3, "1234", 0); k != "unknown:3/1234" {
		t.Errorf("unknown key %q", k)
	}
}

// TestUnknownAccountsAndTrouble: an unknown account's incident opens once
// while open; a trouble incident opens, then the same trouble joins it;
// both in the writer's batches and in a transaction of one's own.
func TestUnknownAccountsAndTrouble(t *testing.T) {
	storetest.ForEachDialect(t, testUnknownAccountsAndTrouble)
}

func testUnknownAccountsAndTrouble(t *testing.T, d core.Dialect) {
	f := newFixture(t, d, 0)
	ctx := context.Background()
	for range 2 {
		f.run(t, func(ctx context.Context, t *queue.Tx) error {
			return t.OpenUnknownIncident(ctx, 2, "9999", received, 0, "dc09-main")
		})
	}
	tr := &queue.Trouble{Kind: "unencrypted", Receiver: 1, Account: "1234", Title: "Plain frames", FrameID: 7,
		ReceivedAt: received, Listener: "dc09-main", RemoteAddr: "127.0.0.1:5000"}
	f.run(t, func(ctx context.Context, t *queue.Tx) error { return t.RaiseTrouble(ctx, tr) })
	var touched []queue.Event
	must(t, f.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		q := queue.NewTx(tx)
		if err := q.RaiseTrouble(ctx, tr); err != nil {
			return err
		}
		touched = q.Touched
		return nil
	}, nil))

	got := f.incidents(t)
	if len(got) != 2 {
		t.Fatalf("incidents: %+v", got)
	}
	if u := got[0]; u.kind != queue.IncidentUnknownAccount || u.key != "unknown:2/9999" ||
		u.priority != protocols.CategoryAlarm.DefaultPriority() || u.title != "Unknown account 9999 on receiver 2" ||
		!slices.Equal(u.actions, []string{"opened"}) {
		t.Errorf("unknown account: %+v", u)
	}
	if tb := got[1]; tb.kind != "unencrypted" || tb.key != "unencrypted:1/1234" || tb.priority != queue.TroublePriority ||
		tb.title != "Plain frames" || !slices.Equal(tb.actions, []string{"opened", "again"}) {
		t.Errorf("trouble: %+v", tb)
	}
	if bt := f.b.published(t, 2); len(bt) != 2 || bt[0].Action != "opened" || bt[1].Action != "opened" {
		t.Errorf("batches touched: %+v", bt)
	}
	if len(touched) != 1 || touched[0].IncidentID != int64(got[1].id) || touched[0].Action != "signal" {
		t.Errorf("own transaction touched: %+v", touched)
	}
	// OpenIncident finds them by key; a key with none open is 0.
	must(t, f.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		q := queue.NewTx(tx)
		if id, p, err := q.OpenIncident(ctx, "unknown:2/9999"); err != nil || id != int64(got[0].id) || p != got[0].priority {
			return fmt.Errorf("open unknown: %d %d %v", id, p, err)
		}
		if id, _, err := q.OpenIncident(ctx, "unknown:2/0000"); err != nil || id != 0 {
			return fmt.Errorf("none open: %d %v", id, err)
		}
		return q.LogAction(ctx, int64(got[0].id), received.UnixNano(), 0, queue.SystemUser, "note", nil)
	}))
	if a := column(t, f.db.Read(), `SELECT user_name || ' ' || action FROM incident_actions WHERE incident_id = ? ORDER BY id`, got[0].id); !slices.Equal(a, []string{"system opened", "system note"}) {
		t.Errorf("actions: %q", a)
	}
}

// TestQueueingNeedsTheDialect: joining a signal to an open incident uses
// the engine's scalar minimum, so a Tx without the dialect refuses it
// rather than run SQL of the wrong engine.
func TestQueueingNeedsTheDialect(t *testing.T) {
	storetest.ForEachDialect(t, testQueueingNeedsTheDialect)
}

func testQueueingNeedsTheDialect(t *testing.T, d core.Dialect) {
	f := newFixture(t, d, 2)
	e := protocols.Event{Format: protocols.FormatSIA, Code: "BA"}
	f.run(t, f.signal(0, 0, e, queue.Handling{Mode: queue.HandlingQueue, Priority: 4}))
	err := f.db.Write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		q := queue.NewTx(tx)
		if err := q.QueueSignal(ctx, &queue.Signal{ID: f.signals[1], ReceivedAt: received, Receiver: 1,
			Account: "1234", Event: &e}, queue.Handling{Mode: queue.HandlingQueue, Priority: 2}); err != nil {
			return err
		}
		return q.Flush(ctx)
	})
	if err == nil || !strings.Contains(err.Error(), "dialect") {
		t.Fatalf("without a dialect: %v", err)
	}
	if got := f.incidents(t); len(got) != 1 || got[0].signals != 1 || got[0].priority != 4 {
		t.Fatalf("incidents: %+v", got)
	}
}

// TestSignalsOfOneTransactionJoinOnce: many signals of one account in one
// transaction (a batch) open one incident and update it once, with the
// same outcome as one at a time: every signal counted, the best priority,
// the runaway flag, and the last signal's restored state.
func TestSignalsOfOneTransactionJoinOnce(t *testing.T) {
	storetest.ForEachDialect(t, testSignalsOfOneTransactionJoinOnce)
}

func testSignalsOfOneTransactionJoinOnce(t *testing.T, d core.Dialect) {
	f := newFixture(t, d, 5)
	alarm := protocols.Event{Format: protocols.FormatSIA, Code: "BA", Zone: "001", Description: "Burglary Alarm"}
	restore := protocols.Event{Format: protocols.FormatSIA, Code: "BR", Zone: "001", Qualifier: protocols.QualifierRestore}
	steps := []step{
		f.signal(0, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 4}),
		f.signal(1, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 2}),
		f.signal(2, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 5, Runaway: true, RunawayDetail: "3 in 1m"}),
		f.signal(3, 0, restore, queue.Handling{Mode: queue.HandlingAttach}),
	}
	f.run(t, func(ctx context.Context, q *queue.Tx) error {
		for _, s := range steps {
			if err := s(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	got := f.incidents(t)
	if len(got) != 1 {
		t.Fatalf("incidents %+v, want one", got)
	}
	if g := got[0]; g.signals != 4 || g.priority != 2 || g.kind != queue.IncidentRunaway || g.restored != 1 {
		t.Fatalf("incident %+v: want 4 signals, priority 2, runaway, restored", g)
	}
	// A later alarm in a transaction of its own clears the restore.
	f.run(t, f.signal(4, 0, alarm, queue.Handling{Mode: queue.HandlingQueue, Priority: 3}))
	if g := f.incidents(t)[0]; g.signals != 5 || g.priority != 2 || g.restored != 0 {
		t.Fatalf("after a new alarm: %+v", g)
	}
}
