package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Engine is what the queue needs of the store's engine: the writer, for
// every operator step and note, and the read pool.
type Engine interface {
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Read() core.Reader
}

// Queryer reads rows: the read pool, or the transaction of a step.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Options configure the queue. The hooks carry a step's consequences to
// the rest of the store.
type Options struct {
	Now func() time.Time // required
	// StepTaken queues an operator step for the outputs, in the step's
	// transaction (the outbox's incident updates).
	StepTaken func(ctx context.Context, tx *sql.Tx, incident int64, action string, at time.Time) error
	// Publish tells the queue's subscribers of a change, on the writer
	// after its commit; required.
	Publish func(e Event)
	// Stepped gets a step's outcome after its commit, for the metrics.
	Stepped func(o *StepOutcome)
	// SiteChanged tells the live view of a site that an operator acted on
	// its incident (kind "incident") or noted one of its signals ("note").
	SiteChanged func(siteID int64, kind string)
	// CheckPasscode compares what a caller gave with the passcode of a
	// responding party of the site, in the step's transaction, and says
	// the party's name and whether it matched; nil: passcode checks are
	// refused.
	CheckPasscode func(ctx context.Context, tx *sql.Tx, siteID, partyID int64, given string) (party, result string, err error)
	// Plan reads the incident's action plan in the step's transaction:
	// which steps are still open, and whether the step at a position
	// (1-based) is one an action of that kind completes. nil: no plans.
	Plan func(ctx context.Context, tx *sql.Tx, in *Incident, now time.Time) (PlanView, error)
	// MayLeaveSteps says whether a role resolves an incident whose plan
	// has open steps without giving a reason (supervisors).
	MayLeaveSteps func(role string) bool
	// Resolved runs in a resolution's transaction, after the incident's
	// row is resolved (the false alarm count); nil: nothing.
	Resolved func(ctx context.Context, tx *sql.Tx, in *Incident, code string, now time.Time) error
}

// PlanView is what a step needs of the incident's action plan.
type PlanView interface {
	OpenSteps() []string
	Completes(action string, position int) bool
}

// Board is the operators' queue: the incidents, their action logs, the
// operator steps on them, and the notes on signals that are in none.
type Board struct {
	db   Engine
	rdb  core.Reader
	opts Options
}

// New returns the queue kept by db.
func New(db Engine, o Options) *Board {
	if o.StepTaken == nil {
		o.StepTaken = func(context.Context, *sql.Tx, int64, string, time.Time) error { return nil }
	}
	return &Board{db: db, rdb: db.Read(), opts: o}
}

// Incident is what an operator works (store/core names it for the outbox
// too).
type Incident = core.Incident

const incidentColumns = `i.id, i.account_id, i.site_id, coalesce(s.name, ''), i.receiver, i.account, i.kind, i.title,
	i.priority, i.status, i.opened_at, i.last_signal_at, i.signal_count, i.restored, i.claimed_by,
	coalesce(u.username, ''), i.claimed_at, i.first_claimed_at, i.last_activity_at, i.held_until, i.resolved_at,
	i.resolved_by, i.resolution_code, i.escalated_at`

const incidentFrom = ` FROM incidents i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN users u ON u.id = i.claimed_by`

func scanIncident(sc core.RowScanner) (Incident, error) {
	var in Incident
	var restored int
	err := sc.Scan(&in.ID, &in.AccountID, &in.SiteID, &in.SiteName, &in.Receiver, &in.Account, &in.Kind, &in.Title,
		&in.Priority, &in.Status, core.NanoTime{T: &in.OpenedAt}, core.NanoTime{T: &in.LastSignalAt}, &in.SignalCount, &restored,
		&in.ClaimedBy, &in.ClaimedByName, core.NanoTimePtr{T: &in.ClaimedAt}, core.NanoTimePtr{T: &in.FirstClaimedAt},
		core.NanoTimePtr{T: &in.LastActivityAt}, core.NanoTimePtr{T: &in.HeldUntil}, core.NanoTimePtr{T: &in.ResolvedAt}, &in.ResolvedBy,
		&in.ResolutionCode, core.NanoTimePtr{T: &in.EscalatedAt})
	in.Restored = restored != 0
	return in, err
}

