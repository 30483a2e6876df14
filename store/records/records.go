package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Engine is what the records need of the store's engine: the writer, for
// every change, and the read pool.
type Engine interface {
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Read() core.Reader
}

// Table maps one kind of record to its SQL table. The generic Records type
// does create, get, list, update and delete with it, so that each record
// kind states only its columns and its rules.
type Table[T any] struct {
	Name  string // SQL table
	Label string // the record's name in errors: "site"
	// Columns are the writable columns, in the order of Values.
	Columns []string
	Values  func(*T) []any
	// Scan returns the destinations for id, columns, created_at, updated_at.
	Scan func(*T) []any
	// ID points at the record's id field.
	ID func(*T) *int64
	// Check validates and normalises a record inside the write transaction;
	// old is the stored record on update, nil on create.
	Check func(ctx context.Context, tx *sql.Tx, rec, old *T) error
	// Filters are the columns List may filter on (query parameter names).
	Filters []string
	// FilterAs maps a filter to the condition (one "?") and value it
	// stands for (identifier compares identifier_key).
	FilterAs map[string]func(string) (cond string, value any)
	// Search is the condition ListOptions.Search selects by: each "?" in
	// it takes the search text as a LIKE pattern (Like), lower-cased.
	// "" when the records are not searchable.
	Search string
	// Written, when set, runs inside the change's transaction once the row
	// is written; old or rec is nil on create or delete.
	Written func(ctx context.Context, tx *sql.Tx, old, rec *T) error
	// Redact (nil: nothing) clears write-only secrets before a record leaves the store.
	Redact func(*T)
	// Secrets are the JSON fields of write-only secrets: the audit log
	// says "changed" for them, never their values.
	Secrets []string
	// AfterCommit (nil: nothing) runs on the writer after a change committed, in commit
	// order: the account index follows the records through it. old or rec is
	// nil on create or delete.
	AfterCommit func(old, rec *T)
	// Stamps points at created_at and updated_at.
	Stamps func(*T) (created, updated *time.Time)
	// By points at created_by and updated_by for tables that record who
	// changed them (nil: the table does not).
	By func(*T) (created, updated *string)
}

// Records is the create/read/update/delete surface of one record kind.
type Records[T any] struct {
	db  Engine
	rdb core.Reader
	now func() time.Time
	t   *Table[T]
}

// New returns the records of one kind kept by db in t's table; now is
// the clock of their times.
func New[T any](db Engine, now func() time.Time, t *Table[T]) *Records[T] {
	if t.Redact == nil {
		t.Redact = func(*T) {}
	}
	if t.AfterCommit == nil {
		t.AfterCommit = func(_, _ *T) {}
	}
	return &Records[T]{db: db, rdb: db.Read(), now: now, t: t}
}

// ListOptions select records: Where maps filter columns (see Filters) to
// values; AfterID and Limit page through by id.
type ListOptions struct {
	Where map[string]any
	// Search keeps the records whose searched fields (Table.Search) hold
	// the text, in any case.
	Search string
	// IDs (at most MaxListIDs) keeps only these records: a page of sites
	// reads its customers' names in one request.
	IDs     []int64
	AfterID int64
	Limit   int
}

// MaxListIDs caps ListOptions.IDs, and MaxSearch the search text.
const (
	MaxListIDs = 200
	MaxSearch  = 100
)

// Filters are the columns List accepts in ListOptions.Where.
func (r *Records[T]) Filters() []string { return slices.Clone(r.t.Filters) }

func (r *Records[T]) selectSQL() string {
	return "SELECT id, " + strings.Join(r.t.allColumns(), ", ") + ", created_at, updated_at FROM " + r.t.Name
}

// allColumns are the writable columns and, for tables that keep them,
// created_by and updated_by.
func (t *Table[T]) allColumns() []string {
	if t.By == nil {
		return t.Columns
	}
	return append(append([]string{}, t.Columns...), "created_by", "updated_by")
}

func (t *Table[T]) allValues(rec *T) []any {
	v := t.Values(rec)
	if t.By != nil {
		c, u := t.By(rec)
		v = append(v, *c, *u)
	}
	return v
}

