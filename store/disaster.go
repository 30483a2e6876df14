package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/queue"
	"go.uber.org/zap"
)

// Disaster modes [automation-research.md §5.5: Manitou's disaster mode
// per event category, Stages' temporary dispatch queues]: during a storm
// a supervisor, or the rate of new incidents, switches one on for the
// station, a receiver or a line. The projection then joins the signals of
// its categories, and the unknown accounts' signals, to the mode's one
// incident rather than an incident each; fire, hold-up and medical still
// reach the queue one by one. The signals are stored as ever (handling
// grouped), every switch is audited and is a station event.

// Disaster is a disaster mode that is on.
type Disaster struct {
	ID       int64  `json:"id"`
	Scope    string `json:"scope"`    // station, receiver or line
	Receiver int    `json:"receiver"` // receiver and line scopes
	Line     int    `json:"line"`     // line scope
	// Categories are grouped: trouble, tamper, schedule, alarm, burglary,
	// test, info, unknown (the unknown codes); never fire, holdup or
	// medical.
	Categories []string `json:"categories"`
	// UnknownAccounts groups the signals of unknown accounts too, whose
	// incidents would otherwise open one per account.
	UnknownAccounts bool      `json:"unknown_accounts"`
	Reason          string    `json:"reason"`
	Auto            bool      `json:"auto"` // switched on by the rate; off after the quiet time
	StartedBy       string    `json:"started_by"`
	StartedAt       time.Time `json:"started_at"`
	LastGroupedAt   time.Time `json:"last_grouped_at"`
}

// Disaster scopes.
const (
	DisasterStation  = "station"
	DisasterReceiver = "receiver"
	DisasterLine     = "line"
)

// DisasterRules are the automatic disaster mode's (queue.disaster).
type DisasterRules struct {
	// AutoIncidents new incidents within a minute switch a station mode on
	// (0: never automatically), with Categories and UnknownAccounts.
	AutoIncidents   int
	Categories      []string
	UnknownAccounts bool
	// Quiet ends an automatic mode after this long without a grouped
	// signal.
	Quiet time.Duration
}

// neverGrouped are the categories that always reach the queue one by one
// [NFPA 72: fire retransmitted immediately; life safety].
var neverGrouped = []string{protocols.CategoryFire.String(), protocols.CategoryHoldUp.String(), protocols.CategoryMedical.String()}

// checkDisasterCategories refuses the categories a mode may not group;
// field names the field.
func checkDisasterCategories(field string, cats []string) error {
	if len(cats) == 0 {
		return core.Invalid(field, "name the categories to group (trouble, tamper, …)")
	}
	known := PlanCategories()
	for i, c := range cats {
		switch {
		case slices.Contains(neverGrouped, c):
			return core.Invalid(fmt.Sprintf("%s[%d]", field, i), "%s always reaches the queue one by one", c)
		case !slices.Contains(known, c):
			return core.Invalid(fmt.Sprintf("%s[%d]", field, i), "%q is not an event category (%s)", c, strings.Join(known, ", "))
		}
	}
	return nil
}

// StartDisaster switches a disaster mode on; audited as disaster.start
// and logged as a station event. One mode per scope.
func (s *Store) StartDisaster(ctx context.Context, d *Disaster, by Actor) error {
	switch d.Scope {
	case DisasterStation:
		d.Receiver, d.Line = 0, 0
	case DisasterReceiver:
		d.Line = 0
		if d.Receiver < 1 {
			return core.Invalid("receiver", "name the receiver")
		}
	case DisasterLine:
		if d.Receiver < 1 || d.Line < 1 {
			return core.Invalid("line", "name the receiver and the line")
		}
	default:
		return core.Invalid("scope", "must be station, receiver or line")
	}
	if err := checkDisasterCategories("categories", d.Categories); err != nil {
		return err
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" || len(d.Reason) > 200 {
		return core.Invalid("reason", "say why (a storm, a carrier outage), up to 200 characters")
	}
	now := s.opts.Now().UTC()
	d.StartedBy, d.StartedAt, d.LastGroupedAt, d.Auto = by.Name, now, now, false
	defer s.disasterVersion.Add(1)
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if d.Scope != DisasterStation {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM receivers WHERE number = ?`, d.Receiver).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return core.Invalid("receiver", "receiver %d is not configured", d.Receiver)
			} else if err != nil {
				return err
			}
		}
		return startDisaster(ctx, tx, d, by, now)
	})
}

func startDisaster(ctx context.Context, tx *sql.Tx, d *Disaster, by Actor, now time.Time) error {
	// ON CONFLICT rather than a check first: another node's mode of the
	// scope committed meanwhile must not fail this transaction (a
	// projection's, for the automatic mode).
	err := tx.QueryRowContext(ctx, `INSERT INTO disaster_modes (scope, receiver, line, categories, unknown_accounts, reason, auto,
		started_by, started_at, last_grouped_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (scope, receiver, line) DO NOTHING RETURNING id`,
		d.Scope, d.Receiver, d.Line, strings.Join(d.Categories, ","), boolInt(d.UnknownAccounts), d.Reason, boolInt(d.Auto), d.StartedBy,
		now.UnixNano(), now.UnixNano()).Scan(&d.ID)
	if errors.Is(err, sql.ErrNoRows) {
		var other int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM disaster_modes WHERE scope = ? AND receiver = ? AND line = ?`,
			d.Scope, d.Receiver, d.Line).Scan(&other); err != nil {
			return err
		}
		return &ConflictError{Field: "scope", Msg: fmt.Sprintf("disaster mode %d is on for this scope already", other)}
	}
	if err != nil {
		return err
	}
	if err := disasterEvent(ctx, tx, now, "disaster_on", d); err != nil {
		return err
	}
	return core.Audit(ctx, tx, now, by, "disaster.start", fmt.Sprintf("disaster:%d", d.ID), d)
}

