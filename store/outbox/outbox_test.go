package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/outbox"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// queued is a signal to queue for the outputs in a batch of the writer,
// as the commit path does.
type queued struct {
	signalID int64
	received int64
	event    protocols.Event
	test     bool
}

// signalBatcher queues each item's outbox rows in the writer's batch, on
// the batch's *engine.Tx.
type signalBatcher struct{ targets []outbox.Target }

func (signalBatcher) Statements() []string { return nil }
func (b signalBatcher) WriteBatch(ctx context.Context, tx *engine.Tx, items []any, ids []int64) error {
	var rows outbox.Batch
	for i, it := range items {
		q := it.(*queued)
		rows.QueueSignal(b.targets, nil, q.signalID, q.received, &q.event, q.test)
		ids[i] = q.signalID
	}
	return rows.Write(ctx, tx, false)
}
func (signalBatcher) Committed([]any) {}
func (signalBatcher) Released([]any)  {}

// fixture is the outbox on an engine over a real SQLite file with the
// store's schema, three stored signals and one incident, its hooks
// recorded.
type fixture struct {
	db              storetest.Engine
	box             *outbox.Outbox
	targets         []outbox.Target
	signals         []int64
	events          []protocols.Event
	incident        int64
	storetest.Calls       // the hooks the part called, in order
	fail            error // Undeliverable's error while set
}

var (
	now      = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	received = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
)