// Get returns the record with the id, or core.ErrNotFound.
func (r *Records[T]) Get(ctx context.Context, id int64) (*T, error) {
	rec, err := r.GetTx(ctx, r.rdb, id)
	if err != nil {
		return nil, err
	}
	r.t.Redact(rec)
	return rec, nil
}

// Queryer reads a row: the read pool, or the transaction of a change.
type Queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (r *Records[T]) GetTx(ctx context.Context, q Queryer, id int64) (*T, error) {
	rec := new(T)
	err := q.QueryRowContext(ctx, r.selectSQL()+" WHERE id = ?", id).Scan(r.t.Scan(rec)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %d", core.ErrNotFound, r.t.Label, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s %d: %w", r.t.Label, id, err)
	}
	return rec, nil
}

// List returns records in id order.
func (r *Records[T]) List(ctx context.Context, o ListOptions) ([]T, error) {
	var w core.Where
	for _, col := range r.t.Filters {
		v, ok := o.Where[col]
		if !ok {
			continue
		}
		if as, ok := r.t.FilterAs[col]; ok {
			cond, x := as(fmt.Sprint(v))
			w.Add(cond, x)
			continue
		}
		w.Add(col+" = ?", v)
	}
	for col := range o.Where {
		if !slices.Contains(r.t.Filters, col) {
			return nil, core.Invalid(col, "is not a filter of %s records", r.t.Label)
		}
	}
	if text := strings.TrimSpace(o.Search); text != "" {
		if r.t.Search == "" {
			return nil, core.Invalid("q", "%s records cannot be searched", r.t.Label)
		}
		if len(text) > MaxSearch {
			return nil, core.Invalid("q", "is longer than %d characters", MaxSearch)
		}
		pattern := core.Like(text)
		args := make([]any, strings.Count(r.t.Search, "?"))
		for i := range args {
			args[i] = pattern
		}
		w.AddN("("+r.t.Search+")", args...)
	}
	if len(o.IDs) > 0 {
		if len(o.IDs) > MaxListIDs {
			return nil, core.Invalid("ids", "lists more than %d ids", MaxListIDs)
		}
		args := make([]any, len(o.IDs))
		for i, id := range o.IDs {
			args[i] = id
		}
		w.AddN("id IN ("+core.Marks(len(args))+")", args...)
	}
	if o.AfterID > 0 {
		w.Add("id > ?", o.AfterID)
	}
	q, args := w.Finish(r.selectSQL(), "id", o.Limit)
	rows, err := r.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", r.t.Label, err)
	}
	out, err := core.AppendRows([]T{}, rows, func(sc core.RowScanner) (T, error) {
		var rec T
		err := sc.Scan(r.t.Scan(&rec)...)
		r.t.Redact(&rec)
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", r.t.Label, err)
	}
	return out, nil
}

// Create validates and inserts rec, setting its id and times. Every
// change of a record is in the audit log, written in its transaction with
// the record's fields before and after (AuditDiff).
func (r *Records[T]) Create(ctx context.Context, rec *T) error {
	carry := core.CarryActor(ctx) // the writer runs on its own context
	err := r.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return r.CreateTx(carry(ctx), tx, rec)
	}, func() { r.t.AfterCommit(nil, rec) })
	if err == nil {
		r.t.Redact(rec)
	}
	return err
}

// CreateTx is Create inside the caller's transaction (an import's): the
// caller's commit runs no AfterCommit, and the record is not redacted.
func (r *Records[T]) CreateTx(ctx context.Context, tx *sql.Tx, rec *T) error {
	if err := r.t.Check(ctx, tx, rec, nil); err != nil {
		return err
	}
	now := r.now().UTC()
	created, updated := r.t.Stamps(rec)
	*created, *updated = now, now
	if r.t.By != nil {
		cb, ub := r.t.By(rec)
		*cb, *ub = core.ActorName(ctx), core.ActorName(ctx)
	}
	cols := r.t.allColumns()
	marks := strings.Repeat("?, ", len(cols)) + "?, ?"
	q := "INSERT INTO " + r.t.Name + " (" + strings.Join(cols, ", ") + ", created_at, updated_at) VALUES (" + marks + ") RETURNING id"
	var id int64
	if err := tx.QueryRowContext(ctx, q, append(r.t.allValues(rec), now.UnixNano(), now.UnixNano())...).Scan(&id); err != nil {
		return r.mapError(err, "create")
	}
	*r.t.ID(rec) = id
	if err := r.wrote(ctx, tx, nil, rec); err != nil {
		return err
	}
	return r.auditRecord(ctx, tx, now, "create", nil, rec)
}

