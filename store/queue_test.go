package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"golang.org/x/crypto/bcrypt"
)

func init() { bcryptCost = bcrypt.MinCost } // tests need no slow hashes

// queueFixture is the records fixture with two accounts and two operators.
type queueFixture struct {
	*recordsFixture
	a, b     *Account
	op1, op2 Actor
	seq      int
}

func newQueueFixture(t *testing.T, edits ...func(*Options)) *queueFixture {
	t.Helper()
	f := &queueFixture{recordsFixture: newRecordsFixture(t, edits...)}
	ctx := context.Background()
	f.a = &Account{Receiver: 1, Number: "1111", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, f.a))
	f.b = &Account{Receiver: 1, Number: "2222", SiteID: f.site2.ID}
	must(t, f.s.Accounts.Create(ctx, f.b))
	for i, name := range []string{"ann", "bob"} {
		u := &User{Username: name, Role: RoleOperator}
		must(t, f.s.CreateUser(ctx, u, "correct horse battery", Actor{Name: "setup"}))
		a := Actor{ID: u.ID, Name: u.Username, Role: u.Role}
		if i == 0 {
			f.op1 = a
		} else {
			f.op2 = a
		}
	}
	return f
}

// signal stores one event of an account with the given handling, as the
// pipeline would, at the fixture clock's time.
// reportRules are the queue rules of the report tests: false_alarm and
// police_dispatched are the resolution codes.
var reportRules = QueueRules{ClaimTimeout: 10 * time.Minute, ResolutionCodes: []string{"false_alarm", "police_dispatched"}}

// fireAndBurglary queues a fire on account 1111 and a burglary on 2222,
// each its own incident.
func (f *queueFixture) fireAndBurglary(t *testing.T) (fire, burglary int64) {
	t.Helper()
	f.signal(t, "1111", "FA", "1", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.signal(t, "2222", "BA", "2", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	ids, _ := f.queue(t)
	if len(ids) != 2 {
		t.Fatalf("queue holds %v, want the fire and the burglary", ids)
	}
	return ids[0], ids[1]
}

func (f *queueFixture) signal(t *testing.T, number, code, zone string, q protocols.Qualifier, cat protocols.Category, mode string, priority int) {
	t.Helper()
	f.seq++
	ev := protocols.Event{Format: protocols.FormatSIA, Account: number, Code: code, Zone: zone, Qualifier: q,
		Category: cat, Known: true, Description: code}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: number, Sequence: "0001", Events: []protocols.Event{ev}}
	rec := Receipt{ReceivedAt: f.clock.Now(), Receiver: 1, Line: 1, Listener: "t", Transport: "tcp", Protocol: "dc09",
		Status: StatusAccepted, Raw: []byte(code), DedupeKey: code + zone + string(rune('a'+f.seq))}
	rec.Resolutions = []Resolution{f.s.Resolve(1, number, &ev, f.clock.Now())}
	rec.Handling = []Handling{{Mode: mode, Priority: priority}}
	if _, err := f.s.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}
}

func (f *queueFixture) queue(t *testing.T) (ids []int64, prios []int) {
	t.Helper()
	q, _, err := f.s.Queue(context.Background(), f.clock.Now())
	must(t, err)
	for _, in := range q {
		ids, prios = append(ids, in.ID), append(prios, in.Priority)
	}
	return ids, prios
}

func actions(t *testing.T, s *Store, id int64) string {
	t.Helper()
	list, err := s.IncidentActions(context.Background(), id)
	must(t, err)
	var names []string
	for _, a := range list {
		names = append(names, a.Action)
	}
	return strings.Join(names, " ")
}

