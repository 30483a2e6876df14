package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/plan"
	"github.com/alarmrx/alarmrx/store/queue"
)

// Action plans [automation-research.md §5.4]: the built-in plan of each
// category, the configuration's station plans (Options.ActionPlans), and
// the plans made through the API, stored in action_plans; the most
// specific applies to an incident (plan.Select). An incident's steps are
// read from its action log whenever it is shown or resolved.

// ActionPlan is a plan, as plan.Plan.
type ActionPlan = plan.Plan

// PlanStep is a step of a plan.
type PlanStep = plan.Step

// PlanCategories are the categories a plan may match.
func PlanCategories() []string { return protocols.CategoryNames() }

// ActionPlans lists every plan: the built-in ones, the configuration's and
// the stored ones.
func (s *Store) ActionPlans(ctx context.Context) ([]ActionPlan, error) {
	return s.actionPlans(ctx, s.rdb)
}

func (s *Store) actionPlans(ctx context.Context, q core.Reader) ([]ActionPlan, error) {
	out := plan.Defaults()
	out = append(out, s.currentRules().ActionPlans...)
	stored, err := queryPlans(ctx, q, `WHERE 1 = 1`)
	if err != nil {
		return nil, err
	}
	return append(out, stored...), nil
}

func queryPlans(ctx context.Context, q core.Reader, where string, args ...any) ([]ActionPlan, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, scope, scope_id, match_kind, match_value, name, steps, updated_by, updated_at
		FROM action_plans `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: action plans: %w", err)
	}
	return core.AppendRows([]ActionPlan{}, rows, func(sc core.RowScanner) (ActionPlan, error) {
		var p ActionPlan
		var steps string
		var at int64
		if err := sc.Scan(&p.ID, &p.Scope, &p.ScopeID, &p.Match, &p.Value, &p.Name, &steps, &p.UpdatedBy, &at); err != nil {
			return p, err
		}
		p.Source, p.UpdatedAt = plan.SourceAPI, fromNanos(at)
		return p, json.Unmarshal([]byte(steps), &p.Steps)
	})
}

// checkPlan validates a plan for storing: its shape, its scope's record,
// and that a call step's party is on the call list of the plan's site.
func (s *Store) checkPlan(ctx context.Context, tx *sql.Tx, p *ActionPlan) error {
	site := int64(0)
	switch p.Scope {
	case plan.ScopeSite:
		site = p.ScopeID
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM sites WHERE id = ?`, p.ScopeID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return core.Invalid("scope_id", "site %d does not exist", p.ScopeID)
		} else if err != nil {
			return err
		}
	case plan.ScopeAccount:
		if err := tx.QueryRowContext(ctx, `SELECT site_id FROM accounts WHERE id = ?`, p.ScopeID).Scan(&site); errors.Is(err, sql.ErrNoRows) {
			return core.Invalid("scope_id", "account %d does not exist", p.ScopeID)
		} else if err != nil {
			return err
		}
	}
	var partyErr error
	var partyOK func(int64) bool
	if site != 0 {
		partyOK = func(id int64) bool {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM responding_parties WHERE id = ? AND site_id = ?`, id, site).Scan(&one)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				partyErr = err
			}
			return err == nil
		}
	}
	err := plan.Check(p, PlanCategories(), partyOK)
	if partyErr != nil {
		return partyErr
	}
	return err
}

func planTarget(id int64) string { return fmt.Sprintf("action_plan:%d", id) }

// CreateActionPlan checks and stores a plan; audited as
// action_plan.create. Another plan of the same scope and match is refused.
func (s *Store) CreateActionPlan(ctx context.Context, p *ActionPlan, by Actor) error {
	return s.savePlan(ctx, 0, p, by)
}

// UpdateActionPlan replaces a stored plan; audited as action_plan.update
// with the plan before and after.
func (s *Store) UpdateActionPlan(ctx context.Context, id int64, p *ActionPlan, by Actor) error {
	return s.savePlan(ctx, id, p, by)
}

func (s *Store) savePlan(ctx context.Context, id int64, p *ActionPlan, by Actor) error {
	now := s.opts.Now().UTC()
	p.Source, p.UpdatedBy, p.UpdatedAt = plan.SourceAPI, by.Name, now
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var before *ActionPlan
		if id != 0 {
			list, err := queryPlans(ctx, tx, `WHERE id = ?`, id)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return fmt.Errorf("%w: action plan %d", ErrNotFound, id)
			}
			before = &list[0]
		}
		if err := s.checkPlan(ctx, tx, p); err != nil {
			return err
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM action_plans WHERE scope = ? AND scope_id = ? AND match_kind = ? AND match_value = ? AND id <> ?`,
			p.Scope, p.ScopeID, p.Match, p.Value, id).Scan(&other)
		if err == nil {
			return &ConflictError{Field: "match", Msg: fmt.Sprintf("action plan %d is the plan of this scope and match already", other)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		steps, err := json.Marshal(p.Steps)
		if err != nil {
			return err
		}
		if id == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO action_plans (scope, scope_id, match_kind, match_value, name, steps, updated_by, updated_at)
				VALUES (?,?,?,?,?,?,?,?) RETURNING id`, p.Scope, p.ScopeID, p.Match, p.Value, p.Name, string(steps), p.UpdatedBy,
				now.UnixNano()).Scan(&p.ID); err != nil {
				return err
			}
			return core.Audit(ctx, tx, now, by, "action_plan.create", planTarget(p.ID), p)
		}
		p.ID = id
		if _, err := tx.ExecContext(ctx, `UPDATE action_plans SET scope = ?, scope_id = ?, match_kind = ?, match_value = ?, name = ?, steps = ?,
			updated_by = ?, updated_at = ? WHERE id = ?`, p.Scope, p.ScopeID, p.Match, p.Value, p.Name, string(steps), p.UpdatedBy,
			now.UnixNano(), id); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "action_plan.update", planTarget(id), map[string]any{"before": before, "after": p})
	})
}

// DeleteActionPlan removes a stored plan; audited as action_plan.delete.
func (s *Store) DeleteActionPlan(ctx context.Context, id int64, by Actor) error {
	return s.deleteAudited(ctx, by, "action_plans", id, "action_plan", func(q core.Reader) (any, error) {
		return firstOf(queryPlans(ctx, q, `WHERE id = ?`, id))
	})
}

// IncidentPlan is the plan that applies to an incident and its steps'
// states.
type IncidentPlan struct {
	Plan  *ActionPlan      `json:"plan"`
	Steps []plan.StepState `json:"steps"`
}

// OpenSteps lists the labels of the steps still to do.
func (p *IncidentPlan) OpenSteps() []string { return plan.Open(p.Steps) }

// Completes reports whether an action of kind completes the step at
// position.
func (p *IncidentPlan) Completes(kind string, position int) bool {
	return position >= 1 && position <= len(p.Steps) && plan.Takes(p.Steps[position-1].Step.Kind) == kind
}

// IncidentPlan reads the plan of an incident with its steps' states.
func (s *Store) IncidentPlan(ctx context.Context, id int64) (*IncidentPlan, error) {
	in, err := s.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.incidentPlan(ctx, s.rdb, in, s.opts.Now().UTC())
}

// incidentPlan selects the plan of in by its leading signal (the best
// priority, then the first) and derives the steps' states from its action
// log, on q (the read pool, or a step's transaction).
func (s *Store) incidentPlan(ctx context.Context, q core.Reader, in *Incident, now time.Time) (*IncidentPlan, error) {
	plans, err := s.actionPlans(ctx, q)
	if err != nil {
		return nil, err
	}
	ev := plan.Event{Category: protocols.CategoryUnknown.String()}
	if in.AccountID != nil {
		ev.AccountID = *in.AccountID
	}
	if in.SiteID != nil {
		ev.SiteID = *in.SiteID
	}
	var restoredAt int64
	err = q.QueryRowContext(ctx, `SELECT g.format, g.event_code, g.category FROM incident_signals l JOIN signals g ON g.id = l.signal_id
		WHERE l.incident_id = ? AND l.role = 'alarm' ORDER BY g.priority, g.id LIMIT 1`, in.ID).Scan(&ev.Format, &ev.Code, &ev.Category)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: incident plan: %w", err)
	}
	if in.Restored {
		if err := q.QueryRowContext(ctx, `SELECT coalesce(min(g.received_at), 0) FROM incident_signals l JOIN signals g ON g.id = l.signal_id
			WHERE l.incident_id = ? AND l.role = 'restore'`, in.ID).Scan(&restoredAt); err != nil {
			return nil, fmt.Errorf("store: incident plan: %w", err)
		}
	}
	chosen := plan.Select(plans, ev)
	// An unknown account's incident has no site and no call list to work,
	// and a disaster mode's gathers many accounts: no plan applies.
	if in.SiteID == nil || in.Kind == IncidentDisaster {
		chosen = nil
	}
	out := &IncidentPlan{Plan: chosen, Steps: []plan.StepState{}}
	if chosen == nil {
		return out, nil
	}
	facts := plan.Facts{OpenedAt: in.OpenedAt, Parties: map[int64]string{}}
	if restoredAt > 0 {
		facts.RestoredAt = fromNanos(restoredAt)
	}
	if in.SiteID != nil {
		rows, err := q.QueryContext(ctx, `SELECT id, name FROM responding_parties WHERE site_id = ?`, *in.SiteID)
		if err != nil {
			return nil, fmt.Errorf("store: incident plan: %w", err)
		}
		if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
			var id int64
			var name string
			err := sc.Scan(&id, &name)
			facts.Parties[id] = name
			return struct{}{}, err
		}); err != nil {
			return nil, fmt.Errorf("store: incident plan: %w", err)
		}
		facts.CallList = len(facts.Parties)
	}
	rows, err := q.QueryContext(ctx, `SELECT at, user_name, action, detail FROM incident_actions
		WHERE incident_id = ? AND action IN ('called', 'dispatched', 'dispatch_cancelled', 'notified', 'passcode_checked') ORDER BY id`, in.ID)
	if err != nil {
		return nil, fmt.Errorf("store: incident plan: %w", err)
	}
	actions, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (plan.Action, error) {
		var a plan.Action
		var at int64
		var detail string
		if err := sc.Scan(&at, &a.User, &a.Kind, &detail); err != nil {
			return a, err
		}
		a.At = fromNanos(at)
		var d struct {
			Contact  string `json:"contact"`
			Result   string `json:"result"`
			PlanStep int    `json:"plan_step"`
		}
		if detail != "" {
			_ = json.Unmarshal([]byte(detail), &d) // an entry written before plans: no step named
		}
		a.Contact, a.Result, a.PlanStep = d.Contact, d.Result, d.PlanStep
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: incident plan: %w", err)
	}
	out.Steps = plan.States(chosen.Steps, actions, facts, now)
	return out, nil
}

// planView is the queue's hook: an incident's plan in a step's
// transaction.
func (s *Store) planView(ctx context.Context, tx *sql.Tx, in *Incident, now time.Time) (queue.PlanView, error) {
	return s.incidentPlan(ctx, tx, in, now)
}

// mayLeaveSteps: supervisors and admins resolve with open steps without a
// reason.
func mayLeaveSteps(role string) bool { return RoleAtLeast(role, RoleSupervisor) }
