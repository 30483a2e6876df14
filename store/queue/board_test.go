package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/queue"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// boardFixture is the queue on an engine over a real SQLite file with the
// store's schema, two operators, one incident of two signals opened
// through the writer's batches and a third signal in no incident; its
// hooks are recorded.
type boardFixture struct {
	*fixture
	board           *queue.Board
	now             time.Time
	ops             [2]core.Actor
	incident        int64
	storetest.Calls // the hooks the part called, in order
}

func newBoardFixture(t *testing.T, d core.Dialect) *boardFixture {
	t.Helper()
	ctx := context.Background()
	place := storetest.NewPlace(t, d)
	st, err := store.Open(ctx, place.Path, store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), PasswordCost: 4,
		Driver: place.Driver, DSN: place.DSN})
	if err != nil {
		t.Fatal(err)
	}
	f := &boardFixture{now: received.Add(time.Minute)}
	for i, name := range []string{"ann", "bob"} {
		u := &store.User{Username: name, FullName: name, Role: "operator"}
		must(t, st.CreateUser(ctx, u, "correct horse battery", store.Actor{Name: "setup"}))
		f.ops[i] = core.Actor{ID: u.ID, Name: name}
	}
	must(t, st.Close())
	f.fixture = reopen(t, d, place, 3) // the third stays out of the incident
	fire := protocols.Event{Format: protocols.FormatSIA, Code: "FA", Category: protocols.CategoryFire, Qualifier: protocols.QualifierNew}
	f.run(t, f.signal(0, 0, fire, queue.Handling{Mode: queue.HandlingQueue, Priority: 1}))
	f.run(t, f.signal(1, 0, fire, queue.Handling{Mode: queue.HandlingQueue, Priority: 1}))
	f.board = queue.New(f.db, queue.Options{
		Now: func() time.Time { return f.now },
		StepTaken: func(ctx context.Context, tx *sql.Tx, incident int64, action string, at time.Time) error {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM incidents WHERE id = ?`, incident).Scan(&status); err != nil {
				return err
			}
			f.Hook("step " + action + " " + status)
			return nil
		},
		Publish: func(e queue.Event) { f.Hook("publish " + e.Action) },
		Stepped: func(o *queue.StepOutcome) {
			switch {
			case o.FirstClaim:
				f.Hook("first claim after " + o.TimeToClaim.String())
			case o.Resolved:
				f.Hook("resolved after " + o.TimeToResolve.String())
			}
		},
		SiteChanged: func(_ int64, kind string) { f.Hook("site " + kind) },
	})
	q, held, err := f.board.Queue(ctx, f.now)
	must(t, err)
	if len(q) != 1 || len(held) != 0 {
		t.Fatalf("queue %+v, held %+v", q, held)
	}
	f.incident = q[0].ID
	return f
}

// reopen opens the database at path through the store (creating it if
// needed), stores n signals that no incident holds, and returns an engine
// on it with the batcher started.
func reopen(t *testing.T, d core.Dialect, place storetest.Place, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, place.Path, store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Driver: place.Driver, DSN: place.DSN})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Sequence: string(rune('0' + i)),
			Events: []protocols.Event{{Format: protocols.FormatSIA, Account: "1234", Code: "FA", Category: protocols.CategoryFire}}}
		if _, err := st.Commit(ctx, msg, store.Receipt{ReceivedAt: received, Receiver: 1, Protocol: "dc09",
			Status: store.StatusAccepted, Raw: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	sigs, err := st.Signals(ctx, store.SignalFilter{Limit: n})
	must(t, err)
	must(t, st.Close())
	f := &fixture{b: &batcher{released: make(chan struct{}, 1)}}
	f.b.q.SetDialect(d)
	for _, s := range sigs {
		f.signals = append(f.signals, s.ID)
	}
	slices.Sort(f.signals)
	f.db = storetest.StartEngine(t, place, d, store.MigrationsFor(d), f.b)
	return f
}

// TestStepsClaimHoldSweepAndResolve: the first claim holds the incident
// against another operator until taken over; a fire incident keeps
// priority 1 through a hold, which returns it to the queue when swept;
// a claim lapses after the timeout, but not during a hold (it counts from
// the hold's end) nor while a dispatch is in progress; a resolve needs a
// listed code and closes the incident.
// Every step is logged, queued for the outputs in its transaction, and
// published once committed.
func TestStepsClaimHoldSweepAndResolve(t *testing.T) {
	storetest.ForEachDialect(t, testStepsClaimHoldSweepAndResolve)
}

func testStepsClaimHoldSweepAndResolve(t *testing.T, d core.Dialect) {
	f := newBoardFixture(t, d)
	ctx := context.Background()
	rules := queue.QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	ann, bob := f.ops[0], f.ops[1]

	if _, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "dance"}, rules); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("unknown action: %v", err)
	}
	out, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "claim"}, rules)
	must(t, err)
	if !out.FirstClaim || out.Incident.ClaimedByName != "ann" || out.TimeToClaim != time.Minute {
		t.Fatalf("claim: %+v", out)
	}
	var held *queue.ClaimHeldError
	if _, err := f.board.Act(ctx, f.incident, bob, queue.Step{Action: "note", Note: "me too"}, rules); !errors.As(err, &held) ||
		held.By != "ann" || !errors.Is(err, core.ErrConflict) {
		t.Fatalf("claimed by another: %v", err)
	}
	out, err = f.board.Act(ctx, f.incident, bob, queue.Step{Action: "take_over"}, rules)
	must(t, err)
	if out.FirstClaim || out.Incident.ClaimedByName != "bob" {
		t.Fatalf("take over: %+v", out)
	}
	var fe *core.FieldError
	if _, err := f.board.Act(ctx, f.incident, bob, queue.Step{Action: "hold", HoldFor: core.Duration(10 * time.Minute),
		NewPriority: 5}, rules); !errors.As(err, &fe) || fe.Field != "new_priority" {
		t.Fatalf("fire lowered: %v", err)
	}
	out, err = f.board.Act(ctx, f.incident, bob, queue.Step{Action: "hold", HoldFor: core.Duration(10 * time.Minute)}, rules)
	must(t, err)
	if out.Incident.HeldUntil == nil || out.Incident.ClaimedByName != "bob" || out.Incident.Priority != 1 {
		t.Fatalf("hold: %+v", out.Incident)
	}
	if q, held, err := f.board.Queue(ctx, f.now); err != nil || len(q) != 0 || len(held) != 1 {
		t.Fatalf("while held: %v %v %v", q, held, err)
	}
	// The hold keeps bob's claim past the claim timeout.
	f.now = f.now.Add(9 * time.Minute)
	if _, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "note", Note: "mine now?"}, rules); !errors.As(err, &held) || held.By != "bob" {
		t.Fatalf("a held incident's claim lapsed: %v", err)
	}
	if lapsed, unheld, err := f.board.SweepQueue(ctx, f.now, rules.ClaimTimeout); err != nil || lapsed != 0 || unheld != 0 {
		t.Fatalf("sweep while held: %d %d %v", lapsed, unheld, err)
	}

	// The hold ends (at +10 min); bob has the timeout from then.
	f.now = f.now.Add(2 * time.Minute)
	lapsed, unheld, err := f.board.SweepQueue(ctx, f.now, rules.ClaimTimeout)
	if err != nil || lapsed != 0 || unheld != 1 {
		t.Fatalf("sweep: %d %d %v", lapsed, unheld, err)
	}
	if lapsed, _, err := f.board.SweepQueue(ctx, f.now.Add(rules.ClaimTimeout-2*time.Minute), rules.ClaimTimeout); err != nil || lapsed != 0 {
		t.Fatalf("claim lapsed before the timeout from the hold's end: %d %v", lapsed, err)
	}
	_, err = f.board.Act(ctx, f.incident, bob, queue.Step{Action: "dispatched", Contact: "police: Springfield PD"}, rules)
	must(t, err)
	// A dispatch in progress keeps the claim however long it takes.
	if lapsed, _, err := f.board.SweepQueue(ctx, f.now.Add(time.Hour), rules.ClaimTimeout); err != nil || lapsed != 0 {
		t.Fatalf("claim lapsed during a dispatch: %d %v", lapsed, err)
	}
	f.now = f.now.Add(time.Hour)
	if _, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "note", Note: "mine now?"}, rules); !errors.As(err, &held) || held.By != "bob" {
		t.Fatalf("a dispatching incident's claim lapsed: %v", err)
	}
	_, err = f.board.Act(ctx, f.incident, bob, queue.Step{Action: "dispatch_cancelled", Contact: "police: Springfield PD"}, rules)
	must(t, err)
	lapsed, unheld, err = f.board.SweepQueue(ctx, f.now.Add(rules.ClaimTimeout), rules.ClaimTimeout)
	if err != nil || lapsed != 1 || unheld != 0 {
		t.Fatalf("sweep after the timeout: %d %d %v", lapsed, unheld, err)
	}
	f.now = f.now.Add(rules.ClaimTimeout)

	if _, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "resolve", Code: "nonsense"}, rules); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("bad code: %v", err)
	}
	out, err = f.board.Act(ctx, f.incident, ann, queue.Step{Action: "resolve", Code: "false_alarm"}, rules)
	must(t, err)
	if !out.Resolved || out.Incident.Status != queue.IncidentResolved || out.TimeToResolve != 77*time.Minute {
		t.Fatalf("resolve: %+v", out)
	}
	if _, err := f.board.Act(ctx, f.incident, ann, queue.Step{Action: "note", Note: "late"}, rules); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("step on a resolved incident: %v", err)
	}

	log, err := f.board.IncidentActions(ctx, f.incident)
	must(t, err)
	var names []string
	for _, a := range log {
		names = append(names, a.Action)
	}
	want := "opened claimed taken_over held hold_expired dispatched dispatch_cancelled claim_lapsed claimed resolved"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("action log: %s", got)
	}
	// The claim a step takes implicitly is logged, not queued for the
	// outputs: they hear of the step itself.
	wantCalls := []string{
		"step claimed open", "first claim after 1m0s", "publish claim",
		"step taken_over open", "publish take_over",
		"step held open", "publish hold",
		"publish sweep",
		"step dispatched open", "publish dispatched",
		"step dispatch_cancelled open", "publish dispatch_cancelled",
		"publish sweep",
		"step resolved resolved", "resolved after 1h17m0s", "publish resolve",
	}
	if c := f.Called(); !slices.Equal(c, wantCalls) {
		t.Errorf("hooks:\n%q\nwant\n%q", c, wantCalls)
	}
}

// TestReads: the history lists filter and page, an incident not there is
// ErrNotFound, and an incident's signals come with their roles.
func TestReads(t *testing.T) { storetest.ForEachDialect(t, testReads) }

func testReads(t *testing.T, d core.Dialect) {
	f := newBoardFixture(t, d)
	ctx := context.Background()
	if list, err := f.board.Incidents(ctx, queue.IncidentFilter{Status: queue.IncidentOpen}); err != nil || len(list) != 1 {
		t.Fatalf("open: %+v %v", list, err)
	}
	if list, err := f.board.Incidents(ctx, queue.IncidentFilter{Status: queue.IncidentResolved}); err != nil || len(list) != 0 {
		t.Fatalf("resolved: %+v %v", list, err)
	}
	if list, err := f.board.Incidents(ctx, queue.IncidentFilter{AfterID: f.incident}); err != nil || len(list) != 0 {
		t.Fatalf("after: %+v %v", list, err)
	}
	if list, err := f.board.Incidents(ctx, queue.IncidentFilter{Since: received.Add(time.Second)}); err != nil || len(list) != 0 {
		t.Fatalf("since: %+v %v", list, err)
	}
	if _, err := f.board.Incident(ctx, f.incident+1); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
	in, err := f.board.Incident(ctx, f.incident)
	must(t, err)
	if in.SignalCount != 2 || in.Priority != 1 || !in.OpenedAt.Equal(received) || in.Kind != queue.IncidentAlarm {
		t.Errorf("incident: %+v", in)
	}
	ids, roles, err := f.board.IncidentSignalIDs(ctx, f.incident)
	if err != nil || !slices.Equal(ids, f.signals[:2]) || roles[ids[0]] != "alarm" || roles[ids[1]] != "alarm" {
		t.Errorf("signals %v %v %v", ids, roles, err)
	}
	if list, err := f.board.SiteIncidents(ctx, 1, received.Add(-time.Hour), received.Add(time.Hour)); err != nil || len(list) != 0 {
		t.Errorf("site incidents of an incident with no site: %+v %v", list, err)
	}
}

// TestSignalNotes: a station user's note on a signal in no incident is
// stored trimmed, with who and when, and audited; a blank, long or
// anonymous note, a missing signal and a signal of an incident are
// refused; the notes read back by signal.
func TestSignalNotes(t *testing.T) { storetest.ForEachDialect(t, testSignalNotes) }

func testSignalNotes(t *testing.T, d core.Dialect) {
	f := newBoardFixture(t, d)
	ctx := context.Background()
	ann := f.ops[0]
	free, inIncident := f.signals[2], f.signals[0]
	n, err := f.board.AddSignalNote(ctx, free, ann, "  late closing, manager called  ")
	must(t, err)
	if n.ID == 0 || n.SignalID != free || n.Note != "late closing, manager called" || n.UserName != "ann" ||
		n.UserID == nil || *n.UserID != ann.ID || !n.At.Equal(f.now) {
		t.Fatalf("note: %+v", n)
	}
	var fe *core.FieldError
	for _, c := range []struct {
		actor core.Actor
		note  string
		field string
	}{{ann, "  ", "note"}, {ann, strings.Repeat("x", queue.MaxNoteLength+1), "note"}, {core.Actor{Name: "api"}, "x", "user"}} {
		if _, err := f.board.AddSignalNote(ctx, free, c.actor, c.note); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%q by %+v: %v", c.note, c.actor, err)
		}
	}
	if _, err := f.board.AddSignalNote(ctx, 999999, ann, "x"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("missing signal: %v", err)
	}
	var ce *core.ConflictError
	if _, err := f.board.AddSignalNote(ctx, inIncident, ann, "x"); !errors.As(err, &ce) || !strings.Contains(ce.Msg, "incident") {
		t.Errorf("signal of an incident: %v", err)
	}

	notes, err := f.board.SignalNotes(ctx, free)
	if err != nil || len(notes) != 1 || notes[0].ID != n.ID || notes[0].Note != n.Note || notes[0].UserName != "ann" ||
		!notes[0].At.Equal(n.At) {
		t.Fatalf("notes: %+v, %v", notes, err)
	}
	if none, err := f.board.SignalNotes(ctx, inIncident); err != nil || none == nil || len(none) != 0 {
		t.Errorf("no notes: %#v, %v", none, err)
	}
	by, err := f.board.NotesOf(ctx, []int64{inIncident, free})
	if err != nil || len(by) != 1 || len(by[free]) != 1 {
		t.Errorf("notes of: %+v, %v", by, err)
	}
	var audited int
	must(t, f.db.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'signal.note' AND user_name = 'ann'`).Scan(&audited))
	if audited != 1 {
		t.Errorf("audited %d notes", audited)
	}
	// The signal has no site: no live view hears of it.
	if slices.Contains(f.Called(), "site note") {
		t.Errorf("hooks: %q", f.Called())
	}
}
