package store

import (
	"github.com/alarmrx/alarmrx/store/outbox"
)

// Rules are the options a running store takes anew when the station's
// configuration is reloaded (SetRules): which outputs get outbox rows, the
// runaway detector, the station's action plans, the false alarm rules and
// the automatic disaster mode. Everything else of Options is fixed at Open.
type Rules struct {
	Outbox      []OutboxTarget
	Runaway     RunawayRules
	ActionPlans []ActionPlan
	FalseAlarms FalseAlarmRules
	Disaster    DisasterRules
}

// rulesOf takes the reloadable options out of opts.
func rulesOf(opts Options) *Rules {
	return &Rules{Outbox: opts.Outbox, Runaway: opts.Runaway, ActionPlans: opts.ActionPlans,
		FalseAlarms: opts.FalseAlarms, Disaster: opts.Disaster}
}

// SetRules replaces the store's reloadable rules. A projection batch under
// way finishes with the rules it began with; the next one reads the new
// ones. The action plans must be checked (plan.Check) by the caller, as
// for Options.ActionPlans.
func (s *Store) SetRules(r Rules) {
	r.Outbox = outbox.Prepared(r.Outbox)
	s.rules.Store(&r)
}

// currentRules returns the rules in force.
func (s *Store) currentRules() *Rules { return s.rules.Load() }
