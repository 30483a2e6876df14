package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/sqlite"
)

// IncidentOutputUndeliverable is the kind of the incident an output opens
// when it has a signal it cannot carry: one per output while it is open;
// further undeliverable signals join it.
const IncidentOutputUndeliverable = "output_undeliverable"

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

// MarkUndeliverable settles a pending outbox row of output as undeliverable
// for reason: it leaves the pending set without being delivered, stays
// listed by UndeliverableOutbox, and the output's undeliverable incident is
// opened (or, while one is open, the signal joins it). All of it in one
// transaction. A row already delivered or settled is left as it is.
func (s *Store) MarkUndeliverable(ctx context.Context, id int64, output, reason string, at time.Time) error {
	var touched []QueueEvent
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		touched = nil
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET undeliverable_at = ?, undeliverable_reason = ?, last_error = ?
			WHERE id = ? AND target = ? AND delivered_at IS NULL AND undeliverable_at IS NULL`,
			at.UnixNano(), reason, reason, id, output)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		var signalID sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT signal_id FROM outbox WHERE id = ?`, id).Scan(&signalID); err != nil {
			return err
		}
		st := &txStmts{tx: tx}
		key := "undeliverable:" + output
		inc, _, err := st.openIncident(ctx, key)
		if err != nil {
			return err
		}
		detail := map[string]any{"output": output, "outbox_id": id, "reason": reason}
		if signalID.Valid {
			detail["signal_id"] = signalID.Int64
		}
		action := "undeliverable"
		if inc == 0 {
			r, err := tx.ExecContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
				status, opened_at, last_signal_at) VALUES (?,0,'',?,?,?,'open',?,?)`, key, IncidentOutputUndeliverable,
				fmt.Sprintf("Undeliverable: output %s has no record for a signal; such signals are not sent to it "+
					"and are listed in /api/v1/outputs/%s/undeliverable", output, output),
				troublePriority, at.UnixNano(), at.UnixNano())
			if err != nil {
				return err
			}
			if inc, err = r.LastInsertId(); err != nil {
				return err
			}
			action = "opened"
			touched = append(touched, QueueEvent{IncidentID: inc, Action: "opened"})
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_signal_at = ? WHERE id = ?`, at.UnixNano(), inc); err != nil {
				return err
			}
			touched = append(touched, QueueEvent{IncidentID: inc, Action: "signal"})
		}
		if signalID.Valid {
			r, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO incident_signals (incident_id, signal_id, role) VALUES (?,?,'undeliverable')`,
				inc, signalID.Int64)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE incidents SET signal_count = signal_count + 1 WHERE id = ?`, inc); err != nil {
					return err
				}
			}
		}
		return st.logAction(ctx, inc, at.UnixNano(), 0, systemUser, action, detail)
	}, func() {
		for _, e := range touched {
			s.queue.publish(e)
		}
	})
}

// UndeliverableOutbox lists the rows output settled as undeliverable, in
// outbox order, after the row afterID, at most limit (0: 100). An output
// the store does not know is ErrNotFound.
func (s *Store) UndeliverableOutbox(ctx context.Context, output string, afterID int64, limit int) ([]UndeliverableItem, error) {
	known := false
	for _, t := range s.opts.Outbox {
		known = known || t.Name == output
	}
	if !known {
		return nil, fmt.Errorf("%w: no output named %q", ErrNotFound, output)
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT o.id, o.kind, coalesce(o.signal_id, 0), coalesce(o.incident_id, 0),
		coalesce(s.receiver, 0), coalesce(s.account, ''), coalesce(s.format, ''), coalesce(s.event_code, ''),
		o.created_at, o.undeliverable_reason, o.undeliverable_at
		FROM outbox o LEFT JOIN signals s ON s.id = o.signal_id
		WHERE o.target = ? AND o.undeliverable_at IS NOT NULL AND o.id > ? ORDER BY o.id LIMIT ?`, output, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: undeliverable: %w", err)
	}
	out, err := sqlite.AppendRows([]UndeliverableItem{}, rows, func(sc sqlite.RowScanner) (UndeliverableItem, error) {
		var it UndeliverableItem
		err := sc.Scan(&it.ID, &it.Kind, &it.SignalID, &it.IncidentID, &it.Receiver, &it.Account, &it.Format, &it.Code,
			nanoTime{&it.ReceivedAt}, &it.Reason, nanoTime{&it.At})
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: undeliverable: %w", err)
	}
	return out, nil
}