func newFixture(t *testing.T, d core.Dialect) *fixture {
	t.Helper()
	ctx := context.Background()
	place := storetest.NewPlace(t, d)
	// The signals and the incident come from the store's own commit path,
	// with no outputs configured: the outbox starts empty.
	st, err := store.Open(ctx, place.Path, store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Driver: place.Driver, DSN: place.DSN})
	if err != nil {
		t.Fatal(err)
	}
	events := []protocols.Event{
		{Format: protocols.FormatSIA, Account: "1234", Code: "BA", Qualifier: protocols.QualifierNew, Partition: "1",
			Zone: "012", Address: "012", AddressKind: protocols.AddressZone, Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary, Modifiers: []protocols.Modifier{{Name: "ri", Value: "1"}}},
		{Format: protocols.FormatSIA, Account: "1234", Code: "FA", Qualifier: protocols.QualifierNew, Zone: "003",
			Address: "003", AddressKind: protocols.AddressZone, Known: true, Description: "Fire Alarm", Category: protocols.CategoryFire},
		{Format: protocols.FormatSIA, Account: "1234", Code: "FR", Qualifier: protocols.QualifierRestore, Zone: "003",
			Address: "003", AddressKind: protocols.AddressZone, Known: true, Description: "Fire Restoral", Category: protocols.CategoryFire},
	}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Line: "0", Sequence: "0001", Events: events}
	_, err = st.Commit(ctx, msg, store.Receipt{ReceivedAt: received, Receiver: 1, Line: 2, Listener: "dc09-main",
		Transport: "tcp", RemoteAddr: "127.0.0.1:5000", Protocol: "dc09", Status: store.StatusAccepted, Raw: []byte("frame"),
		Trouble: &store.Trouble{Kind: "unencrypted", Account: "1234", Title: "plain frame"}})
	must(t, err)
	sigs, err := st.Signals(ctx, store.SignalFilter{Account: "1234"})
	must(t, err)
	incs, err := st.Incidents(ctx, store.IncidentFilter{})
	must(t, err)
	if len(sigs) != 3 || len(incs) == 0 {
		t.Fatalf("fixture: %d signals, %d incidents", len(sigs), len(incs))
	}
	must(t, st.Close())

	f := &fixture{events: events, incident: incs[0].ID, targets: []outbox.Target{
		{Name: "all"},
		{Name: "fire", Categories: []string{"fire"}, IncludeTests: true, IncidentUpdates: true},
	}}
	for _, sg := range sigs {
		f.signals = append(f.signals, sg.ID)
	}
	slices.Sort(f.signals)
	f.db = storetest.StartEngine(t, place, d, store.MigrationsFor(d), signalBatcher{targets: f.targets})
	f.box = outbox.New(f.db, outbox.Options{
		Now:     func() time.Time { return now },
		Targets: func() []outbox.Target { return f.targets },
		Incident: func(_ context.Context, id int64) (*core.Incident, error) {
			return &core.Incident{ID: id, Kind: "test"}, nil
		},
		Counted: func(_ context.Context, target string) (int, time.Time, error) {
			f.Hook("counted " + target)
			return 42, now, nil
		},
		Undeliverable: func(ctx context.Context, tx *sql.Tx, u outbox.Undelivered) (func(), error) {
			// Inside the outbox's transaction: the row is settled already.
			var at sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT undeliverable_at FROM outbox WHERE id = ?`, u.OutboxID).Scan(&at); err != nil {
				return nil, err
			}
			if !at.Valid || at.Int64 != u.At.UnixNano() {
				return nil, errors.New("hook ran before the row was settled")
			}
			if f.fail != nil {
				return func() { f.Hook("after a failed transaction") }, f.fail
			}
			f.Hook("undeliverable " + u.Output + " " + u.Reason)
			return func() { f.Hook("after " + u.Reason) }, nil
		},
	})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// queue stores the outbox rows of the fixture's signals through the
// writer's batches, the third one as received on test, then those of a
// step on the incident in a transaction of its own.
func (f *fixture) queue(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for i, id := range f.signals {
		if _, err := f.db.Submit(ctx, &queued{signalID: id, received: received.UnixNano(), event: f.events[i], test: i == 2}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, f.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return outbox.QueueIncidentUpdate(ctx, tx, f.targets, f.incident, "claimed", now)
	}))
}

// TestSignalsAreQueuedForTheOutputsThatWantThem: a signal gets a row for
// each output whose categories and on-test rule take it, in the writer's
// batch; an incident step for the outputs that want updates, in the
// step's own transaction; the rows read back with the signal as stored.
func TestSignalsAreQueuedForTheOutputsThatWantThem(t *testing.T) {
	storetest.ForEachDialect(t, testSignalsAreQueuedForTheOutputsThatWantThem)
}

func testSignalsAreQueuedForTheOutputsThatWantThem(t *testing.T, d core.Dialect) {
	f := newFixture(t, d)
	ctx := context.Background()
	f.queue(t)

	all, err := f.box.PendingOutbox(ctx, "all", 10)
	must(t, err)
	// The third signal was on test, which "all" does not take.
	if len(all) != 2 || all[0].SignalID != f.signals[0] || all[1].SignalID != f.signals[1] {
		t.Fatalf("all: %+v", all)
	}
	b := all[0]
	if b.Kind != "signal" || !b.ReceivedAt.Equal(received) || !b.CreatedAt.Equal(received) || b.Receiver != 1 || b.Line != 2 ||
		b.Listener != "dc09-main" || b.Account != "1234" || b.Resolution != store.ResolutionUnknown || b.SiteID != nil ||
		b.Incident != nil || b.Attempts != 0 {
		t.Errorf("burglary item: %+v", b)
	}
	e := b.Event
	if e.Format != protocols.FormatSIA || e.Code != "BA" || e.Qualifier != protocols.QualifierNew || e.Partition != "1" ||
		e.Zone != "012" || e.AddressKind != protocols.AddressZone || !e.Known || e.Category != protocols.CategoryBurglary ||
		e.Account != "1234" || len(e.Modifiers) != 1 || e.Modifiers[0].Value != "1" || !e.PanelTime.IsZero() {
		t.Errorf("burglary event: %+v", e)
	}

	fire, err := f.box.PendingOutbox(ctx, "fire", 10)
	must(t, err)
	if len(fire) != 3 || fire[0].SignalID != f.signals[1] || fire[1].SignalID != f.signals[2] ||
		fire[1].Event.Qualifier != protocols.QualifierRestore {
		t.Fatalf("fire: %+v", fire)
	}
	up := fire[2]
	if up.Kind != "incident" || up.IncidentID != f.incident || up.Action != "claimed" || up.SignalID != 0 ||
		up.Incident == nil || up.Incident.ID != f.incident || !up.CreatedAt.Equal(now) {
		t.Errorf("incident update: %+v", up)
	}
	if limited, err := f.box.PendingOutbox(ctx, "fire", 1); err != nil || len(limited) != 1 || limited[0].ID != fire[0].ID {
		t.Errorf("limit 1: %+v, %v", limited, err)
	}
}

// TestDeliveryAttemptsAndLag: an attempt is counted with its error, a
// delivered row leaves the pending set, and a configured output's lag is
// the counted one while QueryLag counts it now.
func TestDeliveryAttemptsAndLag(t *testing.T) {
	storetest.ForEachDialect(t, testDeliveryAttemptsAndLag)
}

func testDeliveryAttemptsAndLag(t *testing.T, d core.Dialect) {
	f := newFixture(t, d)
	ctx := context.Background()
	f.queue(t)
	all, err := f.box.PendingOutbox(ctx, "all", 10)
	must(t, err)
	must(t, f.box.MarkAttempt(ctx, all[0].ID, "connection refused"))
	must(t, f.box.MarkAttempt(ctx, all[0].ID, "connection refused"))
	if again, err := f.box.PendingOutbox(ctx, "all", 10); err != nil || again[0].Attempts != 2 {
		t.Fatalf("attempts: %+v, %v", again, err)
	}
	must(t, f.box.MarkDelivered(ctx, nil))
	must(t, f.box.MarkDelivered(ctx, []int64{all[0].ID}))
	if rest, err := f.box.PendingOutbox(ctx, "all", 10); err != nil || len(rest) != 1 || rest[0].ID != all[1].ID {
		t.Fatalf("after delivery: %+v, %v", rest, err)
	}
	var delivered int64
	must(t, f.db.Read().QueryRowContext(ctx, `SELECT delivered_at FROM outbox WHERE id = ?`, all[0].ID).Scan(&delivered))
	if delivered != now.UnixNano() {
		t.Errorf("delivered_at %d, want the clock's %d", delivered, now.UnixNano())
	}

	if n, oldest, err := f.box.OutboxLag(ctx, "all"); err != nil || n != 42 || !oldest.Equal(now) {
		t.Errorf("counted lag: %d %v %v", n, oldest, err)
	}
	if c := f.Called(); len(c) != 1 || c[0] != "counted all" {
		t.Errorf("hooks: %q", c)
	}
	if n, oldest, err := f.box.QueryLag(ctx, "all"); err != nil || n != 1 || !oldest.Equal(received) {
		t.Errorf("queried lag: %d %v %v", n, oldest, err)
	}
	// An output not configured is counted in SQL: nothing waits for it.
	if n, oldest, err := f.box.OutboxLag(ctx, "nosuch"); err != nil || n != 0 || !oldest.IsZero() {
		t.Errorf("unknown output's lag: %d %v %v", n, oldest, err)
	}
}

// TestUndeliverableRows: a settled row leaves the pending set, is listed
// with its reason and time, and the hook runs in its transaction with
// its after once committed; a row already settled or delivered is left
// as it is, and a hook's error rolls the settling back.
func TestUndeliverableRows(t *testing.T) { storetest.ForEachDialect(t, testUndeliverableRows) }

func testUndeliverableRows(t *testing.T, d core.Dialect) {
	f := newFixture(t, d)
	ctx := context.Background()
	f.queue(t)
	fire, err := f.box.PendingOutbox(ctx, "fire", 10)
	must(t, err)
	at := now.Add(time.Minute)

	f.fail = errors.New("incident refused")
	if err := f.box.MarkUndeliverable(ctx, fire[0].ID, "fire", "no record", at); !errors.Is(err, f.fail) {
		t.Fatalf("failing hook: %v", err)
	}
	f.fail = nil
	if still, err := f.box.PendingOutbox(ctx, "fire", 10); err != nil || len(still) != 3 {
		t.Fatalf("rolled back: %+v, %v", still, err)
	}
	must(t, f.box.MarkUndeliverable(ctx, fire[0].ID, "fire", "no record", at))
	must(t, f.box.MarkUndeliverable(ctx, fire[0].ID, "fire", "again", at.Add(time.Minute)))
	must(t, f.box.MarkUndeliverable(ctx, fire[1].ID, "all", "wrong output", at))
	must(t, f.box.MarkDelivered(ctx, []int64{fire[1].ID}))
	must(t, f.box.MarkUndeliverable(ctx, fire[1].ID, "fire", "delivered already", at))
	must(t, f.box.MarkUndeliverable(ctx, fire[2].ID, "fire", "no incident record", at))
	want := []string{"undeliverable fire no record", "after no record",
		"undeliverable fire no incident record", "after no incident record"}
	if c := f.Called(); len(c) != len(want) || c[0] != want[0] || c[1] != want[1] || c[2] != want[2] || c[3] != want[3] {
		t.Errorf("hooks: %q, want %q", c, want)
	}
	if pending, err := f.box.PendingOutbox(ctx, "fire", 10); err != nil || len(pending) != 0 {
		t.Fatalf("pending: %+v, %v", pending, err)
	}

	list, err := f.box.UndeliverableOutbox(ctx, "fire", 0, 0)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("undeliverable: %+v", list)
	}
	if u := list[0]; u.ID != fire[0].ID || u.Kind != "signal" || u.SignalID != f.signals[1] || u.Receiver != 1 ||
		u.Account != "1234" || u.Format != string(protocols.FormatSIA) || u.Code != "FA" || !u.ReceivedAt.Equal(received) ||
		u.Reason != "no record" || !u.At.Equal(at) {
		t.Errorf("signal row: %+v", u)
	}
	if u := list[1]; u.ID != fire[2].ID || u.Kind != "incident" || u.IncidentID != f.incident || u.SignalID != 0 ||
		u.Reason != "no incident record" {
		t.Errorf("incident row: %+v", u)
	}
	if page, err := f.box.UndeliverableOutbox(ctx, "fire", list[0].ID, 10); err != nil || len(page) != 1 || page[0].ID != list[1].ID {
		t.Errorf("page: %+v, %v", page, err)
	}
	if page, err := f.box.UndeliverableOutbox(ctx, "fire", 0, 1); err != nil || len(page) != 1 || page[0].ID != list[0].ID {
		t.Errorf("limit 1: %+v, %v", page, err)
	}
	if none, err := f.box.UndeliverableOutbox(ctx, "all", 0, 0); err != nil || none == nil || len(none) != 0 {
		t.Errorf("all: %#v, %v", none, err)
	}
	if _, err := f.box.UndeliverableOutbox(ctx, "nosuch", 0, 0); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown output: %v", err)
	}
}