// wrote runs the table's written hook, if it has one.
func (r *Records[T]) wrote(ctx context.Context, tx *sql.Tx, old, rec *T) error {
	if r.t.Written == nil {
		return nil
	}
	return r.t.Written(ctx, tx, old, rec)
}

// Update validates rec and replaces the stored record id with it.
func (r *Records[T]) Update(ctx context.Context, id int64, rec *T) error {
	*r.t.ID(rec) = id
	var old *T
	carry := core.CarryActor(ctx)
	err := r.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		old, err = r.UpdateTx(carry(ctx), tx, rec)
		return err
	}, func() { r.t.AfterCommit(old, rec) })
	if err == nil {
		r.t.Redact(rec)
	}
	return err
}

// UpdateTx is Update inside the caller's transaction, returning the
// record it replaced; as CreateTx, no AfterCommit and no redaction.
func (r *Records[T]) UpdateTx(ctx context.Context, tx *sql.Tx, rec *T) (*T, error) {
	id := *r.t.ID(rec)
	old, err := r.GetTx(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := r.t.Check(ctx, tx, rec, old); err != nil {
		return nil, err
	}
	created, updated := r.t.Stamps(rec)
	oldCreated, _ := r.t.Stamps(old)
	*created, *updated = *oldCreated, r.now().UTC()
	if r.t.By != nil {
		cb, ub := r.t.By(rec)
		oldCB, _ := r.t.By(old)
		*cb, *ub = *oldCB, core.ActorName(ctx)
	}
	sets := strings.Join(r.t.allColumns(), " = ?, ") + " = ?, updated_at = ?"
	args := append(r.t.allValues(rec), updated.UnixNano(), id)
	if _, err := tx.ExecContext(ctx, "UPDATE "+r.t.Name+" SET "+sets+" WHERE id = ?", args...); err != nil {
		return nil, r.mapError(err, "update")
	}
	if err := r.wrote(ctx, tx, old, rec); err != nil {
		return nil, err
	}
	return old, r.auditRecord(ctx, tx, *updated, "update", old, rec)
}

// Delete removes the record, or fails with a ConflictError while other
// records still refer to it (a site with accounts, a customer with sites).
func (r *Records[T]) Delete(ctx context.Context, id int64) error {
	var old *T
	carry := core.CarryActor(ctx)
	return r.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ctx = carry(ctx)
		var err error
		if old, err = r.GetTx(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.t.Name+" WHERE id = ?", id); err != nil {
			return r.mapError(err, "delete")
		}
		if err := r.wrote(ctx, tx, old, nil); err != nil {
			return err
		}
		return r.auditRecord(ctx, tx, r.now().UTC(), "delete", old, nil)
	}, func() { r.t.AfterCommit(old, nil) })
}

// mapError turns constraint failures into conflicts the API can explain.
func (r *Records[T]) mapError(err error, op string) error {
	switch kind, msg := core.ConstraintOf(err); kind {
	case core.ReferenceConstraint:
		return &core.ConflictError{Msg: fmt.Sprintf("cannot %s this %s: other records still refer to it", op, r.t.Label)}
	case core.UniqueConstraint:
		return &core.ConflictError{Msg: fmt.Sprintf("cannot %s this %s: %s", op, r.t.Label, msg)}
	}
	return fmt.Errorf("store: %s %s: %w", op, r.t.Label, err)
}

// Check validates and normalises rec as a change would, inside tx; old
// is the stored record on update, nil on create.
func (r *Records[T]) Check(ctx context.Context, tx *sql.Tx, rec, old *T) error {
	return r.t.Check(ctx, tx, rec, old)
}