func (b *Board) queryIncidents(ctx context.Context, q Queryer, where string, args ...any) ([]Incident, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	out, err := core.AppendRows([]Incident{}, rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	return out, nil
}

// Queue returns the open incidents that are not on hold, in the order
// operators take them: priority, then oldest first
// [automation-research.md §5.3]; and the incidents on hold, soonest back
// first.
func (b *Board) Queue(ctx context.Context, now time.Time) (queue, held []Incident, err error) {
	queue, err = b.queryIncidents(ctx, b.rdb, `i.status = 'open' AND (i.held_until IS NULL OR i.held_until <= ?)
		ORDER BY i.priority, i.opened_at, i.id`, now.UnixNano())
	if err != nil {
		return nil, nil, err
	}
	held, err = b.queryIncidents(ctx, b.rdb, `i.status = 'open' AND i.held_until > ? ORDER BY i.held_until, i.id`, now.UnixNano())
	return queue, held, err
}

// SiteIncidents lists the incidents of a site opened in [from, to).
func (b *Board) SiteIncidents(ctx context.Context, siteID int64, from, to time.Time) ([]Incident, error) {
	return b.queryIncidents(ctx, b.rdb, `i.site_id = ? AND i.opened_at >= ? AND i.opened_at < ? ORDER BY i.id`,
		siteID, from.UnixNano(), to.UnixNano())
}

// IncidentFilter selects incidents for history lists.
type IncidentFilter struct {
	AccountID int64
	Status    string
	// Since and Until (exclusive) bound when the incident opened.
	Since, Until time.Time
	// AfterID and BeforeID bound the ids (exclusive); the list is newest
	// first, so BeforeID pages on to older incidents.
	AfterID, BeforeID int64
	Limit             int
	// SiteID selects a site's incidents, CustomerID those of the sites of
	// a customer and of every customer below it (HQ → region → store).
	SiteID, CustomerID int64
	// Priority selects one priority (1 fire … 9).
	Priority int
	// Operator selects the incidents a station user took a step on, by
	// user name; Resolution those resolved with the code.
	Operator, Resolution string
	// Text finds the words in the title or the account number.
	Text string
}

// customerSites is the sites of a customer and of every customer below
// it, for one parameter: the customer's id.
const customerSites = `SELECT id FROM sites WHERE customer_id IN (WITH RECURSIVE tree(id) AS (SELECT CAST(? AS bigint)
	UNION SELECT c.id FROM customers c JOIN tree ON c.parent_id = tree.id) SELECT id FROM tree)`

// Incidents lists incidents, newest first.
func (b *Board) Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds, args = append(conds, cond), append(args, arg)
	}
	if f.AccountID != 0 {
		add("i.account_id = ?", f.AccountID)
	}
	if f.Status != "" {
		add("i.status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("i.opened_at >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("i.opened_at < ?", f.Until.UnixNano())
	}
	if f.AfterID > 0 {
		add("i.id > ?", f.AfterID)
	}
	if f.BeforeID > 0 {
		add("i.id < ?", f.BeforeID)
	}
	if f.SiteID != 0 {
		add("i.site_id = ?", f.SiteID)
	}
	if f.CustomerID != 0 {
		add("i.site_id IN ("+customerSites+")", f.CustomerID)
	}
	if f.Priority != 0 {
		add("i.priority = ?", f.Priority)
	}
	if f.Operator != "" {
		add("EXISTS (SELECT 1 FROM incident_actions a WHERE a.incident_id = i.id AND a.user_name = ?)", f.Operator)
	}
	if f.Resolution != "" {
		add("i.resolution_code = ?", f.Resolution)
	}
	if text := strings.TrimSpace(f.Text); text != "" {
		like := core.Like(text)
		conds = append(conds, "("+core.LikeAny("i.title", "i.account")+")")
		args = append(args, like, like)
	}
	cond := "1 = 1"
	if len(conds) > 0 {
		cond = strings.Join(conds, " AND ")
	}
	return b.queryIncidents(ctx, b.rdb, cond+" ORDER BY i.id DESC LIMIT ?", append(args, core.ClampLimit(f.Limit))...)
}

