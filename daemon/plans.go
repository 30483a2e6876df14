package daemon

import (
	"errors"
	"fmt"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sia"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/plan"
)

// ActionPlans checks the configuration's station action plans
// (queue.action_plans) and returns them for the store; an error names the
// plan and its field. check-config calls it too.
func ActionPlans(cfg *configs.Config) ([]store.ActionPlan, error) {
	var out []store.ActionPlan
	for i, c := range cfg.Queue.ActionPlans {
		p := store.ActionPlan{Scope: plan.ScopeStation, Match: c.Match, Value: c.Value, Name: c.Name, Source: plan.SourceConfig}
		for _, s := range c.Steps {
			p.Steps = append(p.Steps, store.PlanStep{Kind: s.Kind, Authority: s.Authority, Minutes: s.Minutes, Email: s.Email, Text: s.Text})
		}
		if err := plan.Check(&p, store.PlanCategories(), nil); err != nil {
			var fe *store.FieldError
			if errors.As(err, &fe) {
				return nil, fmt.Errorf("config: queue.action_plans[%d].%s: %s", i, fe.Field, fe.Msg)
			}
			return nil, fmt.Errorf("config: queue.action_plans[%d]: %w", i, err)
		}
		for _, o := range out {
			if o.Match == p.Match && o.Value == p.Value {
				return nil, fmt.Errorf("config: queue.action_plans[%d]: a second plan for %s %s", i, p.Match, p.Value)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// raiseDuress raises the hold-up alarm of a duress passcode given to an
// operator: SIA HA as a signal of the incident's account through the
// receiver's pipeline, classified and queued (priority 2) like a panel's.
// It reads as a panel's hold-up alarm wherever a client may see it (the
// portal, the morning report); the duress is said in its raw text, which
// only the station sees.
func (d *Daemon) raiseDuress(in store.Incident, party, operator string) error {
	row, _ := sia.Lookup("HA")
	ev := protocols.Event{Format: protocols.FormatSIA, Account: in.Account, Code: "HA", Qualifier: protocols.QualifierNew, Known: true,
		Description: row.Name, Category: protocols.CategoryHoldUp, AddressKind: row.Address}
	msg := &protocols.Message{Protocol: receiver.SyntheticProtocol, Kind: "duress", Account: in.Account, Events: []protocols.Event{ev}}
	return d.receiver.Raise(receiver.Synthetic{Receiver: in.Receiver, Origin: "operator", Message: msg, At: d.now(),
		Raw: []byte(fmt.Sprintf("duress passcode of %s given to %s (incident %d)", party, operator, in.ID))})
}
