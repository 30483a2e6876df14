package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/sqlite"
)

// table maps one kind of record to its SQL table. The generic Records type
// does create, get, list, update and delete with it, so that each record
// kind states only its columns and its rules.
type table[T any] struct {
	name  string // SQL table
	label string // the record's name in errors: "site"
	// columns are the writable columns, in the order of values.
	columns []string
	values  func(*T) []any
	// scan returns the destinations for id, columns, created_at, updated_at.
	scan func(*T) []any
	// id points at the record's id field.
	id func(*T) *int64
	// check validates and normalises a record inside the write transaction;
	// old is the stored record on update, nil on create.
	check func(ctx context.Context, tx *sql.Tx, rec, old *T) error
	// filters are the columns List may filter on (query parameter names).
	filters []string
	// filterAs maps a filter to the condition (one "?") and value it
	// stands for (identifier compares identifier_key).
	filterAs map[string]func(string) (cond string, value any)
	// written, when set, runs inside the change's transaction once the row
	// is written; old or rec is nil on create or delete.
	written func(ctx context.Context, tx *sql.Tx, old, rec *T) error
	// redact clears write-only secrets before a record leaves the store.
	redact func(*T)
	// secrets are the JSON fields of write-only secrets: the audit log
	// says "changed" for them, never their values.
	secrets []string
	// afterCommit runs on the writer after a change committed, in commit
	// order: the account index follows the store through it. old or rec is
	// nil on create or delete.
	afterCommit func(old, rec *T)
	// stamps points at created_at and updated_at.
	stamps func(*T) (created, updated *time.Time)
	// by points at created_by and updated_by for tables that record who
	// changed them (nil: the table does not).
	by func(*T) (created, updated *string)
}

// Records is the create/read/update/delete surface of one record kind.
type Records[T any] struct {
	s *Store
	t *table[T]
}

// ListOptions select records: Where maps filter columns (see Filters) to
// values; AfterID and Limit page through by id.
type ListOptions struct {
	Where   map[string]any
	AfterID int64
	Limit   int
}

// Filters are the columns List accepts in ListOptions.Where.
func (r *Records[T]) Filters() []string { return slices.Clone(r.t.filters) }

func (r *Records[T]) selectSQL() string {
	return "SELECT id, " + strings.Join(r.t.allColumns(), ", ") + ", created_at, updated_at FROM " + r.t.name
}

// allColumns are the writable columns and, for tables that keep them,
// created_by and updated_by.
func (t *table[T]) allColumns() []string {
	if t.by == nil {
		return t.columns
	}
	return append(append([]string{}, t.columns...), "created_by", "updated_by")
}

func (t *table[T]) allValues(rec *T) []any {
	v := t.values(rec)
	if t.by != nil {
		c, u := t.by(rec)
		v = append(v, *c, *u)
	}
	return v
}

// Get returns the record with the id, or ErrNotFound.
func (r *Records[T]) Get(ctx context.Context, id int64) (*T, error) {
	rec, err := r.get(ctx, r.s.rdb, id)
	if err != nil {
		return nil, err
	}
	r.t.redact(rec)
	return rec, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (r *Records[T]) get(ctx context.Context, q queryer, id int64) (*T, error) {
	rec := new(T)
	err := q.QueryRowContext(ctx, r.selectSQL()+" WHERE id = ?", id).Scan(r.t.scan(rec)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %d", ErrNotFound, r.t.label, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s %d: %w", r.t.label, id, err)
	}
	return rec, nil
}

// List returns records in id order.
func (r *Records[T]) List(ctx context.Context, o ListOptions) ([]T, error) {
	var w where
	for _, col := range r.t.filters {
		v, ok := o.Where[col]
		if !ok {
			continue
		}
		if as, ok := r.t.filterAs[col]; ok {
			cond, x := as(fmt.Sprint(v))
			w.add(cond, x)
			continue
		}
		w.add(col+" = ?", v)
	}
	for col := range o.Where {
		if !slices.Contains(r.t.filters, col) {
			return nil, invalid(col, "is not a filter of %s records", r.t.label)
		}
	}
	if o.AfterID > 0 {
		w.add("id > ?", o.AfterID)
	}
	q, args := w.finish(r.selectSQL(), "id", o.Limit)
	rows, err := r.s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", r.t.label, err)
	}
	out, err := sqlite.AppendRows([]T{}, rows, func(sc sqlite.RowScanner) (T, error) {
		var rec T
		err := sc.Scan(r.t.scan(&rec)...)
		r.t.redact(&rec)
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", r.t.label, err)
	}
	return out, nil
}