// Incident returns one incident.
func (b *Board) Incident(ctx context.Context, id int64) (*Incident, error) {
	list, err := b.queryIncidents(ctx, b.rdb, `i.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: incident %d", core.ErrNotFound, id)
	}
	return &list[0], nil
}

// IncidentAction is one entry of an incident's append-only action log.
type IncidentAction struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	UserID   *int64          `json:"user_id"`
	UserName string          `json:"user_name"`
	Action   string          `json:"action"`
	Detail   json.RawMessage `json:"detail,omitempty"`
}

// Words says a step as a customer reads it in the morning report and on
// an Incident Share page: notes, calls, dispatches and their
// cancellations, notifications and passcode checks; "" for the rest
// (claims, holds…). A duress result is told as a check only: the report
// may reach the person who was made to give the code.
func (a IncidentAction) Words() string {
	var detail map[string]any
	_ = json.Unmarshal(a.Detail, &detail)
	str := func(k string) string { v, _ := detail[k].(string); return strings.TrimSpace(v) }
	tail := func(s string) string {
		if c := str("case_number"); c != "" {
			s += " (case " + c + ")"
		}
		if res := str("result"); res != "" {
			s += " (" + strings.ReplaceAll(res, "_", " ") + ")"
		}
		if n := str("note"); n != "" {
			s += ": " + n
		}
		return s
	}
	switch a.Action {
	case "note":
		if n := str("note"); n != "" {
			return a.UserName + ": " + n
		}
	case "called":
		return tail(a.UserName + " called " + str("contact"))
	case "dispatched":
		return tail(a.UserName + " dispatched " + str("contact"))
	case "dispatch_cancelled":
		return tail(a.UserName + " called off " + str("contact"))
	case "notified":
		return tail(a.UserName + " notified " + str("contact"))
	case "passcode_checked":
		s := a.UserName + " checked the passcode of " + str("contact")
		if res := str("result"); res == PasscodePassed || res == PasscodeFailed {
			s += ": " + res
		}
		return s
	case "resolved":
		s := a.UserName + " resolved it"
		if c := str("code"); c != "" {
			s += " as " + strings.ReplaceAll(c, "_", " ")
		}
		if n := str("note"); n != "" {
			s += ": " + n
		}
		return s
	}
	return ""
}

// IncidentActions returns an incident's action log, oldest first.
func (b *Board) IncidentActions(ctx context.Context, id int64) ([]IncidentAction, error) {
	rows, err := b.rdb.QueryContext(ctx, `SELECT id, at, user_id, user_name, action, detail FROM incident_actions
		WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: incident actions: %w", err)
	}
	out, err := core.AppendRows([]IncidentAction{}, rows, func(sc core.RowScanner) (IncidentAction, error) {
		var a IncidentAction
		var detail string
		err := sc.Scan(&a.ID, core.NanoTime{T: &a.At}, &a.UserID, &a.UserName, &a.Action, &detail)
		if detail != "" {
			a.Detail = json.RawMessage(detail)
		}
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: incident actions: %w", err)
	}
	return out, nil
}

// IncidentSignalIDs returns the signals of an incident with their role
// (alarm, restore, repeat), oldest first.
func (b *Board) IncidentSignalIDs(ctx context.Context, id int64) (ids []int64, roles map[int64]string, err error) {
	rows, err := b.rdb.QueryContext(ctx, `SELECT signal_id, role FROM incident_signals WHERE incident_id = ? ORDER BY signal_id`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("store: incident signals: %w", err)
	}
	defer rows.Close()
	roles = map[int64]string{}
	for rows.Next() {
		var sid int64
		var role string
		if err := rows.Scan(&sid, &role); err != nil {
			return nil, nil, err
		}
		ids = append(ids, sid)
		roles[sid] = role
	}
	return ids, roles, rows.Err()
}

// QueueRules are the operator-queue settings the store enforces.
type QueueRules struct {
	ClaimTimeout    time.Duration // a claim lapses after this long without a step by its holder
	ResolutionCodes []string      // Resolve accepts only these
}

// ClaimHeldError: another operator holds the incident.
type ClaimHeldError struct {
	By    string
	Since time.Time
}

func (e *ClaimHeldError) Error() string {
	return fmt.Sprintf("incident is claimed by %s since %s; take it over explicitly", e.By, e.Since.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, core.ErrConflict) true.
func (e *ClaimHeldError) Is(target error) bool { return target == core.ErrConflict }

// claimHolder reports who holds a claim now: nobody if unclaimed or lapsed.
// A claim does not lapse while the incident is on hold or a dispatch is
// in progress (dispatching); once a hold ends, its holder has the timeout
// from the hold's end, as from a step.
func claimHolder(in *Incident, now time.Time, timeout time.Duration, dispatching bool) (int64, bool) {
	if in.ClaimedBy == nil {
		return 0, false
	}
	if dispatching || timeout <= 0 {
		return *in.ClaimedBy, true
	}
	last := in.ClaimedAt
	if in.LastActivityAt != nil {
		last = in.LastActivityAt
	}
	if in.HeldUntil != nil && (last == nil || in.HeldUntil.After(*last)) {
		last = in.HeldUntil
	}
	if last != nil && now.Sub(*last) >= timeout {
		return 0, false
	}
	return *in.ClaimedBy, true
}

// dispatchInProgress is true of an incident (aliased i) with more
// dispatches logged than called off: a claim does not lapse while police
// or a guard is on the way.
const dispatchInProgress = `(SELECT count(*) FROM incident_actions a WHERE a.incident_id = i.id AND a.action = 'dispatched') >
	(SELECT count(*) FROM incident_actions a WHERE a.incident_id = i.id AND a.action = 'dispatch_cancelled')`

// dispatching reads dispatchInProgress for one incident.
func dispatching(ctx context.Context, q Queryer, id int64) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+dispatchInProgress+` FROM incidents i WHERE i.id = ?`, id)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var on bool
	if rows.Next() {
		if err := rows.Scan(&on); err != nil {
			return false, err
		}
	}
	return on, rows.Err()
}

