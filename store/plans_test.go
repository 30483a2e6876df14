package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/plan"
)

// TestActionPlanRecords: plans are checked (a call step's party must be on
// the call list of the plan's site), one per scope and match, audited; the
// list has the built-in plans, the configuration's and the stored ones.
func TestActionPlanRecords(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	by := Actor{Name: "ada", Role: RoleAdmin}
	maria := &RespondingParty{SiteID: f.site.ID, Position: 1, Name: "Maria Keyholder"}
	must(t, f.s.RespondingParties.Create(ctx, maria))
	elsewhere := &RespondingParty{SiteID: f.site2.ID, Position: 1, Name: "Elsewhere"}
	must(t, f.s.RespondingParties.Create(ctx, elsewhere))
	for _, c := range []struct {
		p     ActionPlan
		field string
	}{
		{ActionPlan{Scope: plan.ScopeSite, ScopeID: f.site.ID, Match: plan.MatchAny, Steps: []PlanStep{{Kind: plan.Call, PartyID: elsewhere.ID}}}, "steps[0].party_id"},
		{ActionPlan{Scope: plan.ScopeStation, Match: plan.MatchAny, Steps: []PlanStep{{Kind: plan.Call, PartyID: maria.ID}}}, "steps[0].party_id"},
		{ActionPlan{Scope: plan.ScopeSite, ScopeID: 999999, Match: plan.MatchAny, Steps: []PlanStep{{Kind: plan.CallList}}}, "scope_id"},
		{ActionPlan{Scope: plan.ScopeAccount, ScopeID: f.a.ID, Match: plan.MatchCategory, Value: "burgle", Steps: []PlanStep{{Kind: plan.CallList}}}, "value"},
	} {
		var fe *FieldError
		if err := f.s.CreateActionPlan(ctx, &c.p, by); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("plan %+v: %v, want an error naming %s", c.p, err, c.field)
		}
	}
	site := ActionPlan{Scope: plan.ScopeSite, ScopeID: f.site.ID, Match: plan.MatchCategory, Value: "burglary", Name: "Branch 7 burglary",
		Steps: []PlanStep{{Kind: plan.Call, PartyID: maria.ID, Text: "she has the keys"}, {Kind: plan.Dispatch, Authority: "guard"}}}
	must(t, f.s.CreateActionPlan(ctx, &site, by))
	dup := site
	var ce *ConflictError
	if err := f.s.CreateActionPlan(ctx, &dup, by); !errors.As(err, &ce) {
		t.Fatalf("a second plan of the same scope and match: %v", err)
	}
	site.Steps = append(site.Steps, PlanStep{Kind: plan.Wait, Minutes: 5})
	must(t, f.s.UpdateActionPlan(ctx, site.ID, &site, by))
	list, err := f.s.ActionPlans(ctx)
	must(t, err)
	if n := len(list); n != len(plan.Defaults())+1 || list[n-1].Source != plan.SourceAPI || len(list[n-1].Steps) != 3 || list[n-1].UpdatedBy != "ada" {
		t.Fatalf("plans %+v", list[len(list)-1])
	}
	entries, err := f.s.Audit(ctx, 0, 10)
	must(t, err)
	if entries[0].Action != "action_plan.update" || entries[1].Action != "action_plan.create" || !strings.Contains(entries[0].Detail, `"before"`) {
		t.Fatalf("audit %s %s", entries[0].Action, entries[1].Action)
	}
	must(t, f.s.DeleteActionPlan(ctx, site.ID, by))
	if err := f.s.DeleteActionPlan(ctx, site.ID, by); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting it again: %v", err)
	}
}