// Create validates and inserts rec, setting its id and times. Every
// change of a record is in the audit log, written in its transaction with
// the record's fields before and after (auditDiff).
func (r *Records[T]) Create(ctx context.Context, rec *T) error {
	carry := carryActor(ctx) // the writer runs on its own context
	err := r.s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return r.create(carry(ctx), tx, rec)
	}, func() { r.t.afterCommit(nil, rec) })
	if err == nil {
		r.t.redact(rec)
	}
	return err
}

func (r *Records[T]) create(ctx context.Context, tx *sql.Tx, rec *T) error {
	if err := r.t.check(ctx, tx, rec, nil); err != nil {
		return err
	}
	now := r.s.opts.Now().UTC()
	created, updated := r.t.stamps(rec)
	*created, *updated = now, now
	if r.t.by != nil {
		cb, ub := r.t.by(rec)
		*cb, *ub = actorName(ctx), actorName(ctx)
	}
	cols := r.t.allColumns()
	marks := strings.Repeat("?, ", len(cols)) + "?, ?"
	q := "INSERT INTO " + r.t.name + " (" + strings.Join(cols, ", ") + ", created_at, updated_at) VALUES (" + marks + ")"
	res, err := tx.ExecContext(ctx, q, append(r.t.allValues(rec), now.UnixNano(), now.UnixNano())...)
	if err != nil {
		return r.mapError(err, "create")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	*r.t.id(rec) = id
	if err := r.wrote(ctx, tx, nil, rec); err != nil {
		return err
	}
	return r.auditRecord(ctx, tx, now, "create", nil, rec)
}

// wrote runs the table's written hook, if it has one.
func (r *Records[T]) wrote(ctx context.Context, tx *sql.Tx, old, rec *T) error {
	if r.t.written == nil {
		return nil
	}
	return r.t.written(ctx, tx, old, rec)
}

// Update validates rec and replaces the stored record id with it.
func (r *Records[T]) Update(ctx context.Context, id int64, rec *T) error {
	*r.t.id(rec) = id
	var old *T
	carry := carryActor(ctx)
	err := r.s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		old, err = r.update(carry(ctx), tx, rec)
		return err
	}, func() { r.t.afterCommit(old, rec) })
	if err == nil {
		r.t.redact(rec)
	}
	return err
}

func (r *Records[T]) update(ctx context.Context, tx *sql.Tx, rec *T) (*T, error) {
	id := *r.t.id(rec)
	old, err := r.get(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := r.t.check(ctx, tx, rec, old); err != nil {
		return nil, err
	}
	created, updated := r.t.stamps(rec)
	oldCreated, _ := r.t.stamps(old)
	*created, *updated = *oldCreated, r.s.opts.Now().UTC()
	if r.t.by != nil {
		cb, ub := r.t.by(rec)
		oldCB, _ := r.t.by(old)
		*cb, *ub = *oldCB, actorName(ctx)
	}
	sets := strings.Join(r.t.allColumns(), " = ?, ") + " = ?, updated_at = ?"
	args := append(r.t.allValues(rec), updated.UnixNano(), id)
	if _, err := tx.ExecContext(ctx, "UPDATE "+r.t.name+" SET "+sets+" WHERE id = ?", args...); err != nil {
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
	carry := carryActor(ctx)
	return r.s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ctx = carry(ctx)
		var err error
		if old, err = r.get(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.t.name+" WHERE id = ?", id); err != nil {
			return r.mapError(err, "delete")
		}
		if err := r.wrote(ctx, tx, old, nil); err != nil {
			return err
		}
		return r.auditRecord(ctx, tx, r.s.opts.Now().UTC(), "delete", old, nil)
	}, func() { r.t.afterCommit(old, nil) })
}

// mapError turns constraint failures into conflicts the API can explain.
func (r *Records[T]) mapError(err error, op string) error {
	switch kind, msg := sqlite.ConstraintOf(err); kind {
	case sqlite.ReferenceConstraint:
		return &ConflictError{Msg: fmt.Sprintf("cannot %s this %s: other records still refer to it", op, r.t.label)}
	case sqlite.UniqueConstraint:
		return &ConflictError{Msg: fmt.Sprintf("cannot %s this %s: %s", op, r.t.label, msg)}
	}
	return fmt.Errorf("store: %s %s: %w", op, r.t.label, err)
}

// exists checks that a referenced record is there (core.Exists).
func exists(ctx context.Context, tx *sql.Tx, tableName string, id int64, field, label string) error {
	return core.Exists(ctx, tx, tableName, id, field, label)
}

func nothing[T any](*T)           {}
func nothingAfter[T any](_, _ *T) {}
