package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// Engine is what the outbox needs of the store's engine: the writer, for
// every change, and the read pool.
type Engine interface {
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Read() core.Reader
}

// Execer runs a statement in the caller's transaction: a *sql.Tx, or the
// writer's batch, which reuses statements prepared once on its connection.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Options configure the outbox.
type Options struct {
	Now func() time.Time // required
	// Targets returns the automation outputs in force (a reload changes
	// them).
	Targets func() []Target
	// Incident reads an incident, for the items that carry its update.
	Incident func(ctx context.Context, id int64) (*core.Incident, error)
	// Counted returns a configured output's lag as last counted after the
	// commits, so that a scrape runs no SQL; nil counts it on each call.
	Counted func(ctx context.Context, target string) (n int, oldest time.Time, err error)
	// Undeliverable opens the output's undeliverable incident, or joins u
	// to the one open, inside MarkUndeliverable's transaction; after, when
	// not nil, runs on the writer once that transaction committed.
	Undeliverable func(ctx context.Context, tx *sql.Tx, u Undelivered) (after func(), err error)
}

// Outbox is the outputs' outbox.
type Outbox struct {
	db   Engine
	rdb  core.Reader
	opts Options
}

// New returns the outbox kept by db.
func New(db Engine, o Options) *Outbox {
	return &Outbox{db: db, rdb: db.Read(), opts: o}
}

// Target is an output that gets an outbox row for every stored signal it
// wants.
type Target struct {
	Name string
	// Categories limits the output to these event categories; empty means
	// every category.
	Categories []string
	// IncludeTests also forwards signals received in an on-test scope.
	IncludeTests bool
	// Accounts limits the output to the signals of these account numbers,
	// as stored (the receiver's prefix applied); empty means every
	// account. Prepared indexes them.
	Accounts []string
	accounts map[string]struct{}
	// IncidentUpdates also queues operator steps on incidents (claimed,
	// resolved, …) for the output.
	IncidentUpdates bool
}

// Prepared returns copies of targets with their account lists indexed,
// as wants reads them; the store prepares its targets once, at open.
func Prepared(targets []Target) []Target {
	out := slices.Clone(targets)
	for i := range out {
		if len(out[i].Accounts) == 0 {
			continue
		}
		out[i].accounts = make(map[string]struct{}, len(out[i].Accounts))
		for _, a := range out[i].Accounts {
			out[i].accounts[strings.ToUpper(strings.TrimSpace(a))] = struct{}{}
		}
	}
	return out
}

func (t *Target) wants(e *protocols.Event, test bool) bool {
	if test && !t.IncludeTests {
		return false
	}
	switch {
	case t.accounts != nil:
		if _, ok := t.accounts[e.Account]; !ok {
			return false
		}
	case len(t.Accounts) > 0:
		// A target not Prepared still filters: slowly, never not at all.
		if !slices.Contains(t.Accounts, e.Account) {
			return false
		}
	}
	if len(t.Categories) == 0 {
		return true
	}
	for _, c := range t.Categories {
		if c == e.Category.String() {
			return true
		}
	}
	return false
}

// known reports whether output is one of the configured targets.
func (o *Outbox) known(output string) bool {
	for _, t := range o.opts.Targets() {
		if t.Name == output {
			return true
		}
	}
	return false
}

// insertSignalSQL is one query text for every signal, so that the writer's
// batches prepare it once.
const insertSignalSQL = `INSERT INTO outbox (target, signal_id, created_at) VALUES (?,?,?)`

// insertSignalsSQL writes a batch's rows in one statement, in the batch's
// order (outbox ids are the outputs' delivery order), on an engine that
// binds arrays.
const insertSignalsSQL = `INSERT INTO outbox (target, signal_id, created_at)
	SELECT t.target, t.signal_id, t.created_at
	FROM unnest(?::text[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS t(target, signal_id, created_at, n)
	ORDER BY t.n`

// Batch gathers the outbox rows of the signals a transaction stores, for
// the targets that want them, and writes them in that order (Write).
type Batch struct {
	targets       []string
	signals, when []int64
}

// QueueSignal adds the outbox rows of one stored signal for the targets
// that want it. queued, when not nil, is set true at the index of every
// target that got a row, for the caller to wake those outputs once the
// transaction committed.
func (b *Batch) QueueSignal(targets []Target, queued []bool, signalID int64, received int64, e *protocols.Event, test bool) {
	for i := range targets {
		if !targets[i].wants(e, test) {
			continue
		}
		b.targets, b.signals, b.when = append(b.targets, targets[i].Name), append(b.signals, signalID), append(b.when, received)
		if queued != nil {
			queued[i] = true
		}
	}
}

// Write writes the batch's rows in the caller's transaction and empties
// it: in one statement when arrays (the engine binds slices as arrays),
// else one a row.
func (b *Batch) Write(ctx context.Context, ex Execer, arrays bool) error {
	defer b.Reset()
	switch {
	case len(b.targets) == 0:
		return nil
	case arrays:
		_, err := ex.ExecContext(ctx, insertSignalsSQL, b.targets, b.signals, b.when)
		return err
	}
	for i := range b.targets {
		if _, err := ex.ExecContext(ctx, insertSignalSQL, b.targets[i], b.signals[i], b.when[i]); err != nil {
			return err
		}
	}
	return nil
}

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() {
	b.targets, b.signals, b.when = b.targets[:0], b.signals[:0], b.when[:0]
}