// TestIncidentPlan: a burglary incident follows the built-in burglary
// plan; each logged call, passcode check and dispatch completes its step
// in order (or the step it was logged for); resolving with open steps
// needs a reason from an operator, not from a supervisor, and the open
// steps are logged with the resolution.
func TestIncidentPlan(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	for i, name := range []string{"Maria Keyholder", "Tom Keyholder"} {
		p := &RespondingParty{SiteID: f.site.ID, Position: i + 1, Name: name, Passcode: ptr("blue-heron-42")}
		must(t, f.s.RespondingParties.Create(ctx, p))
	}
	parties, err := f.s.RespondingParties.List(ctx, ListOptions{Limit: 10})
	must(t, err)
	f.signal(t, "1111", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	ids, _ := f.queue(t)
	incident := ids[0]
	states := func() string {
		t.Helper()
		p, err := f.s.IncidentPlan(ctx, incident)
		must(t, err)
		var out []string
		for _, s := range p.Steps {
			out = append(out, s.State)
		}
		return p.Plan.Name + ": " + strings.Join(out, " ")
	}
	if got := states(); got != "Burglary: pending pending pending pending" {
		t.Fatalf("a new incident's plan: %s", got)
	}
	act := func(who Actor, s Step) error {
		_, err := f.s.Act(ctx, incident, who, s, rules)
		return err
	}
	must(t, act(f.op1, Step{Action: "called", Contact: "Premises", Result: "no_answer"}))
	must(t, act(f.op1, Step{Action: "passcode_check", PartyID: parties[0].ID, Passcode: "wrong"}))
	must(t, act(f.op1, Step{Action: "called", Contact: "Maria Keyholder", Result: "no_answer"}))
	if got := states(); got != "Burglary: done done in_progress pending" {
		t.Fatalf("after three steps: %s", got)
	}
	var fe *FieldError
	if err := act(f.op1, Step{Action: "called", Contact: "x", PlanStep: 4}); !errors.As(err, &fe) || fe.Field != "plan_step" {
		t.Fatalf("a call logged for the dispatch step: %v", err)
	}
	if err := act(f.op1, Step{Action: "resolve", Code: "false_alarm"}); !errors.As(err, &fe) || fe.Field != "note" ||
		!strings.Contains(fe.Msg, "Dispatch police") {
		t.Fatalf("an operator resolving with open steps, no reason: %v", err)
	}
	must(t, act(f.op1, Step{Action: "dispatched", Contact: "City police", PlanStep: 4}))
	if got := states(); got != "Burglary: done done in_progress done" {
		t.Fatalf("after the dispatch: %s", got)
	}
	must(t, act(f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "Tom is not on call this week"}))
	list, err := f.s.IncidentActions(ctx, incident)
	must(t, err)
	last := list[len(list)-1]
	if last.Action != "resolved" || !strings.Contains(string(last.Detail), "Call the call list") {
		t.Fatalf("the resolution's entry: %s %s", last.Action, last.Detail)
	}
	var dispatched string
	for _, a := range list {
		if a.Action == "dispatched" {
			dispatched = string(a.Detail)
		}
	}
	if !strings.Contains(dispatched, `"plan_step":4`) {
		t.Errorf("the dispatch's entry does not name its step: %s", dispatched)
	}

	// A supervisor resolves another incident with open steps, no reason.
	f.signal(t, "2222", "FA", "1", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	ids, _ = f.queue(t)
	boss := &User{Username: "sue", Role: RoleSupervisor}
	must(t, f.s.CreateUser(ctx, boss, "correct horse battery", Actor{Name: "setup"}))
	fire := ids[0]
	p, err := f.s.IncidentPlan(ctx, fire)
	must(t, err)
	if p.Plan.Name != "Fire" || p.Steps[0].Label != "Dispatch fire" {
		t.Fatalf("a fire's plan: %+v", p)
	}
	if _, err := f.s.Act(ctx, fire, Actor{ID: boss.ID, Name: "sue", Role: RoleSupervisor}, Step{Action: "resolve", Code: "false_alarm"}, rules); err != nil {
		t.Fatalf("a supervisor resolving with open steps: %v", err)
	}
}

// TestNoPlanWithoutASite: an unknown account's incident has no site to
// call: no plan, and an operator resolves it without a reason.
func TestNoPlanWithoutASite(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	must(t, f.commitOne(burstItem{"U0001", "BA", protocols.CategoryBurglary, "u1"}))
	ids, _ := f.queue(t)
	if len(ids) != 1 {
		t.Fatalf("queue %v", ids)
	}
	p, err := f.s.IncidentPlan(ctx, ids[0])
	must(t, err)
	if p.Plan != nil || len(p.Steps) != 0 {
		t.Fatalf("an unknown account's plan: %+v", p)
	}
	if _, err := f.s.Act(ctx, ids[0], f.op1, Step{Action: "resolve", Code: "false_alarm"}, rules); err != nil {
		t.Fatalf("resolving it: %v", err)
	}
}