func disasterEvent(ctx context.Context, tx *sql.Tx, at time.Time, kind string, d *Disaster) error {
	detail, err := core.JSONText(d)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, detail) VALUES (?,?,?,?,?)`,
		at.UnixNano(), kind, d.Receiver, "", detail)
	return err
}

// EndDisaster switches a mode off; audited as disaster.end. The mode's
// incident stays open for an operator to resolve; new signals queue as
// before.
func (s *Store) EndDisaster(ctx context.Context, id int64, by Actor) error {
	defer s.disasterVersion.Add(1)
	now := s.opts.Now().UTC()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return endDisaster(ctx, tx, id, by, now, "")
	})
}

func endDisaster(ctx context.Context, tx *sql.Tx, id int64, by Actor, now time.Time, why string) error {
	list, err := queryDisasters(ctx, tx, `WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("%w: disaster mode %d", ErrNotFound, id)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM disaster_modes WHERE id = ?`, id); err != nil {
		return err
	}
	if err := disasterEvent(ctx, tx, now, "disaster_off", &list[0]); err != nil {
		return err
	}
	detail := map[string]any{"mode": list[0]}
	if why != "" {
		detail["why"] = why
	}
	return core.Audit(ctx, tx, now, by, "disaster.end", fmt.Sprintf("disaster:%d", id), detail)
}

// Disasters lists the modes that are on.
func (s *Store) Disasters(ctx context.Context) ([]Disaster, error) {
	return queryDisasters(ctx, s.rdb, `WHERE 1 = 1`)
}

func queryDisasters(ctx context.Context, q core.Reader, where string, args ...any) ([]Disaster, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, scope, receiver, line, categories, unknown_accounts, reason, auto, started_by,
		started_at, last_grouped_at FROM disaster_modes `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: disaster modes: %w", err)
	}
	return core.AppendRows([]Disaster{}, rows, func(sc core.RowScanner) (Disaster, error) {
		var d Disaster
		var cats string
		var unknown, auto int
		var at, last int64
		err := sc.Scan(&d.ID, &d.Scope, &d.Receiver, &d.Line, &cats, &unknown, &d.Reason, &auto, &d.StartedBy, &at, &last)
		d.Categories = strings.Split(cats, ",")
		d.UnknownAccounts, d.Auto, d.StartedAt, d.LastGroupedAt = unknown != 0, auto != 0, fromNanos(at), fromNanos(last)
		return d, err
	})
}

// EndQuietDisasters switches off the automatic modes that grouped nothing
// for the quiet time; the queue's sweep calls it.
func (s *Store) EndQuietDisasters(ctx context.Context) (int, error) {
	quiet := s.currentRules().Disaster.Quiet
	if quiet <= 0 {
		return 0, nil
	}
	now := s.opts.Now().UTC()
	// Read first: the sweep runs every few seconds, and a mode to end is rare.
	due, err := queryDisasters(ctx, s.rdb, `WHERE auto = 1 AND last_grouped_at < ?`, now.Add(-quiet).UnixNano())
	if err != nil || len(due) == 0 {
		return 0, err
	}
	defer s.disasterVersion.Add(1)
	ended := 0
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ended = 0
		list, err := queryDisasters(ctx, tx, `WHERE auto = 1 AND last_grouped_at < ?`, now.Add(-quiet).UnixNano())
		if err != nil {
			return err
		}
		for _, d := range list {
			if err := endDisaster(ctx, tx, d.ID, Actor{Name: queue.SystemUser}, now, fmt.Sprintf("nothing grouped for %s", quiet)); err != nil {
				return err
			}
			ended++
		}
		return nil
	})
	return ended, err
}

// disasterSet is the modes that are on, as the projection groups by them.
type disasterSet struct {
	modes   []Disaster
	grouped map[int64]int64 // mode id → latest grouped receipt (Unix ns), to write
}