func TestIncidentsGroupRaiseAndAttach(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	f.signal(t, "1111", "BA", "1", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.clock.Add(time.Second)
	f.signal(t, "2222", "MA", "", protocols.QualifierNew, protocols.CategoryMedical, HandlingQueue, 3)
	ids, prios := f.queue(t)
	if len(ids) != 2 || prios[0] != 3 || prios[1] != 4 {
		t.Fatalf("queue %v %v: want medical (3) before burglary (4)", ids, prios)
	}
	burglary := ids[1]
	f.clock.Add(time.Second)
	f.signal(t, "1111", "FA", "2", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.signal(t, "1111", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.signal(t, "1111", "BR", "1", protocols.QualifierRestore, protocols.CategoryBurglary, HandlingAttach, 4)
	f.signal(t, "1111", "OP", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	ids, prios = f.queue(t)
	if len(ids) != 2 || ids[0] != burglary || prios[0] != 1 {
		t.Fatalf("queue %v %v: the fire raised account 1111's incident to 1 and to the top", ids, prios)
	}
	in, err := f.s.Incident(ctx, burglary)
	must(t, err)
	if in.SignalCount != 4 || !in.Restored || in.SiteName != "Branch 7 Main St" {
		t.Fatalf("incident %+v: want 4 signals (3 alarms, 1 restore; the opening logged only), restored", in)
	}
	if got := actions(t, f.s, burglary); got != "opened priority_raised" {
		t.Fatalf("actions %q", got)
	}
	sigIDs, roles, err := f.s.IncidentSignalIDs(ctx, burglary)
	must(t, err)
	if len(sigIDs) != 4 || roles[sigIDs[3]] != "restore" {
		t.Fatalf("incident signals %v %v", sigIDs, roles)
	}
	// The log-only signal is stored, marked logged.
	sigs, err := f.s.Signals(ctx, SignalFilter{AccountID: f.a.ID})
	must(t, err)
	if sigs[len(sigs)-1].EventCode != "OP" {
		t.Fatalf("last signal %+v", sigs[len(sigs)-1])
	}
}

func TestClaimTakeOverLapseHoldAndResolve(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm", "police_dispatched"}}
	f.signal(t, "1111", "FA", "2", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.signal(t, "2222", "MA", "", protocols.QualifierNew, protocols.CategoryMedical, HandlingQueue, 3)
	ids, _ := f.queue(t)
	fire, medical := ids[0], ids[1]

	f.clock.Add(40 * time.Second)
	out, err := f.s.Act(ctx, fire, f.op1, Step{Action: "claim"}, rules)
	must(t, err)
	if !out.FirstClaim || out.TimeToClaim != 40*time.Second || out.Incident.ClaimedByName != "ann" {
		t.Fatalf("claim: %+v", out)
	}
	var held *ClaimHeldError
	if _, err := f.s.Act(ctx, fire, f.op2, Step{Action: "claim"}, rules); !errors.As(err, &held) || held.By != "ann" || !errors.Is(err, ErrConflict) {
		t.Fatalf("second claim: %v", err)
	}
	if _, err := f.s.Act(ctx, fire, f.op2, Step{Action: "note", Note: "me too"}, rules); !errors.As(err, &held) {
		t.Fatalf("note by a non-holder: %v", err)
	}
	out, err = f.s.Act(ctx, fire, f.op2, Step{Action: "take_over"}, rules)
	must(t, err)
	if out.Incident.ClaimedByName != "bob" || out.FirstClaim {
		t.Fatalf("take over: %+v", out)
	}
	_, err = f.s.Act(ctx, fire, f.op2, Step{Action: "called", Contact: "Ann Keyholder", Result: "no_answer"}, rules)
	must(t, err)

	// Bob goes quiet: after the timeout Ann may claim without a take-over.
	f.clock.Add(5*time.Minute + time.Second)
	out, err = f.s.Act(ctx, fire, f.op1, Step{Action: "claim"}, rules)
	must(t, err)
	if out.Incident.ClaimedByName != "ann" {
		t.Fatalf("claim after lapse: %+v", out)
	}

	// Holding a fire incident cannot lower its priority.
	var fe *FieldError
	if _, err := f.s.Act(ctx, fire, f.op1, Step{Action: "hold", HoldFor: Duration(10 * time.Minute), NewPriority: 5}, rules); !errors.As(err, &fe) || fe.Field != "new_priority" {
		t.Fatalf("fire hold with priority 5: %v", err)
	}
	out, err = f.s.Act(ctx, medical, f.op2, Step{Action: "hold", HoldFor: Duration(10 * time.Minute), NewPriority: 2, Note: "calling back"}, rules)
	must(t, err)
	// The hold keeps Bob's claim: the incident comes back his.
	if out.Incident.Priority != 2 || out.Incident.ClaimedByName != "bob" || out.Incident.HeldUntil == nil {
		t.Fatalf("hold: %+v", out.Incident)
	}
	ids, _ = f.queue(t)
	if len(ids) != 1 || ids[0] != fire {
		t.Fatalf("queue while medical is held: %v", ids)
	}
	f.clock.Add(10 * time.Minute)
	lapsed, unheld, err := f.s.SweepQueue(ctx, f.clock.Now(), rules.ClaimTimeout)
	must(t, err)
	if unheld != 1 || lapsed != 1 {
		t.Fatalf("sweep: lapsed %d (Ann's claim, idle 10m; not Bob's, held until now) unheld %d", lapsed, unheld)
	}
	ids, prios := f.queue(t)
	if len(ids) != 2 || ids[1] != medical || prios[1] != 2 {
		t.Fatalf("queue after the hold: %v %v", ids, prios)
	}

	if _, err := f.s.Act(ctx, fire, f.op1, Step{Action: "resolve", Code: "nonsense"}, rules); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("resolve with a bad code: %v", err)
	}
	out, err = f.s.Act(ctx, fire, f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "keyholder confirmed burnt toast"}, rules)
	must(t, err)
	if !out.Resolved || out.TimeToResolve != 40*time.Second+5*time.Minute+time.Second+10*time.Minute || out.Incident.Status != IncidentResolved {
		t.Fatalf("resolve: %+v", out)
	}
	if _, err := f.s.Act(ctx, fire, f.op1, Step{Action: "note", Note: "late"}, rules); !errors.Is(err, ErrConflict) {
		t.Fatalf("step on a resolved incident: %v", err)
	}
	want := "opened claimed taken_over called claim_lapsed claimed claim_lapsed claimed resolved"
	if got := actions(t, f.s, fire); got != want {
		t.Fatalf("fire actions\n got %q\nwant %q", got, want)
	}
	log, err := f.s.IncidentActions(ctx, fire)
	must(t, err)
	var d map[string]any
	must(t, json.Unmarshal(log[2].Detail, &d))
	if d["from"] != "ann" || log[2].UserName != "bob" {
		t.Fatalf("take-over entry %+v %v", log[2], d)
	}
	audit, err := f.s.Audit(ctx, 0, 100)
	must(t, err)
	if len(audit) < 7 || audit[0].Action != "incident.resolve" || audit[0].UserName != "ann" {
		t.Fatalf("audit %+v", audit)
	}
	ids, _ = f.queue(t)
	if len(ids) != 1 || ids[0] != medical {
		t.Fatalf("queue after resolve: %v", ids)
	}
}

func TestUnknownAccountRaisesOneIncident(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	for i := range 3 {
		ev := protocols.Event{Format: protocols.FormatSIA, Account: "9999", Code: "BA", Zone: "1", Category: protocols.CategoryBurglary}
		msg := &protocols.Message{Protocol: "dc09", Account: "9999", Events: []protocols.Event{ev}}
		rec := Receipt{ReceivedAt: f.clock.Now(), Receiver: 1, Status: StatusAccepted, Raw: []byte{byte(i)},
			Handling: []Handling{{Mode: HandlingAttach, Priority: 4}}, UnknownPriority: 5}
		if i == 0 {
			rec.UnknownAccounts = []string{"9999"}
		}
		_, err := f.s.Commit(ctx, msg, rec)
		must(t, err)
	}
	q, _, err := f.s.Queue(ctx, f.clock.Now())
	must(t, err)
	if len(q) != 1 || q[0].Kind != IncidentUnknownAccount || q[0].Priority != 5 || q[0].SignalCount != 3 {
		t.Fatalf("queue %+v: want one unknown-account incident holding the 3 signals", q)
	}
}

// TestHistorySearch: the console's history. Signals are found by code,
// zone (017 as 17), category and words within an account or a site, and
// such a filter alone, which would read every signal, is refused naming
// it. Incidents are found by a customer (its sites and those of the
// customers below it), the operator who took a step, the resolution, the
// priority, words, and paged to older ones.
func TestHistorySearch(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	start := f.clock.Now()
	f.signal(t, "1111", "BA", "012", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.clock.Add(time.Minute)
	f.signal(t, "2222", "FA", "3", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.clock.Add(time.Minute)
	f.signal(t, "1111", "OP", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	codes := func(sf SignalFilter) string {
		t.Helper()
		list, err := f.s.Signals(ctx, sf)
		must(t, err)
		var out []string
		for _, s := range list {
			out = append(out, s.EventCode)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name string
		f    SignalFilter
		want string
	}{
		{"code", SignalFilter{Account: "1111", Code: "ba"}, "BA"},
		{"zone 12 is 012", SignalFilter{Account: "1111", Zone: "12"}, "BA"},
		{"zone 0012 is 012", SignalFilter{AccountID: f.a.ID, Zone: "0012"}, "BA"},
		{"category", SignalFilter{SiteID: f.site.ID, Category: protocols.CategoryOpenClose.String()}, "OP"},
		{"words", SignalFilter{SiteID: f.site2.ID, Text: "fa"}, "FA"},
		{"in a time range, newest first", SignalFilter{Account: "1111", Since: start, Until: start.Add(3 * time.Minute), Desc: true}, "OP,BA"},
		{"before the range", SignalFilter{Account: "1111", Until: start}, ""},
	} {
		if got := codes(c.f); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	var fe *FieldError
	if _, err := f.s.Signals(ctx, SignalFilter{Zone: "12"}); !errors.As(err, &fe) || fe.Field != "zone" {
		t.Errorf("a zone of every account: %v", err)
	}

	ids, _ := f.queue(t)
	fire, burglary := ids[0], ids[1]
	_, err := f.s.Act(ctx, fire, f.op1, Step{Action: "claim"}, rules)
	must(t, err)
	_, err = f.s.Act(ctx, fire, f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "burnt toast, the keyholder says"}, rules)
	must(t, err)
	_, err = f.s.Act(ctx, burglary, f.op2, Step{Action: "note", Note: "keyholder on the way"}, rules)
	must(t, err)
	customers, err := f.s.Customers.List(ctx, ListOptions{})
	must(t, err)
	hq, branch := customers[0].ID, customers[2].ID
	found := func(inf IncidentFilter) []int64 {
		t.Helper()
		list, err := f.s.Incidents(ctx, inf)
		must(t, err)
		out := []int64{}
		for _, in := range list {
			out = append(out, in.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    IncidentFilter
		want []int64
	}{
		{"the HQ's tree", IncidentFilter{CustomerID: hq}, []int64{fire, burglary}},
		{"a store", IncidentFilter{CustomerID: branch}, []int64{burglary}},
		{"a site", IncidentFilter{SiteID: f.site2.ID}, []int64{fire}},
		{"ann's", IncidentFilter{Operator: "ann"}, []int64{fire}},
		{"bob's", IncidentFilter{Operator: "bob"}, []int64{burglary}},
		{"false alarms", IncidentFilter{Resolution: "false_alarm"}, []int64{fire}},
		{"fires", IncidentFilter{Priority: 1}, []int64{fire}},
		{"an account's number", IncidentFilter{Text: "222"}, []int64{fire}},
		{"older than the fire", IncidentFilter{BeforeID: fire}, []int64{burglary}},
		{"opened in the first minute", IncidentFilter{Since: start, Until: start.Add(time.Minute)}, []int64{burglary}},
	} {
		if got := found(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestResponseTimes: the report of how fast incidents were answered. A
// fire claimed after 40 s, dispatched after 60 s and resolved by ann after
// 2 min; a burglary claimed after 10 s and resolved by bob after 5 min,
// never dispatched; a trouble left open. Per priority and per operator,
// with the stages each reached; a range before them is empty.
func TestResponseTimes(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	fire, burglary := f.fireAndBurglary(t)
	act := func(id int64, who Actor, s Step) {
		t.Helper()
		if _, err := f.s.Act(ctx, id, who, s, reportRules); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(10 * time.Second)
	act(burglary, f.op2, Step{Action: "claim"})
	f.clock.Add(30 * time.Second)
	act(fire, f.op1, Step{Action: "claim"})
	f.clock.Add(20 * time.Second)
	act(fire, f.op1, Step{Action: "dispatched", Contact: "Fire brigade", CaseNumber: "F-1"})
	f.clock.Add(60 * time.Second)
	act(fire, f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "the brigade found steam"})
	f.clock.Add(180 * time.Second)
	act(burglary, f.op2, Step{Action: "resolve", Code: "false_alarm", Note: "the keyholder's cat"})
	f.signal(t, "1111", "YT", "", protocols.QualifierNew, protocols.CategoryTrouble, HandlingQueue, 6)

	rep, err := f.s.ResponseTimes(ctx, start, f.clock.Now().Add(time.Second))
	must(t, err)
	if rep.Incidents != 3 || rep.Unclaimed != 1 || rep.Unresolved != 1 || rep.Undispatched != 2 {
		t.Fatalf("totals: %+v", rep)
	}
	secs := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	want := map[int][3]float64{1: {40, 60, 120}, 4: {10, -1, 300}, 6: {-1, -1, -1}}
	if len(rep.ByPriority) != 3 {
		t.Fatalf("by priority: %+v", rep.ByPriority)
	}
	for _, g := range rep.ByPriority {
		w := want[g.Priority]
		if got := [3]float64{secs(g.Claim.P50), secs(g.Dispatch.P50), secs(g.Resolve.P99)}; got != w || g.Incidents != 1 {
			t.Errorf("priority %d: %v (%d incidents), want %v", g.Priority, got, g.Incidents, w)
		}
	}
	if len(rep.ByOperator) != 2 || rep.ByOperator[0].Operator != "ann" || secs(rep.ByOperator[0].Resolve.Max) != 120 ||
		rep.ByOperator[1].Operator != "bob" || rep.ByOperator[1].Dispatch.N != 0 || secs(rep.ByOperator[1].Claim.P90) != 10 {
		t.Errorf("by operator: %+v", rep.ByOperator)
	}
	if rep, err := f.s.ResponseTimes(ctx, start.Add(-time.Hour), start); err != nil || rep.Incidents != 0 {
		t.Errorf("before them: %+v %v", rep, err)
	}
	var fe *FieldError
	if _, err := f.s.ResponseTimes(ctx, start, start); !errors.As(err, &fe) || fe.Field != "to" {
		t.Errorf("an empty range: %v", err)
	}
}

// TestFalseAlarmsReport: the sites and customers ranked by their false
// alarms in a range: two at one site, one at another of the same
// customer tree; a real alarm and an open incident do not count.
func TestFalseAlarmsReport(t *testing.T) {
	f := newQueueFixture(t, func(o *Options) { o.FalseAlarms = FalseAlarmRules{Codes: []string{"false_alarm"}, Threshold: 3} })
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 10 * time.Minute, ResolutionCodes: []string{"false_alarm", "police_dispatched"}}
	start := f.clock.Now()
	resolve := func(number, code string) {
		t.Helper()
		f.signal(t, number, "BA", "1", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
		ids, _ := f.queue(t)
		for _, s := range []Step{{Action: "claim"}, {Action: "resolve", Code: code, Note: "checked"}} {
			if _, err := f.s.Act(ctx, ids[0], f.op1, s, rules); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.Add(time.Minute)
	}
	resolve("1111", "false_alarm")
	resolve("1111", "false_alarm")
	resolve("2222", "false_alarm")
	resolve("2222", "police_dispatched")
	f.signal(t, "2222", "BA", "2", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4) // left open

	rep, err := f.s.FalseAlarmsReport(ctx, start, f.clock.Now())
	must(t, err)
	if len(rep.Sites) != 2 || rep.Sites[0].SiteID != f.site.ID || rep.Sites[0].Count != 2 || rep.Sites[1].SiteID != f.site2.ID || rep.Sites[1].Count != 1 {
		t.Fatalf("sites: %+v", rep.Sites)
	}
	if rep.Sites[0].Customer != "Branch 7" || rep.Sites[1].Customer != "Bank North" || len(rep.Customers) != 2 || rep.Customers[0].Count != 2 {
		t.Errorf("customers: %+v / %+v", rep.Sites, rep.Customers)
	}
	if rep, err := f.s.FalseAlarmsReport(ctx, f.clock.Now(), f.clock.Now().Add(time.Hour)); err != nil || len(rep.Sites) != 0 {
		t.Errorf("after them: %+v %v", rep, err)
	}
}
