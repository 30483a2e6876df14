package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestSilentAccounts: an account never heard and one silent for two days
// are listed, the never-heard first; one heard within the range is not,
// unless supervision holds it as failed to test.
func TestSilentAccounts(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	c := &Account{Receiver: 1, Number: "3333", SiteID: f.site.ID, SupervisionInterval: Duration(time.Hour)}
	must(t, f.s.Accounts.Create(ctx, c))
	f.signal(t, "3333", "RP", "", protocols.QualifierNew, protocols.CategoryTest, HandlingLog, 9)
	silentSince := f.clock.Now()
	f.clock.Add(48 * time.Hour)
	f.signal(t, "1111", "RP", "", protocols.QualifierNew, protocols.CategoryTest, HandlingLog, 9)
	now := f.clock.Now()

	rep, err := f.s.SilentAccounts(ctx, now.Add(-24*time.Hour), now)
	must(t, err)
	if len(rep.Accounts) != 2 || rep.Accounts[0].Account != "2222" || rep.Accounts[0].LastSignal != nil ||
		rep.Accounts[0].Site != "North depot" || rep.Accounts[0].Customer != "Bank North" {
		t.Fatalf("never heard first: %+v", rep.Accounts)
	}
	if x := rep.Accounts[1]; x.Account != "3333" || x.LastSignal == nil || !x.LastSignal.Equal(silentSince) ||
		x.IntervalSeconds != 3600 || x.FailedToCommunicate || x.Site != "Branch 7 Main St" {
		t.Fatalf("silent for two days: %+v", x)
	}
	must(t, f.s.SaveSupervision(ctx, []SupervisionState{{AccountID: f.a.ID, LastSeen: now, TestLate: true}}))
	rep, err = f.s.SilentAccounts(ctx, now.Add(-24*time.Hour), now)
	must(t, err)
	if len(rep.Accounts) != 3 || rep.Accounts[2].Account != "1111" || !rep.Accounts[2].FailedToTest {
		t.Fatalf("failed to test, though heard: %+v", rep.Accounts)
	}
	var fe *FieldError
	if _, err := f.s.SilentAccounts(ctx, now, now); !errors.As(err, &fe) || fe.Field != "to" {
		t.Errorf("an empty range: %v", err)
	}
}

// TestOnTestHistory: the periods overlapping the range, newest first,
// each with its test signals; one that ended before the range is not.
func TestOnTestHistory(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	old := &OnTest{AccountID: f.b.ID, Scope: ScopeAccount, EndsAt: start.Add(time.Hour), Reason: "old", AuthorisedBy: "tech"}
	must(t, f.s.StartTest(ctx, old, 0))
	if _, err := f.s.EndTests(ctx, f.b.ID, old.ID, "ann"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Hour)
	from := f.clock.Now()
	p := &OnTest{AccountID: f.a.ID, Scope: ScopeZones, Zones: Strings{"017"}, EndsAt: from.Add(4 * time.Hour),
		Reason: "detector swap", AuthorisedBy: "tech Jones"}
	must(t, f.s.StartTest(ctx, p, 0))
	f.clock.Add(time.Minute)
	f.signal(t, "1111", "BA", "017", protocols.QualifierNew, protocols.CategoryBurglary, HandlingTest, 4)
	f.signal(t, "1111", "BA", "017", protocols.QualifierNew, protocols.CategoryBurglary, HandlingTest, 4)
	f.signal(t, "1111", "BA", "018", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)

	rep, err := f.s.OnTestHistory(ctx, from, f.clock.Now().Add(time.Hour))
	must(t, err)
	if len(rep.Periods) != 1 {
		t.Fatalf("periods: %+v", rep.Periods)
	}
	if x := rep.Periods[0]; x.ID != p.ID || x.Account != "1111" || x.Signals != 2 || x.Site != "Branch 7 Main St" ||
		x.Customer != "Branch 7" || x.Reason != "detector swap" || len(x.Zones) != 1 || x.EndedAt != nil {
		t.Errorf("the zone test: %+v", x)
	}
	rep, err = f.s.OnTestHistory(ctx, start, f.clock.Now())
	must(t, err)
	if len(rep.Periods) != 2 || rep.Periods[1].ID != old.ID || rep.Periods[1].EndedAt == nil || rep.Periods[1].EndReason != EndEnded {
		t.Errorf("both, newest first: %+v", rep.Periods)
	}
}

