package schedules

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// clock is the test's time, shared by the store and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// raiser records what the service raises: "CI #1234 @2026-03-27T16:30:00Z alarm";
// fail, while set, refuses it.
type raiser struct {
	mu      sync.Mutex
	raised  []string
	fail    error
	failFor string // only this account's raises fail
}

func (r *raiser) Raise(s receiver.Synthetic) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := s.Message.Events[0]
	if r.fail != nil && (r.failFor == "" || r.failFor == ev.Account) {
		return r.fail
	}
	h := "alarm"
	if s.LogOnly {
		h = "log"
	}
	line := ev.Code + " #" + ev.Account
	if ev.Partition != "" {
		line += " area " + ev.Partition
	}
	r.raised = append(r.raised, line+" @"+s.At.UTC().Format(time.RFC3339)+" "+h)
	return nil
}

// take returns what was raised since the last take.
func (r *raiser) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := strings.Join(r.raised, ", ")
	r.raised = nil
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

type fixture struct {
	t     *testing.T
	dir   string
	clock *clock
	s     *store.Store
	acct  *store.Account
	seq   int
}

// newFixture opens a real store with an account 1234 of a site in
// Berlin, scheduled Monday to Friday 08:00–17:00 (15 minutes' grace to
// open, 30 to close), effective from start.
func newFixture(t *testing.T, start time.Time) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), clock: &clock{t: start}}
	f.open()
	ctx := context.Background()
	must(t, f.s.SyncReceivers(ctx, []store.Receiver{{Number: 1, Name: "IP"}}))
	c := &store.Customer{Name: "Shop"}
	must(t, f.s.Customers.Create(ctx, c))
	site := &store.Site{CustomerID: c.ID, Name: "Shop 1", TimeZone: "Europe/Berlin"}
	must(t, f.s.Sites.Create(ctx, site))
	f.acct = &store.Account{Receiver: 1, Number: "1234", SiteID: site.ID}
	must(t, f.s.Accounts.Create(ctx, f.acct))
	f.setSchedule(nil)
	return f
}

func (f *fixture) open() {
	s, err := store.Open(context.Background(), filepath.Join(f.dir, store.FileName), store.Options{
		Logger: zaptest.NewLogger(f.t), Registerer: prometheus.NewRegistry(), Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.s = s
	f.t.Cleanup(func() { _ = s.Close() })
}

func (f *fixture) setSchedule(days []store.ScheduleDay) {
	var ws []store.ScheduleWindow
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		ws = append(ws, store.ScheduleWindow{Day: d, Opens: "08:00", Closes: "17:00"})
	}
	sch := store.Schedule{AccountID: f.acct.ID, OpenGraceMinutes: 15, CloseGraceMinutes: 30, Windows: ws, Days: days}
	must(f.t, f.s.SetSchedule(context.Background(), &sch, store.Actor{Name: "admin", Role: store.RoleAdmin}))
}

// signal stores an opening (OP) or closing (CL) of the account at the
// clock's time, as the pipeline would.
func (f *fixture) signal(code string) {
	f.t.Helper()
	f.seq++
	ev := protocols.Event{Format: protocols.FormatSIA, Account: "1234", Code: code, Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryOpenClose, Known: true, Description: code}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Sequence: fmt.Sprintf("%04d", f.seq),
		Events: []protocols.Event{ev}}
	now := f.clock.Now()
	rec := store.Receipt{ReceivedAt: now, Receiver: 1, Line: 1, Listener: "t", Transport: "tcp", Protocol: "dc09",
		Status: store.StatusAccepted, Raw: []byte(code), DedupeKey: fmt.Sprintf("k%d", f.seq)}
	rec.Resolutions = []store.Resolution{f.s.Resolve(1, "1234", &ev, now)}
	rec.Handling = []store.Handling{{Mode: store.HandlingLog, Priority: 9}}
	if _, err := f.s.Commit(context.Background(), msg, rec); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) service(logOnly LogOnly) (*Service, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return New(Options{Store: f.s, Logger: zaptest.NewLogger(f.t), Registerer: reg, Now: f.clock.Now, LogOnly: logOnly}), reg
}