// groupFor returns the mode that groups a signal so handled, or nil: the
// most specific of a line's, the receiver's and the station's.
func (ds *disasterSet) groupFor(rec *Receipt, e *protocols.Event, h Handling, res Resolution) *Disaster {
	if ds == nil || len(ds.modes) == 0 {
		return nil
	}
	cat := e.Category.String()
	if slices.Contains(neverGrouped, cat) {
		return nil
	}
	var best *Disaster
	rank := 0
	for i := range ds.modes {
		d := &ds.modes[i]
		r := 0
		switch {
		case d.Scope == DisasterLine && d.Receiver == rec.Receiver && d.Line == rec.Line:
			r = 3
		case d.Scope == DisasterReceiver && d.Receiver == rec.Receiver:
			r = 2
		case d.Scope == DisasterStation:
			r = 1
		default:
			continue
		}
		ok := false
		switch {
		case h.Mode == HandlingQueue && res.Known():
			ok = slices.Contains(d.Categories, cat)
		case h.Mode == HandlingAttach && !res.Known() && e.Qualifier != protocols.QualifierRestore:
			ok = d.UnknownAccounts
		}
		if ok && r > rank {
			best, rank = d, r
		}
	}
	return best
}

// disasterTitle is a mode's incident's title.
func disasterTitle(d *Disaster) string {
	where := "the station"
	switch d.Scope {
	case DisasterReceiver:
		where = fmt.Sprintf("receiver %d", d.Receiver)
	case DisasterLine:
		where = fmt.Sprintf("receiver %d line %d", d.Receiver, d.Line)
	}
	what := strings.Join(d.Categories, ", ")
	if d.UnknownAccounts {
		what += ", unknown accounts"
	}
	return "Disaster mode on " + where + ": " + what + " grouped"
}

// disasterRefresh bounds how long the projection uses the modes it read:
// a mode switched on or off by another node applies within it; this
// node's own switches apply at once (disasterVersion).
const disasterRefresh = time.Second

// disasterSet returns the modes on for a projection's group: the ones
// read within disasterRefresh, unless this node switched one since, else
// read again in the group's transaction. A group does not read the table
// each time: on SQLite that was a twentieth of the projection.
func (b *frameBatcher) disasterSet(ctx context.Context, st *txStmts) (*disasterSet, error) {
	now := time.Now()
	v := b.s.disasterVersion.Load()
	if b.modes == nil || v != b.modesVersion || now.Sub(b.modesAt) >= disasterRefresh {
		modes, err := queryDisasters(ctx, st.prepared, `WHERE 1 = 1`)
		if err != nil {
			return nil, err
		}
		b.modes, b.modesVersion, b.modesAt = modes, v, now
	}
	return &disasterSet{modes: slices.Clone(b.modes), grouped: map[int64]int64{}}, nil
}

// incidentRate counts incidents opened per receipt second over the last
// minute.
type incidentRate struct {
	second [60]int64 // the Unix second each slot counts
	count  [60]int
}

func (r *incidentRate) add(at time.Time, n int) {
	sec := at.Unix()
	i := int(sec % 60)
	if r.second[i] != sec {
		r.second[i], r.count[i] = sec, 0
	}
	r.count[i] += n
}

// sum is the count of the minute up to at.
func (r *incidentRate) sum(at time.Time) int {
	sec, n := at.Unix(), 0
	for i := range r.second {
		if r.second[i] > sec-60 && r.second[i] <= sec {
			n += r.count[i]
		}
	}
	return n
}

func (r *incidentRate) reset() { *r = incidentRate{} }

// autoDisaster switches the station's disaster mode on, in the
// projection's transaction, once the incidents opened within a minute of
// receipts reach queue.disaster.auto_incidents_per_minute [issue: 3,000
// unknown accounts made 3,000 incidents in 5.7 s]. The next group's
// signals are grouped.
func (b *frameBatcher) autoDisaster(ctx context.Context, st *txStmts, at time.Time) error {
	rules := b.s.currentRules().Disaster
	n := st.q.Opened
	st.q.Opened = 0
	if rules.AutoIncidents <= 0 || n == 0 {
		return nil
	}
	b.opened.add(at, n)
	if b.opened.sum(at) < rules.AutoIncidents {
		return nil
	}
	for _, d := range st.disasters.modes {
		if d.Scope == DisasterStation {
			return nil
		}
	}
	d := &Disaster{Scope: DisasterStation, Categories: rules.Categories, UnknownAccounts: rules.UnknownAccounts, Auto: true,
		Reason: fmt.Sprintf("%d incidents opened within a minute", b.opened.sum(at)), StartedBy: queue.SystemUser}
	now := b.s.opts.Now().UTC()
	var ce *ConflictError
	if err := startDisaster(ctx, st.prepared.Tx, d, Actor{Name: queue.SystemUser}, now); errors.As(err, &ce) {
		// Switched on meanwhile, by a supervisor or another node: it is on,
		// and the next group reads it. Never a reason to fail the entry.
		b.modes = nil
		b.opened.reset()
		return nil
	} else if err != nil {
		return err
	}
	d.StartedAt, d.LastGroupedAt = now, now
	st.disasters.modes = append(st.disasters.modes, *d)
	b.modes = nil // read again next group: this transaction may still roll back
	b.opened.reset()
	b.s.log.Warn("disaster mode switched on by the rate of new incidents", zap.Int64("id", d.ID), zap.String("reason", d.Reason))
	return nil
}
