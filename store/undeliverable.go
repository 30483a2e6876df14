package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/alarmrx/alarmrx/store/outbox"
	"github.com/alarmrx/alarmrx/store/queue"
)

// IncidentOutputUndeliverable is the kind of the incident an output opens
// when it has a signal it cannot carry: one per output while it is open;
// further undeliverable signals join it.
const IncidentOutputUndeliverable = "output_undeliverable"

// raiseUndeliverable opens the output's undeliverable incident for a row
// the outbox has just settled (or, while one is open, the signal joins
// it), in the outbox's transaction; the queue hears of it after the commit.
func (s *Store) raiseUndeliverable(ctx context.Context, tx *sql.Tx, u outbox.Undelivered) (after func(), err error) {
	st := queue.NewTx(tx)
	key := "undeliverable:" + u.Output
	inc, _, err := st.OpenIncident(ctx, key)
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"output": u.Output, "outbox_id": u.OutboxID, "reason": u.Reason}
	if u.SignalID.Valid {
		detail["signal_id"] = u.SignalID.Int64
	}
	action := "undeliverable"
	var touched QueueEvent
	if inc == 0 {
		err := tx.QueryRowContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
			status, opened_at, last_signal_at) VALUES (?,0,'',?,?,?,'open',?,?) RETURNING id`, key, IncidentOutputUndeliverable,
			fmt.Sprintf("Undeliverable: output %s has no record for a signal; such signals are not sent to it "+
				"and are listed in /api/v1/outputs/%s/undeliverable", u.Output, u.Output),
			troublePriority, u.At.UnixNano(), u.At.UnixNano()).Scan(&inc)
		if err != nil {
			return nil, err
		}
		action = "opened"
		touched = QueueEvent{IncidentID: inc, Action: "opened"}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_signal_at = ? WHERE id = ?`, u.At.UnixNano(), inc); err != nil {
			return nil, err
		}
		touched = QueueEvent{IncidentID: inc, Action: "signal"}
	}
	if u.SignalID.Valid {
		r, err := tx.ExecContext(ctx, `INSERT INTO incident_signals (incident_id, signal_id, role) VALUES (?,?,'undeliverable')
			ON CONFLICT (incident_id, signal_id) DO NOTHING`,
			inc, u.SignalID.Int64)
		if err != nil {
			return nil, err
		}
		if n, _ := r.RowsAffected(); n > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET signal_count = signal_count + 1 WHERE id = ?`, inc); err != nil {
				return nil, err
			}
		}
	}
	if err := st.LogAction(ctx, inc, u.At.UnixNano(), 0, systemUser, action, detail); err != nil {
		return nil, err
	}
	return func() { s.queue.publish(touched) }, nil
}
