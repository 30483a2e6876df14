package plan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

var categories = []string{"fire", "holdup", "medical", "burglary", "alarm", "trouble", "tamper", "schedule", "unknown"}

func TestSelectTheMostSpecific(t *testing.T) {
	plans := append(Defaults(),
		Plan{Name: "station BA", Scope: ScopeStation, Match: MatchCode, Value: "SIA/BA", Source: SourceConfig},
		Plan{Name: "station fire (config)", Scope: ScopeStation, Match: MatchCategory, Value: "fire", Source: SourceConfig},
		Plan{Name: "site 7 any", Scope: ScopeSite, ScopeID: 7, Match: MatchAny, Source: SourceAPI},
		Plan{Name: "site 7 burglary", Scope: ScopeSite, ScopeID: 7, Match: MatchCategory, Value: "burglary", Source: SourceAPI},
		Plan{Name: "account 3 CID/130", Scope: ScopeAccount, ScopeID: 3, Match: MatchCode, Value: "CID/130", Source: SourceAPI},
		Plan{Name: "account 4 any", Scope: ScopeAccount, ScopeID: 4, Match: MatchAny, Source: SourceAPI},
	)
	cases := []struct {
		ev   Event
		want string
	}{
		{Event{AccountID: 1, SiteID: 1, Format: "SIA", Code: "FA", Category: "fire"}, "station fire (config)"},
		{Event{AccountID: 1, SiteID: 1, Format: "SIA", Code: "BA", Category: "burglary"}, "station BA"},
		{Event{AccountID: 1, SiteID: 1, Format: "SIA", Code: "BV", Category: "burglary"}, "Burglary"},
		{Event{AccountID: 1, SiteID: 1, Format: "SIA", Code: "HA", Category: "holdup"}, "Hold-up"},
		{Event{AccountID: 1, SiteID: 1, Format: "SIA", Code: "WA", Category: "alarm"}, "Alarm"},
		{Event{AccountID: 1, SiteID: 7, Format: "SIA", Code: "BA", Category: "burglary"}, "site 7 burglary"},
		{Event{AccountID: 1, SiteID: 7, Format: "SIA", Code: "FA", Category: "fire"}, "site 7 any"},
		{Event{AccountID: 3, SiteID: 7, Format: "CID", Code: "130", Category: "burglary"}, "account 3 CID/130"},
		{Event{AccountID: 3, SiteID: 7, Format: "CID", Code: "131", Category: "burglary"}, "site 7 burglary"},
		{Event{AccountID: 4, SiteID: 7, Format: "SIA", Code: "BA", Category: "burglary"}, "account 4 any"},
		{Event{Format: "SIA", Code: "BA", Category: "burglary"}, "station BA"}, // an unknown account's
	}
	for _, c := range cases {
		if got := Select(plans, c.ev); got == nil || got.Name != c.want {
			t.Errorf("Select(%+v) = %+v, want %q", c.ev, got, c.want)
		}
	}
	if got := Select(nil, Event{Category: "fire"}); got != nil {
		t.Errorf("no plans: %+v", got)
	}
}

func TestCheck(t *testing.T) {
	party := func(id int64) bool { return id == 5 }
	ok := Plan{Scope: ScopeSite, ScopeID: 7, Match: MatchCategory, Value: "burglary", Steps: []Step{{Kind: CallPremises}}}
	cases := []struct {
		edit  func(p *Plan)
		field string
	}{
		{func(p *Plan) {}, ""},
		{func(p *Plan) { p.Scope = "region" }, "scope"},
		{func(p *Plan) { p.ScopeID = 0 }, "scope_id"},
		{func(p *Plan) { p.Scope, p.ScopeID = ScopeStation, 3 }, "scope_id"},
		{func(p *Plan) { p.Value = "burglar" }, "value"},
		{func(p *Plan) { p.Match, p.Value = MatchCode, "BA" }, "value"},
		{func(p *Plan) { p.Match, p.Value = MatchCode, "SIA/BA" }, ""},
		{func(p *Plan) { p.Match = MatchAny }, "value"},
		{func(p *Plan) { p.Steps = nil }, "steps"},
		{func(p *Plan) { p.Steps = []Step{{Kind: "pray"}} }, "steps[0].kind"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Dispatch, Authority: "army"}) }, "steps[1].authority"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Dispatch}) }, "steps[1].authority"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Call, PartyID: 6}) }, "steps[1].party_id"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Call, PartyID: 5}) }, ""},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Wait, Minutes: 500}) }, "steps[1].minutes"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Email, Email: "not an address"}) }, "steps[1].email"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Email, Email: "noc@example.com"}) }, ""},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Text}) }, "steps[1].text"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: CallList, Minutes: 5}) }, "steps[1].minutes"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Wait}) }, "steps[1].minutes"},
		{func(p *Plan) { p.Steps = append(p.Steps, Step{Kind: Call}) }, "steps[1].party_id"},
	}
	for i, c := range cases {
		p := ok
		p.Steps = append([]Step{}, ok.Steps...)
		c.edit(&p)
		err := Check(&p, categories, party)
		var fe *core.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("case %d: %v, want it accepted", i, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("case %d: %v, want an error naming %s", i, err, c.field)
		}
	}
	for _, p := range Defaults() {
		if err := Check(&p, categories, nil); err != nil {
			t.Errorf("default plan %s: %v", p.Name, err)
		}
	}
}