// Step is one operator step on an incident.
type Step struct {
	// Action is claim, take_over, release, hold, note, called, dispatched
	// or resolve.
	Action string `json:"action"`
	// Note is free text (required for note).
	Note string `json:"note,omitempty"`
	// Contact is who was called (called), or the authority or guard
	// company sent to the site (dispatched).
	Contact string `json:"contact,omitempty"`
	// Result of a call: reached, no_answer, voicemail, cancelled, …
	Result string `json:"result,omitempty"`
	// HoldFor is how long a hold lasts; NewPriority optionally changes the
	// priority (hold only).
	HoldFor     core.Duration `json:"hold_for,omitempty"`
	NewPriority int           `json:"new_priority,omitempty"`
	// Code is the resolution code (resolve only).
	Code string `json:"code,omitempty"`
	// PartyID is the responding party whose passcode the caller gave, and
	// Passcode what the caller said (passcode_check only). The passcode
	// is compared and forgotten: never stored, logged or answered.
	PartyID  int64  `json:"party_id,omitempty"`
	Passcode string `json:"passcode,omitempty"`
	// CaseNumber is the agency's case or incident number of a dispatch
	// (dispatched, dispatch_cancelled).
	CaseNumber string `json:"case_number,omitempty"`
	// PlanStep is the action plan's step (1-based) a call, dispatch,
	// notification or passcode check is logged for; 0: the first open
	// step it fits.
	PlanStep int `json:"plan_step,omitempty"`
}

// Step actions.
var StepActions = []string{"claim", "take_over", "release", "hold", "note", "called", "dispatched", "dispatch_cancelled", "notified",
	"passcode_check", "resolve"}

// Passcode check results [automation-research.md: verify the passcode
// before cancelling a dispatch]. Duress: the caller gave the party's
// duress passcode; the step's caller raises a hold-up alarm.
const (
	PasscodePassed = "passed"
	PasscodeFailed = "failed"
	PasscodeDuress = "duress"
)

// StepOutcome reports timings the metrics want, and a passcode check's
// result.
type StepOutcome struct {
	Passcode      string // PasscodePassed, PasscodeFailed or PasscodeDuress; "" for other steps
	Party         string // whose passcode was checked
	Incident      Incident
	FirstClaim    bool
	TimeToClaim   time.Duration
	Resolved      bool
	TimeToResolve time.Duration
}