// QueueIncidentUpdate writes the outbox rows of an operator step on an
// incident, for the targets that want incident updates, in the step's
// transaction.
func QueueIncidentUpdate(ctx context.Context, ex Execer, targets []Target, incident int64, action string, at time.Time) error {
	for _, t := range targets {
		if !t.IncidentUpdates {
			continue
		}
		if _, err := ex.ExecContext(ctx, `INSERT INTO outbox (target, kind, incident_id, action, created_at) VALUES (?,?,?,?,?)`,
			t.Name, "incident", incident, action, at.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}

// Item is one signal (or incident update) waiting for an output, with
// what encoders need.
type Item struct {
	ID int64
	// Kind is "signal" or "incident"; an incident update has IncidentID,
	// Action and Incident set and no signal.
	Kind       string
	IncidentID int64
	Action     string
	Incident   *core.Incident
	CreatedAt  time.Time
	SignalID   int64
	ReceivedAt time.Time
	Receiver   int
	Line       int
	Listener   string
	Account    string
	Resolution string
	SiteID     *int64
	Event      protocols.Event
	Attempts   int
}

// PendingOutbox returns up to limit items of a target that are neither
// delivered nor undeliverable, oldest first.
func (o *Outbox) PendingOutbox(ctx context.Context, target string, limit int) ([]Item, error) {
	rows, err := o.rdb.QueryContext(ctx, `SELECT o.id, o.kind, o.created_at, o.attempts, coalesce(o.incident_id, 0), o.action,
		coalesce(o.signal_id, 0), coalesce(s.received_at, 0), coalesce(s.receiver, 0), coalesce(f.line, 0), coalesce(f.listener, ''),
		coalesce(s.account, ''), coalesce(s.resolution, ''), s.site_id, coalesce(s.format, ''), coalesce(s.event_code, ''),
		coalesce(s.qualifier, ''), coalesce(s.partition, ''), coalesce(s.zone, ''), coalesce(s.user, ''), coalesce(s.address, ''),
		coalesce(s.address_kind, ''), coalesce(s.known, 0), coalesce(s.description, ''), coalesce(s.category, ''),
		coalesce(s.text, ''), coalesce(s.modifiers, ''), s.panel_time
		FROM outbox o LEFT JOIN signals s ON s.id = o.signal_id LEFT JOIN frames f ON f.id = s.frame_id
		WHERE o.target = ? AND o.delivered_at IS NULL AND o.undeliverable_at IS NULL ORDER BY o.id LIMIT ?`, target, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	out, err := core.AppendRows(nil, rows, scanItem)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].IncidentID != 0 {
			if out[i].Incident, err = o.opts.Incident(ctx, out[i].IncidentID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// scanItem reads a row of PendingOutbox's query.
func scanItem(sc core.RowScanner) (Item, error) {
	var it Item
	var q, kind, cat, mods string
	var known int
	var panel sql.NullInt64
	e := &it.Event
	if err := sc.Scan(&it.ID, &it.Kind, core.NanoTime{T: &it.CreatedAt}, &it.Attempts, &it.IncidentID, &it.Action,
		&it.SignalID, core.NanoTime{T: &it.ReceivedAt}, &it.Receiver, &it.Line, &it.Listener,
		&it.Account, &it.Resolution, &it.SiteID, &e.Format, &e.Code, &q, &e.Partition, &e.Zone, &e.User, &e.Address,
		&kind, &known, &e.Description, &cat, &e.Text, &mods, &panel); err != nil {
		return Item{}, fmt.Errorf("store: outbox: %w", err)
	}
	e.Account, e.Known = it.Account, known != 0
	e.Qualifier = parseQualifier(q)
	e.AddressKind = parseAddressKind(kind)
	e.Category, _ = protocols.ParseCategory(cat)
	if panel.Valid {
		e.PanelTime = fromNanos(panel.Int64)
	}
	if mods != "" {
		_ = json.Unmarshal([]byte(mods), &e.Modifiers)
	}
	return it, nil
}

func parseQualifier(s string) protocols.Qualifier {
	for _, q := range []protocols.Qualifier{protocols.QualifierNew, protocols.QualifierRestore, protocols.QualifierStatus} {
		if q.String() == s {
			return q
		}
	}
	return protocols.QualifierNone
}

func parseAddressKind(s string) protocols.AddressKind {
	for k := protocols.AddressNone; k <= protocols.AddressDevice; k++ {
		if k.String() == s {
			return k
		}
	}
	return protocols.AddressNone
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// MarkDelivered records that an output acknowledged items.
func (o *Outbox) MarkDelivered(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := o.opts.Now().UnixNano()
	return o.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		marks := core.Marks(len(ids))
		args := []any{now}
		for _, id := range ids {
			args = append(args, id)
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET delivered_at = ? WHERE undeliverable_at IS NULL AND id IN (`+marks+`)`, args...)
		return err
	})
}

// MarkAttempt records a failed delivery attempt.
func (o *Outbox) MarkAttempt(ctx context.Context, id int64, why string) error {
	return o.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, why, id)
		return err
	})
}

// OutboxLag returns how many items wait for a target (neither delivered nor
// undeliverable) and the receive time of the oldest (zero when none).
func (o *Outbox) OutboxLag(ctx context.Context, target string) (int, time.Time, error) {
	if o.opts.Counted != nil && o.known(target) {
		// A configured output's figures are counted after commits: the
		// outputs' scrape callbacks ask for them.
		return o.opts.Counted(ctx, target)
	}
	return o.QueryLag(ctx, target)
}

// QueryLag counts OutboxLag's figures now, in SQL.
func (o *Outbox) QueryLag(ctx context.Context, target string) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := o.rdb.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE target = ? AND delivered_at IS NULL AND undeliverable_at IS NULL`, target).
		Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: outbox lag: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromNanos(oldest.Int64), nil
}