func TestStates(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	steps := []Step{{Kind: CallPremises}, {Kind: VerifyPasscode}, {Kind: CallList}, {Kind: Wait, Minutes: 10},
		{Kind: Dispatch, Authority: "police"}, {Kind: Text, Text: "Dog on premises"}, {Kind: Call, PartyID: 5}}
	facts := Facts{OpenedAt: t0, CallList: 3, Parties: map[int64]string{5: "Maria Keyholder"}}
	summary := func(st []StepState) string {
		var parts []string
		for _, s := range st {
			p := s.State
			if s.Progress != "" {
				p += "(" + s.Progress + ")"
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, " ")
	}
	cases := []struct {
		name    string
		actions []Action
		facts   Facts
		now     int
		want    string
	}{
		{"nothing done", nil, facts, 1, "pending pending pending pending pending info pending"},
		{"the premises called: the first call fits the first call step",
			[]Action{{Kind: "called", At: at(1), User: "ann", Result: "no_answer"}}, facts, 2,
			"done(no_answer) pending pending pending pending info pending"}, // the wait waits for the steps before it
		{"calls go down the call list until someone is reached", []Action{
			{Kind: "called", At: at(1), User: "ann", Result: "no_answer"},
			{Kind: "passcode_checked", At: at(2), User: "ann", Result: "failed"},
			{Kind: "called", At: at(3), User: "ann", Result: "no_answer"},
			{Kind: "called", At: at(4), User: "ann", Result: "reached"},
		}, facts, 5, "done(no_answer) done(failed) done(2 of 3 called) in_progress(9 min left) pending info pending"},
		{"everyone called, nobody reached: done", []Action{
			{Kind: "called", At: at(1), Result: "no_answer"}, {Kind: "called", At: at(2), Result: "no_answer"},
			{Kind: "called", At: at(3), Result: "no_answer"}, {Kind: "called", At: at(4), Result: "voicemail"},
		}, facts, 20, "done(no_answer) pending done(3 of 3 called) pending pending info pending"},
		{"logged for a step: that step", []Action{{Kind: "called", At: at(1), User: "ann", Result: "reached", PlanStep: 7},
			{Kind: "dispatched", At: at(2), User: "ann", Contact: "City police"}},
			facts, 3, "pending pending pending pending done(City police) info done(reached)"},
		{"a restore within the wait ends it", nil, Facts{OpenedAt: t0, CallList: 3, RestoredAt: at(4)}, 30,
			"pending pending pending done(restored) pending info pending"},
		{"a restore after the wait does not end it", []Action{{Kind: "called", At: at(1), Result: "reached"},
			{Kind: "passcode_checked", At: at(1), Result: "passed"}, {Kind: "called", At: at(2), Result: "reached"}},
			Facts{OpenedAt: t0, CallList: 3, RestoredAt: at(13)}, 30,
			"done(reached) done(passed) done(1 of 3 called) expired(no restore) pending info pending"},
		{"an action no step takes is left alone", []Action{{Kind: "notified", At: at(1)}}, facts, 1,
			"pending pending pending pending pending info pending"},
		{"a passcode asked again: the last check is the result; a dispatch says whom", []Action{
			{Kind: "passcode_checked", At: at(1), Result: "failed"}, {Kind: "passcode_checked", At: at(2), Result: "passed"},
			{Kind: "dispatched", At: at(3), Contact: "guard: Acme Patrol"}}, facts, 3,
			"pending done(passed) pending pending done(guard: Acme Patrol) info pending"},
		{"a dispatch called off says so", []Action{{Kind: "dispatched", At: at(3), Contact: "City police"},
			{Kind: "dispatch_cancelled", At: at(4), Contact: "City police"}}, facts, 5,
			"pending pending pending pending done(City police (called off)) info pending"},
	}
	for _, c := range cases {
		got := States(steps, c.actions, c.facts, at(c.now))
		if s := summary(got); s != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, s, c.want)
		}
	}
	st := States(steps, nil, facts, t0)
	if st[6].Label != "Call Maria Keyholder" || st[4].Label != "Dispatch police" || st[5].Label != "Dog on premises" {
		t.Errorf("labels %q %q %q", st[6].Label, st[4].Label, st[5].Label)
	}
	if open := Open(st); len(open) != 6 {
		t.Errorf("open steps %q: every step but the text", open)
	}
}