// Act applies one operator step to an incident and appends it to the
// action log and the audit log, in one transaction. The first operator to
// claim holds the incident; others get ClaimHeldError until they take it
// over (logged) or the claim lapses. Every step but claim and take-over
// needs the claim (taken implicitly when the incident is unclaimed).
func (b *Board) Act(ctx context.Context, id int64, actor core.Actor, step Step, rules QueueRules) (*StepOutcome, error) {
	if !slices.Contains(StepActions, step.Action) {
		return nil, core.Invalid("action", "must be one of %s", strings.Join(StepActions, ", "))
	}
	now := b.opts.Now().UTC()
	var out StepOutcome
	err := b.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = StepOutcome{}
		list, err := b.queryIncidents(ctx, tx, `i.id = ?`, id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fmt.Errorf("%w: incident %d", core.ErrNotFound, id)
		}
		in := list[0]
		if in.Status != IncidentOpen {
			return &core.ConflictError{Msg: fmt.Sprintf("incident %d is %s", id, in.Status)}
		}
		st := NewTx(tx)
		holder, held := claimHolder(&in, now, rules.ClaimTimeout, false)
		if in.ClaimedBy != nil && !held {
			// Idle past the timeout: still held if a dispatch is on.
			on, err := dispatching(ctx, tx, id)
			if err != nil {
				return err
			}
			holder, held = claimHolder(&in, now, rules.ClaimTimeout, on)
		}
		mine := held && holder == actor.ID
		if held && !mine && step.Action != "take_over" {
			return &ClaimHeldError{By: in.ClaimedByName, Since: *in.ClaimedAt}
		}
		detail := map[string]any{}
		claim := func(action string) error {
			if in.ClaimedBy != nil && !held {
				if err := st.LogAction(ctx, id, now.UnixNano(), 0, SystemUser, "claim_lapsed",
					map[string]any{"user": in.ClaimedByName}); err != nil {
					return err
				}
			}
			if held && !mine {
				detail["from"] = in.ClaimedByName
			}
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET claimed_by = ?, claimed_at = ?, last_activity_at = ?,
				first_claimed_at = coalesce(first_claimed_at, ?) WHERE id = ?`,
				core.NullID(actor.ID), now.UnixNano(), now.UnixNano(), now.UnixNano(), id); err != nil {
				return err
			}
			if in.FirstClaimedAt == nil {
				out.FirstClaim, out.TimeToClaim = true, now.Sub(in.OpenedAt)
			}
			return st.LogAction(ctx, id, now.UnixNano(), actor.ID, actor.Name, action, detail)
		}
		action := step.Action
		switch action {
		case "claim", "take_over":
			if mine {
				return nil // claiming what one holds is a no-op
			}
			if action == "take_over" && !held {
				action = "claim"
			}
			if action == "take_over" {
				action = "taken_over"
			} else {
				action = "claimed"
			}
			if err := claim(action); err != nil {
				return err
			}
			if err := b.opts.StepTaken(ctx, tx, id, action, now); err != nil {
				return err
			}
			return core.Audit(ctx, tx, now, actor, "incident."+step.Action, fmt.Sprintf("incident:%d", id), detail)
		}
		if !mine {
			// Working an unclaimed incident claims it first.
			if err := claim("claimed"); err != nil {
				return err
			}
			detail = map[string]any{}
		}
		var pv PlanView
		if b.opts.Plan != nil && (step.Action == "resolve" || step.PlanStep != 0) {
			if pv, err = b.opts.Plan(ctx, tx, &in, now); err != nil {
				return err
			}
		}
		if step.PlanStep != 0 {
			logged := map[string]string{"called": "called", "dispatched": "dispatched", "notified": "notified",
				"passcode_check": "passcode_checked"}[step.Action]
			if logged == "" || pv == nil || !pv.Completes(logged, step.PlanStep) {
				return core.Invalid("plan_step", "step %d of the incident's action plan is not one a %s completes", step.PlanStep, step.Action)
			}
			detail["plan_step"] = step.PlanStep
		}
		switch step.Action {
		case "release":
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET claimed_by = NULL, claimed_at = NULL, last_activity_at = NULL WHERE id = ?`, id); err != nil {
				return err
			}
		case "note":
			if strings.TrimSpace(step.Note) == "" {
				return core.Invalid("note", "is required")
			}
			detail["note"] = step.Note
		case "called", "dispatched", "notified", "dispatch_cancelled":
			if strings.TrimSpace(step.Contact) == "" {
				return core.Invalid("contact", "say who was called, dispatched, notified or called off")
			}
			if len(step.CaseNumber) > 64 {
				return core.Invalid("case_number", "up to 64 characters")
			}
			detail["contact"], detail["result"] = step.Contact, step.Result
			if step.CaseNumber != "" {
				detail["case_number"] = step.CaseNumber
			}
			if step.Note != "" {
				detail["note"] = step.Note
			}
		case "passcode_check":
			if step.PartyID == 0 {
				return core.Invalid("party_id", "say whose passcode the caller gave")
			}
			if step.Passcode == "" {
				return core.Invalid("passcode", "type what the caller said")
			}
			if in.SiteID == nil || b.opts.CheckPasscode == nil {
				return core.Invalid("party_id", "the incident's account has no site, so no call list to check against")
			}
			party, result, err := b.opts.CheckPasscode(ctx, tx, *in.SiteID, step.PartyID, step.Passcode)
			if err != nil {
				return err
			}
			out.Passcode, out.Party = result, party
			// The contact and the result, never the code.
			detail["party_id"], detail["contact"], detail["result"] = step.PartyID, party, out.Passcode
			action = "passcode_checked"
		case "hold":
			if step.HoldFor <= 0 {
				return core.Invalid("hold_for", "give how long, e.g. 10m")
			}
			until := now.Add(time.Duration(step.HoldFor))
			priority := in.Priority
			if step.NewPriority != 0 {
				if step.NewPriority < 1 || step.NewPriority > 9 {
					return core.Invalid("new_priority", "must be 1 to 9")
				}
				fire, err := hasFire(ctx, tx, id)
				if err != nil {
					return err
				}
				if fire && step.NewPriority != 1 {
					return core.Invalid("new_priority", "a fire incident stays priority 1")
				}
				priority = step.NewPriority
			}
			// A hold takes the incident off the queue until then; its
			// holder keeps the claim through it (claimHolder).
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET held_until = ?, priority = ? WHERE id = ?`,
				until.UnixNano(), priority, id); err != nil {
				return err
			}
			detail["until"], detail["priority"] = until, priority
			if step.Note != "" {
				detail["note"] = step.Note
			}
			action = "held"
		case "resolve":
			if !slices.Contains(rules.ResolutionCodes, step.Code) {
				return core.Invalid("code", "must be one of the resolution codes: %s", strings.Join(rules.ResolutionCodes, ", "))
			}
			if pv != nil {
				// [issue: resolving with steps left open needs a supervisor
				// or a reason] The reason is the note; both are logged.
				if open := pv.OpenSteps(); len(open) > 0 {
					if strings.TrimSpace(step.Note) == "" && (b.opts.MayLeaveSteps == nil || !b.opts.MayLeaveSteps(actor.Role)) {
						return core.Invalid("note", "the action plan has open steps (%s): give the reason, or a supervisor resolves it",
							strings.Join(open, "; "))
					}
					detail["open_steps"] = open
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = ?,
				resolution_code = ?, held_until = NULL WHERE id = ?`, now.UnixNano(), core.NullID(actor.ID), step.Code, id); err != nil {
				return err
			}
			detail["code"] = step.Code
			if step.Note != "" {
				detail["note"] = step.Note
			}
			out.Resolved, out.TimeToResolve = true, now.Sub(in.OpenedAt)
			action = "resolved"
			if b.opts.Resolved != nil {
				if err := b.opts.Resolved(ctx, tx, &in, step.Code, now); err != nil {
					return err
				}
			}
		}
		if step.Action != "release" && step.Action != "hold" && step.Action != "resolve" {
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_activity_at = ? WHERE id = ?`, now.UnixNano(), id); err != nil {
				return err
			}
		}
		if step.Action == "release" {
			action = "released"
		}
		if err := st.LogAction(ctx, id, now.UnixNano(), actor.ID, actor.Name, action, detail); err != nil {
			return err
		}
		if err := b.opts.StepTaken(ctx, tx, id, action, now); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, actor, "incident."+step.Action, fmt.Sprintf("incident:%d", id), detail)
	}, func() {
		if b.opts.Stepped != nil {
			b.opts.Stepped(&out)
		}
		b.opts.Publish(Event{IncidentID: id, Action: step.Action})
	})
	if err != nil {
		return nil, err
	}
	in, err := b.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.SiteID != nil && b.opts.SiteChanged != nil {
		b.opts.SiteChanged(*in.SiteID, "incident")
	}
	out.Incident = *in
	return &out, nil
}

func hasFire(ctx context.Context, tx *sql.Tx, incident int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM incident_signals x JOIN signals s ON s.id = x.signal_id
		WHERE x.incident_id = ? AND s.category = 'fire'`, incident).Scan(&n)
	return n > 0, err
}