// TestOperatorActivity: each operator's steps by kind, the incidents they
// touched and their log-ins; the system's own steps are no one's.
func TestOperatorActivity(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	fire, burglary := f.fireAndBurglary(t)
	act := func(id int64, who Actor, s Step) {
		t.Helper()
		f.clock.Add(time.Minute)
		if _, err := f.s.Act(ctx, id, who, s, reportRules); err != nil {
			t.Fatal(err)
		}
	}
	act(fire, f.op1, Step{Action: "claim"})
	act(fire, f.op1, Step{Action: "note", Note: "smoke seen on camera"})
	act(fire, f.op1, Step{Action: "dispatched", Contact: "Fire brigade", CaseNumber: "F-1"})
	act(fire, f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "steam"})
	act(burglary, f.op1, Step{Action: "claim"})
	act(burglary, f.op2, Step{Action: "take_over"})
	if _, _, err := f.s.Login(ctx, "bob", "correct horse battery", "127.0.0.1", time.Hour); err != nil {
		t.Fatal(err)
	}
	rep, err := f.s.OperatorActivity(ctx, start, f.clock.Now().Add(time.Second))
	must(t, err)
	if len(rep.Operators) != 2 {
		t.Fatalf("operators: %+v", rep.Operators)
	}
	ann, bob := rep.Operators[0], rep.Operators[1]
	if ann.Operator != "ann" || ann.Incidents != 2 || ann.Steps != 5 || ann.Actions["claimed"] != 2 || ann.Actions["note"] != 1 ||
		ann.Actions["dispatched"] != 1 || ann.Actions["resolved"] != 1 || ann.Logins != 0 ||
		!ann.First.Equal(start.Add(time.Minute)) || !ann.Last.Equal(start.Add(5*time.Minute)) {
		t.Errorf("ann: %+v", ann)
	}
	if bob.Operator != "bob" || bob.Incidents != 1 || bob.Steps != 1 || bob.Actions["taken_over"] != 1 || bob.Logins != 1 {
		t.Errorf("bob: %+v", bob)
	}
	if rep, err := f.s.OperatorActivity(ctx, start.Add(-time.Hour), start); err != nil || len(rep.Operators) != 0 {
		t.Errorf("before them: %+v %v", rep, err)
	}
}

// TestOpenCloseHistory: a site's openings, closings and schedule
// exceptions, newest first; its alarms and the other site's openings are
// not in it.
func TestOpenCloseHistory(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	from := f.clock.Now()
	f.signal(t, "1111", "OP", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	f.clock.Add(time.Hour)
	f.signal(t, "1111", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.signal(t, "2222", "OP", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	f.clock.Add(8 * time.Hour)
	f.signal(t, "1111", "CI", "", protocols.QualifierNew, protocols.CategorySchedule, HandlingQueue, 5)
	f.clock.Add(time.Hour)
	f.signal(t, "1111", "CL", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)

	rep, err := f.s.OpenCloseHistory(ctx, f.site.ID, from, f.clock.Now().Add(time.Second))
	must(t, err)
	var got []string
	for _, e := range rep.Events {
		got = append(got, e.Code+" "+e.What)
	}
	if len(rep.Events) != 3 || got[0] != "CL Closed" || got[1] != "CI CI" || got[2] != "OP Opened" ||
		!rep.Events[1].Exception || !rep.Events[1].Incident || rep.Events[0].Exception || rep.TimeZone != "Europe/Berlin" {
		t.Fatalf("events: %v %+v", got, rep)
	}
	if _, err := f.s.OpenCloseHistory(ctx, 999, from, f.clock.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown site: %v", err)
	}
}
