package plan

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Step kinds [automation-research.md §5.4: Manitou action patterns are
// step lists: contact, notify, wait, …].
const (
	CallList       = "call_list"       // call the site's call list in order until someone is reached
	CallPremises   = "call_premises"   // call the premises (a wrong passcode or no answer is itself a finding)
	Call           = "call"            // call one named responding party
	VerifyPasscode = "verify_passcode" // ask the caller for the passcode and check it
	Dispatch       = "dispatch"        // send an authority (police, fire, medical, guard)
	Email          = "email"           // notify someone by e-mail
	Wait           = "wait"            // wait N minutes for a restore or a cancel
	Text           = "text"            // an instruction to read; nothing to log
)

// Kinds are the step kinds.
var Kinds = []string{CallList, CallPremises, Call, VerifyPasscode, Dispatch, Email, Wait, Text}

// Authorities a dispatch step may name.
var Authorities = []string{"police", "fire", "medical", "guard"}

// Scopes and matches of a plan.
const (
	ScopeStation  = "station"
	ScopeSite     = "site"
	ScopeAccount  = "account"
	MatchAny      = "any"
	MatchCategory = "category"
	MatchCode     = "code"
)

// Sources of a plan.
const (
	SourceDefault = "default" // built in
	SourceConfig  = "config"  // the configuration file's queue.action_plans
	SourceAPI     = "api"     // stored, made through the API
)

// Step is one step of a plan.
type Step struct {
	Kind      string `json:"kind"`
	Authority string `json:"authority,omitempty"` // dispatch
	PartyID   int64  `json:"party_id,omitempty"`  // call
	Minutes   int    `json:"minutes,omitempty"`   // wait
	Email     string `json:"email,omitempty"`     // email
	// Text is the instruction of a text step, and an optional note on any
	// other ("ask for the manager").
	Text string `json:"text,omitempty"`
}

// Plan is an ordered list of steps and what it applies to.
type Plan struct {
	ID int64 `json:"id"`
	// Scope is station, site or account; ScopeID the site or account.
	Scope   string `json:"scope"`
	ScopeID int64  `json:"scope_id"`
	// Match is any, category (Value: fire, burglary, …) or code (Value:
	// SIA/BA, CID/130).
	Match     string    `json:"match"`
	Value     string    `json:"value"`
	Name      string    `json:"name"`
	Steps     []Step    `json:"steps"`
	Source    string    `json:"source"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxSteps bounds a plan.
const MaxSteps = 30

// Check validates a plan's shape; partyOK says whether a call step's
// party may be called for the plan's scope (nil: every party is
// refused, a station plan names no one). Errors name the field.
func Check(p *Plan, categories []string, partyOK func(id int64) bool) error {
	switch p.Scope {
	case ScopeStation:
		if p.ScopeID != 0 {
			return core.Invalid("scope_id", "a station plan has no scope_id")
		}
	case ScopeSite, ScopeAccount:
		if p.ScopeID <= 0 {
			return core.Invalid("scope_id", "name the %s", p.Scope)
		}
	default:
		return core.Invalid("scope", "must be station, site or account")
	}
	switch p.Match {
	case MatchAny:
		if p.Value != "" {
			return core.Invalid("value", "a plan for any event has no value")
		}
	case MatchCategory:
		if !slices.Contains(categories, p.Value) {
			return core.Invalid("value", "%q is not an event category (%s)", p.Value, strings.Join(categories, ", "))
		}
	case MatchCode:
		format, code, ok := strings.Cut(p.Value, "/")
		if !ok || (format != "SIA" && format != "CID") || code == "" || len(code) > 8 {
			return core.Invalid("value", "%q is not a code such as SIA/BA or CID/130", p.Value)
		}
	default:
		return core.Invalid("match", "must be any, category or code")
	}
	p.Name = strings.TrimSpace(p.Name)
	if len(p.Name) > 100 {
		return core.Invalid("name", "up to 100 characters")
	}
	if len(p.Steps) == 0 || len(p.Steps) > MaxSteps {
		return core.Invalid("steps", "a plan has 1 to %d steps", MaxSteps)
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		f := fmt.Sprintf("steps[%d]", i)
		s.Text = strings.TrimSpace(s.Text)
		if len(s.Text) > 500 {
			return core.Invalid(f+".text", "up to 500 characters")
		}
		if !slices.Contains(Kinds, s.Kind) {
			return core.Invalid(f+".kind", "must be one of %s", strings.Join(Kinds, ", "))
		}
		for _, x := range []struct {
			field string
			set   bool
			kind  string
		}{{"authority", s.Authority != "", Dispatch}, {"party_id", s.PartyID != 0, Call}, {"minutes", s.Minutes != 0, Wait},
			{"email", s.Email != "", Email}} {
			if x.set && s.Kind != x.kind {
				return core.Invalid(f+"."+x.field, "only a %s step has a %s", x.kind, x.field)
			}
		}
		switch s.Kind {
		case Dispatch:
			if !slices.Contains(Authorities, s.Authority) {
				return core.Invalid(f+".authority", "must be one of %s", strings.Join(Authorities, ", "))
			}
		case Call:
			if partyOK == nil || !partyOK(s.PartyID) {
				return core.Invalid(f+".party_id", "responding party %d is not on the call list of the plan's site", s.PartyID)
			}
		case Wait:
			if s.Minutes < 1 || s.Minutes > 240 {
				return core.Invalid(f+".minutes", "must be 1 to 240")
			}
		case Email:
			if a, err := mail.ParseAddress(s.Email); err != nil || a.Name != "" || len(s.Email) > 254 {
				return core.Invalid(f+".email", "%q is not an e-mail address", s.Email)
			}
		case Text:
			if s.Text == "" {
				return core.Invalid(f+".text", "a text step says what to do")
			}
		}
	}
	return nil
}

// Defaults are the built-in station plans, per category: fire dispatches
// first [NFPA 72: fire alarms retransmitted immediately]; a hold-up
// dispatches police without calling the premises (a call may endanger
// whoever is there); medical dispatches and calls; a burglary calls the
// premises (and verifies the passcode of who answers), then the
// keyholders, then dispatches police; troubles and schedule exceptions
// call the keyholders; anything else calls the premises and the call list.
func Defaults() []Plan {
	p := func(value, name string, steps ...Step) Plan {
		m := MatchCategory
		if value == "" {
			m = MatchAny
		}
		return Plan{Scope: ScopeStation, Match: m, Value: value, Name: name, Steps: steps, Source: SourceDefault}
	}
	return []Plan{
		p("fire", "Fire", Step{Kind: Dispatch, Authority: "fire"}, Step{Kind: CallPremises}, Step{Kind: CallList}),
		p("holdup", "Hold-up", Step{Kind: Dispatch, Authority: "police"}, Step{Kind: CallList}),
		p("medical", "Medical", Step{Kind: Dispatch, Authority: "medical"}, Step{Kind: CallPremises}, Step{Kind: CallList}),
		p("burglary", "Burglary", Step{Kind: CallPremises}, Step{Kind: VerifyPasscode}, Step{Kind: CallList},
			Step{Kind: Dispatch, Authority: "police"}),
		p("trouble", "Trouble", Step{Kind: CallList}),
		p("tamper", "Tamper", Step{Kind: CallList}),
		p("schedule", "Schedule exception", Step{Kind: CallList}),
		p("", "Alarm", Step{Kind: CallPremises}, Step{Kind: CallList}),
	}
}

// Event is what selects a plan: the incident's account and site, and its
// leading signal's format, code and category.
type Event struct {
	AccountID, SiteID int64
	Format, Code      string // SIA, BA
	Category          string
}

// rank orders plans by how specific they are to ev; 0 does not apply.
// Scope first (account, site, station), then match (code, category,
// any), then source (a stored plan over the configuration's over the
// built-in one).
func rank(p *Plan, ev Event) int {
	scope := 0
	switch {
	case p.Scope == ScopeAccount && ev.AccountID != 0 && p.ScopeID == ev.AccountID:
		scope = 3
	case p.Scope == ScopeSite && ev.SiteID != 0 && p.ScopeID == ev.SiteID:
		scope = 2
	case p.Scope == ScopeStation:
		scope = 1
	default:
		return 0
	}
	match := 0
	switch {
	case p.Match == MatchCode && ev.Code != "" && p.Value == CodeKey(ev.Format, ev.Code):
		match = 3
	case p.Match == MatchCategory && p.Value == ev.Category:
		match = 2
	case p.Match == MatchAny:
		match = 1
	default:
		return 0
	}
	source := map[string]int{SourceAPI: 3, SourceConfig: 2, SourceDefault: 1}[p.Source]
	return scope*100 + match*10 + source
}

// CodeKey is a code plan's value: SIA/BA, CID/130.
func CodeKey(format, code string) string { return format + "/" + code }

// Select returns the plan that applies to ev, the most specific of plans;
// nil when none does.
func Select(plans []Plan, ev Event) *Plan {
	var best *Plan
	bestRank := 0
	for i := range plans {
		if r := rank(&plans[i], ev); r > bestRank {
			best, bestRank = &plans[i], r
		}
	}
	return best
}