// SweepQueue does the queue's timed bookkeeping at now: claims whose holder
// did nothing for the timeout lapse, and holds that ran out return their
// incident to the queue; each is logged. The daemon calls it every few
// seconds; tests call it with a fake clock.
func (b *Board) SweepQueue(ctx context.Context, now time.Time, claimTimeout time.Duration) (lapsed, unheld int, err error) {
	var changed []int64
	err = b.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		lapsed, unheld, changed = 0, 0, nil
		st := NewTx(tx)
		at := now.UnixNano()
		if claimTimeout > 0 {
			cutoff := now.Add(-claimTimeout).UnixNano()
			list, err := b.queryIncidents(ctx, tx, `i.status = 'open' AND i.claimed_by IS NOT NULL
				AND coalesce(i.last_activity_at, i.claimed_at) <= ? AND coalesce(i.held_until, 0) <= ?
				AND NOT (`+dispatchInProgress+`)`, cutoff, cutoff)
			if err != nil {
				return err
			}
			for _, in := range list {
				if _, err := tx.ExecContext(ctx, `UPDATE incidents SET claimed_by = NULL, claimed_at = NULL, last_activity_at = NULL WHERE id = ?`, in.ID); err != nil {
					return err
				}
				if err := st.LogAction(ctx, in.ID, at, 0, SystemUser, "claim_lapsed", map[string]any{"user": in.ClaimedByName}); err != nil {
					return err
				}
				lapsed++
				changed = append(changed, in.ID)
			}
		}
		list, err := b.queryIncidents(ctx, tx, `i.status = 'open' AND i.held_until <= ?`, at)
		if err != nil {
			return err
		}
		for _, in := range list {
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET held_until = NULL,
				last_activity_at = CASE WHEN claimed_by IS NULL THEN last_activity_at ELSE held_until END WHERE id = ?`, in.ID); err != nil {
				return err
			}
			if err := st.LogAction(ctx, in.ID, at, 0, SystemUser, "hold_expired", nil); err != nil {
				return err
			}
			unheld++
			changed = append(changed, in.ID)
		}
		return nil
	}, func() {
		for _, id := range changed {
			b.opts.Publish(Event{IncidentID: id, Action: "sweep"})
		}
	})
	return lapsed, unheld, err
}

// Escalate marks the open incidents left unclaimed (and not on hold) past
// their priority's threshold (after[p-1] for priority p; 0 never) as
// escalated, logs it on each, and returns them: the caller notifies the
// supervisors. An incident is escalated once.
func (b *Board) Escalate(ctx context.Context, now time.Time, after [9]time.Duration) ([]Incident, error) {
	// Due: each escalating priority past its own threshold (the others are
	// never read).
	var due []string
	args := []any{}
	for i, d := range after {
		if d > 0 {
			due = append(due, `(i.priority = ? AND i.opened_at <= ?)`)
			args = append(args, i+1, now.Add(-d).UnixNano())
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	args = append(args, now.UnixNano())
	where := `i.status = 'open' AND i.claimed_by IS NULL AND i.escalated_at IS NULL AND (` + strings.Join(due, " OR ") + `)
		AND (i.held_until IS NULL OR i.held_until <= ?) ORDER BY i.priority, i.opened_at`
	// Read first, on the read pool: the sweep runs every few seconds, and
	// the writer is taken only when something is due.
	if list, err := b.queryIncidents(ctx, b.rdb, where, args...); err != nil || len(list) == 0 {
		return nil, err
	}
	var out []Incident
	err := b.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		list, err := b.queryIncidents(ctx, tx, where, args...)
		if err != nil {
			return err
		}
		st := NewTx(tx)
		for _, in := range list {
			if in.Priority < 1 || in.Priority > len(after) || after[in.Priority-1] <= 0 || now.Sub(in.OpenedAt) < after[in.Priority-1] {
				continue
			}
			// Guarded: a node that took supervision over in between may have
			// escalated it already.
			res, err := tx.ExecContext(ctx, `UPDATE incidents SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL`, now.UnixNano(), in.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := st.LogAction(ctx, in.ID, now.UnixNano(), 0, SystemUser, "escalated", map[string]any{
				"unclaimed_for": core.Duration(now.Sub(in.OpenedAt)), "threshold": core.Duration(after[in.Priority-1]), "priority": in.Priority}); err != nil {
				return err
			}
			t := now
			in.EscalatedAt = &t
			out = append(out, in)
		}
		return nil
	}, func() {
		for _, in := range out {
			b.opts.Publish(Event{IncidentID: in.ID, Action: "escalated"})
		}
	})
	return out, err
}