// tick runs one tick at t.
func (f *fixture) tick(svc *Service, r *raiser, t string) {
	f.t.Helper()
	f.clock.Set(utc(t))
	if err := svc.Tick(context.Background(), r, utc(t)); err != nil {
		f.t.Fatalf("tick at %s: %v", t, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, when, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: raised %q, want %q", when, got, want)
	}
}

// TestLateToCloseAndOpenAcrossDSTAndARestart: Friday 27 March 2026 in
// Berlin (CET, UTC+1), then the spring-forward weekend, then Monday (CEST,
// UTC+2). Late to close is raised once, at its minute (the settle time
// after 17:30 local), and not again after a restart; late to open falls at
// 08:15 CEST on Monday; a holiday has none; a schedule change raises
// nothing for a deadline before it.
func TestLateToCloseAndOpenAcrossDSTAndARestart(t *testing.T) {
	f := newFixture(t, utc("2026-03-27T05:00:00Z"))
	svc, reg := f.service(LogOnly{EarlyOpen: true})
	r := &raiser{}
	f.tick(svc, r, "2026-03-27T05:00:00Z")
	f.clock.Set(utc("2026-03-27T06:50:00Z")) // 07:50 CET: in the opening grace
	f.signal("OP")
	f.tick(svc, r, "2026-03-27T06:50:01Z")
	f.tick(svc, r, "2026-03-27T07:20:00Z") // past 08:15 CET: open, so not late to open
	expect(t, "Friday morning", r.take(), "")
	f.tick(svc, r, "2026-03-27T16:30:09Z") // 17:30:09 CET: the deadline, not settled yet
	expect(t, "before the settle time", r.take(), "")
	f.tick(svc, r, "2026-03-27T16:30:10Z")
	expect(t, "17:30 CET", r.take(), "CI #1234 @2026-03-27T16:30:00Z alarm")
	f.tick(svc, r, "2026-03-27T16:31:00Z")
	expect(t, "a minute later", r.take(), "")

	// A restart: the service starts from what the store says.
	must(t, f.s.Close())
	f.open()
	svc, reg = f.service(LogOnly{EarlyOpen: true})
	f.tick(svc, r, "2026-03-27T17:00:00Z")
	expect(t, "after the restart", r.take(), "")

	// Saturday: a closing on a closed day is where the site should be.
	f.clock.Set(utc("2026-03-28T09:00:00Z"))
	f.signal("CL")
	f.tick(svc, r, "2026-03-28T09:00:01Z")
	// Monday, after the clocks went forward: late to open at 08:15 CEST.
	f.tick(svc, r, "2026-03-30T06:15:09Z")
	expect(t, "the weekend", r.take(), "")
	f.tick(svc, r, "2026-03-30T06:15:10Z")
	expect(t, "08:15 CEST", r.take(), "CT #1234 @2026-03-30T06:15:00Z alarm")
	// Late, but inside the window: logged only.
	f.clock.Set(utc("2026-03-30T07:00:00Z"))
	f.signal("OP")
	f.clock.Set(utc("2026-03-30T15:20:00Z")) // 17:20 CEST: a closing in the closing grace
	f.signal("CL")
	f.tick(svc, r, "2026-03-30T16:00:00Z")
	expect(t, "Monday", r.take(), "")

	// Tuesday is a holiday: no late to open; Wednesday a temporary day
	// 10:00–12:00.
	must(t, f.s.CreateHoliday(context.Background(), &store.Holiday{Date: "2026-03-31", Name: "Closed for stock-taking"},
		store.Actor{Name: "admin", Role: store.RoleAdmin}))
	f.tick(svc, r, "2026-03-31T12:00:00Z")
	expect(t, "the holiday", r.take(), "")

	// Wednesday: nobody ticks between 07:00 and 08:20 CEST (as if the
	// schedule were changed in that minute); the schedule changed at 08:20
	// makes the 08:15 deadline one before it: not raised.
	f.clock.Set(utc("2026-04-01T06:20:00Z"))
	f.setSchedule([]store.ScheduleDay{{Date: "2026-04-02", Opens: "10:00", Closes: "12:00"}})
	f.tick(svc, r, "2026-04-01T06:30:00Z")
	expect(t, "a schedule changed after its deadline", r.take(), "")

	// Thursday's temporary day: late to open at 10:15 CEST.
	f.tick(svc, r, "2026-04-02T08:15:10Z")
	expect(t, "the temporary day", r.take(), "CT #1234 @2026-04-02T08:15:00Z alarm")

	// Opened at 10:05; nobody ticks between 10:10 and 12:40 CEST, and the
	// schedule is changed at 12:40, after the 12:30 late to close: not
	// raised after the change.
	f.clock.Set(utc("2026-04-02T08:05:00Z"))
	f.signal("OP")
	f.tick(svc, r, "2026-04-02T08:10:00Z")
	f.clock.Set(utc("2026-04-02T10:40:00Z"))
	f.setSchedule([]store.ScheduleDay{{Date: "2026-04-02", Opens: "10:00", Closes: "12:00"}})
	f.tick(svc, r, "2026-04-02T10:45:00Z")
	expect(t, "a late to close before the change", r.take(), "")
	if got := testutil.ToFloat64(svc.raised.WithLabelValues("late_to_open")); got != 2 {
		t.Errorf("late_to_open counted %v since the restart, want 2 (Monday, Thursday)", got)
	}
	_ = reg
}

// TestOpeningsAndClosingsAgainstTheSchedule: each exception is raised at
// the signal's time with the handling the station chose; the ones in
// schedule, and those before the schedule took effect, raise nothing.
func TestOpeningsAndClosingsAgainstTheSchedule(t *testing.T) {
	f := newFixture(t, utc("2026-12-01T05:00:00Z")) // Tuesday; Berlin is UTC+1
	f.clock.Set(utc("2026-12-01T04:00:00Z"))
	f.signal("OP") // before the schedule took effect
	svc, _ := f.service(LogOnly{EarlyOpen: true, UnscheduledClose: true})
	r := &raiser{}
	steps := []struct {
		at, code, want string
	}{
		{"2026-12-01T05:30:00Z", "CL", ""},                                     // 06:30: a closing outside the window
		{"2026-12-01T06:00:00Z", "OP", "OK #1234 @2026-12-01T06:00:00Z log"},   // 07:00: early
		{"2026-12-01T12:00:00Z", "CL", "CK #1234 @2026-12-01T12:00:00Z log"},   // 13:00: closed while it should be open
		{"2026-12-01T12:30:00Z", "OP", ""},                                     // 13:30: in the window
		{"2026-12-01T15:45:00Z", "CL", ""},                                     // 16:45: in the closing grace
		{"2026-12-01T20:00:00Z", "OP", "OJ #1234 @2026-12-01T20:00:00Z alarm"}, // 21:00: after the last window
		{"2026-12-01T20:30:00Z", "CL", ""},                                     // 21:30
		{"2026-12-06T10:00:00Z", "OP", "OJ #1234 @2026-12-06T10:00:00Z alarm"}, // Sunday
	}
	f.tick(svc, r, "2026-12-01T05:00:01Z")
	expect(t, "the opening before the schedule", r.take(), "")
	for _, s := range steps {
		f.clock.Set(utc(s.at))
		f.signal(s.code)
		f.tick(svc, r, utc(s.at).Add(time.Second).Format(time.RFC3339))
		got := r.take()
		// Deadlines fall in between too: keep only the transition's.
		var mine []string
		for _, g := range strings.Split(got, ", ") {
			if strings.Contains(g, "@"+s.at) {
				mine = append(mine, g)
			}
		}
		expect(t, s.code+" at "+s.at, strings.Join(mine, ", "), s.want)
	}
}

// TestRefusedRaisesAreRetried: while the store refuses the exception,
// the deadline stays due and the transition unjudged; both are raised
// once when it takes them again.
func TestRefusedRaisesAreRetried(t *testing.T) {
	f := newFixture(t, utc("2026-12-01T06:00:00Z"))
	svc, _ := f.service(LogOnly{})
	r := &raiser{}
	f.tick(svc, r, "2026-12-01T06:00:00Z")
	r.fail = errors.New("store refused")
	f.clock.Set(utc("2026-12-01T20:00:00Z")) // 21:00: unscheduled open
	f.signal("OP")
	if err := svc.Tick(context.Background(), r, utc("2026-12-01T20:00:01Z")); err == nil {
		t.Fatal("a refused raise was not reported")
	}
	r.fail = nil
	f.tick(svc, r, "2026-12-01T20:00:02Z")
	// The refused tick had both the 08:15 deadline and the 21:00 opening
	// to do: they are raised in time order, and the late to close at
	// 17:30 is not, for at 17:30 the area was closed.
	expect(t, "after the refusal", r.take(), "CT #1234 @2026-12-01T07:15:00Z alarm, OJ #1234 @2026-12-01T20:00:00Z alarm")
	f.tick(svc, r, "2026-12-01T20:10:00Z")
	expect(t, "once", r.take(), "")
}

// TestRefusedRaiseRepeatsNoOtherDeadline: two accounts' late to open fall
// at the same instant; the store refuses the second's raise. The next tick
// raises it, and not the first's again.
func TestRefusedRaiseRepeatsNoOtherDeadline(t *testing.T) {
	f := newFixture(t, utc("2026-12-01T06:00:00Z"))
	ctx := context.Background()
	other := &store.Account{Receiver: 1, Number: "5678", SiteID: f.acct.SiteID}
	must(t, f.s.Accounts.Create(ctx, other))
	sch := store.Schedule{AccountID: other.ID, OpenGraceMinutes: 15, CloseGraceMinutes: 30,
		Windows: []store.ScheduleWindow{{Day: "tuesday", Opens: "08:00", Closes: "17:00"}}}
	must(t, f.s.SetSchedule(ctx, &sch, store.Actor{Name: "admin", Role: store.RoleAdmin}))
	svc, _ := f.service(LogOnly{})
	r := &raiser{}
	f.tick(svc, r, "2026-12-01T06:00:00Z")
	r.fail, r.failFor = errors.New("store refused"), "5678"
	if err := svc.Tick(ctx, r, utc("2026-12-01T07:15:10Z")); err == nil {
		t.Fatal("a refused raise was not reported")
	}
	expect(t, "the refused tick", r.take(), "CT #1234 @2026-12-01T07:15:00Z alarm")
	r.fail = nil
	f.tick(svc, r, "2026-12-01T07:15:11Z")
	expect(t, "the next tick", r.take(), "CT #5678 @2026-12-01T07:15:00Z alarm")
}

// TestDeadlinesThatFellWhileDown: a deadline that fell while no node was
// checking schedules is raised once, stamped at its minute, when a node
// comes back within the catch-up; one older than the catch-up is not
// raised (a station back from a long outage is not buried in stale
// exceptions).
func TestDeadlinesThatFellWhileDown(t *testing.T) {
	f := newFixture(t, utc("2026-03-27T05:00:00Z")) // Friday 06:00 CET
	service := func() *Service {
		return New(Options{Store: f.s, Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Now: f.clock.Now,
			CatchUp: 2 * time.Hour})
	}
	restart := func() *Service {
		must(t, f.s.Close())
		f.open()
		return service()
	}
	r := &raiser{}
	svc := service()
	f.tick(svc, r, "2026-03-27T05:00:00Z")

	// Down from 06:00 to 09:00 CET: late to open (08:15 CET) fell meanwhile.
	svc = restart()
	f.tick(svc, r, "2026-03-27T08:00:00Z")
	expect(t, "back within the catch-up", r.take(), "CT #1234 @2026-03-27T07:15:00Z alarm")
	f.tick(svc, r, "2026-03-27T08:01:00Z")
	expect(t, "the next tick", r.take(), "")

	// Opened at 09:05 CET; down from 09:10 to 20:00 CET: fail to close
	// (17:30 CET) is 2.5 hours old, past the catch-up.
	f.clock.Set(utc("2026-03-27T08:05:00Z"))
	f.signal("OP")
	f.tick(svc, r, "2026-03-27T08:10:00Z")
	svc = restart()
	f.tick(svc, r, "2026-03-27T19:00:00Z")
	expect(t, "back after the catch-up", r.take(), "")
}
