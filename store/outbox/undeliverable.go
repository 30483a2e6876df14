package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// UndeliverableItem is an outbox row an output settled as undeliverable.
type UndeliverableItem struct {
	ID         int64     `json:"id"` // the outbox row
	Kind       string    `json:"kind"`
	SignalID   int64     `json:"signal_id,omitempty"`
	IncidentID int64     `json:"incident_id,omitempty"` // for an incident update
	Receiver   int       `json:"receiver,omitempty"`
	Account    string    `json:"account,omitempty"`
	Format     string    `json:"format,omitempty"`
	Code       string    `json:"code,omitempty"`
	ReceivedAt time.Time `json:"received_at"` // the signal's receive time (the step's time for an incident update)
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"` // when the output gave up on it
}

// Undelivered is a row MarkUndeliverable has just settled, as its
// Options.Undeliverable hook gets it.
type Undelivered struct {
	OutboxID int64
	Output   string
	Reason   string
	At       time.Time
	// SignalID is the row's signal; not valid for an incident update.
	SignalID sql.NullInt64
}

// MarkUndeliverable settles a pending outbox row of output as undeliverable
// for reason: it leaves the pending set without being delivered, stays
// listed by UndeliverableOutbox, and the output's undeliverable incident is
// opened (or, while one is open, the signal joins it). All of it in one
// transaction. A row already delivered or settled is left as it is.
func (o *Outbox) MarkUndeliverable(ctx context.Context, id int64, output, reason string, at time.Time) error {
	var after func()
	return o.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		after = nil
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET undeliverable_at = ?, undeliverable_reason = ?, last_error = ?
			WHERE id = ? AND target = ? AND delivered_at IS NULL AND undeliverable_at IS NULL`,
			at.UnixNano(), reason, reason, id, output)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		u := Undelivered{OutboxID: id, Output: output, Reason: reason, At: at}
		if err := tx.QueryRowContext(ctx, `SELECT signal_id FROM outbox WHERE id = ?`, id).Scan(&u.SignalID); err != nil {
			return err
		}
		if o.opts.Undeliverable == nil {
			return nil
		}
		after, err = o.opts.Undeliverable(ctx, tx, u)
		return err
	}, func() {
		if after != nil {
			after()
		}
	})
}

// UndeliverableOutbox lists the rows output settled as undeliverable, in
// outbox order, after the row afterID, at most limit (0: 100). An output
// the store does not know is core.ErrNotFound.
func (o *Outbox) UndeliverableOutbox(ctx context.Context, output string, afterID int64, limit int) ([]UndeliverableItem, error) {
	if !o.known(output) {
		return nil, fmt.Errorf("%w: no output named %q", core.ErrNotFound, output)
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > core.MaxListLimit:
		limit = core.MaxListLimit
	}
	rows, err := o.rdb.QueryContext(ctx, `SELECT o.id, o.kind, coalesce(o.signal_id, 0), coalesce(o.incident_id, 0),
		coalesce(s.receiver, 0), coalesce(s.account, ''), coalesce(s.format, ''), coalesce(s.event_code, ''),
		o.created_at, o.undeliverable_reason, o.undeliverable_at
		FROM outbox o LEFT JOIN signals s ON s.id = o.signal_id
		WHERE o.target = ? AND o.undeliverable_at IS NOT NULL AND o.id > ? ORDER BY o.id LIMIT ?`, output, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: undeliverable: %w", err)
	}
	out, err := core.AppendRows([]UndeliverableItem{}, rows, func(sc core.RowScanner) (UndeliverableItem, error) {
		var it UndeliverableItem
		err := sc.Scan(&it.ID, &it.Kind, &it.SignalID, &it.IncidentID, &it.Receiver, &it.Account, &it.Format, &it.Code,
			core.NanoTime{T: &it.ReceivedAt}, &it.Reason, core.NanoTime{T: &it.At})
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: undeliverable: %w", err)
	}
	return out, nil
}
