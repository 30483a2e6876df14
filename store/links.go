package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/queue"
)

// Station event kinds for supervised links.
const (
	EventLinkFail          = "link_fail"          // a legacy receiver's records and heartbeats stopped
	EventLinkRestore       = "link_restore"       // they resumed
	EventAutomationAbsent  = "automation_absent"  // an output's automation stopped acknowledging
	EventAutomationRestore = "automation_restore" // it acknowledges again
)

// IncidentLinkFail is the kind of the incident a failed link opens.
const IncidentLinkFail = "link_fail"

// linkPriority is a failed link's incident priority: supervisory/trouble
// (design.md §5).
const linkPriority = 6

// LinkChanged records a supervised link (a listener's legacy receiver)
// failing or coming back: a station event, and on failure an incident for
// the operators; the restore marks that incident restored and logs it.
func (s *Store) LinkChanged(ctx context.Context, listener string, receiver int, up bool, at time.Time) error {
	return s.supervised(ctx, supervisedLink{
		key: "link:" + listener, what: "listener", name: listener, receiver: receiver,
		failKind: EventLinkFail, restoreKind: EventLinkRestore,
		title: fmt.Sprintf("Link failed: no records or heartbeats on listener %s", listener),
	}, up, at)
}

// OutputChanged records an automation output's automation going absent
// (not connected, or not acknowledging after the retries) or coming back,
// as LinkChanged does for listeners: a "trouble" incident for operators.
func (s *Store) OutputChanged(ctx context.Context, output string, up bool, at time.Time) error {
	return s.supervised(ctx, supervisedLink{
		key: "output:" + output, what: "output", name: output,
		failKind: EventAutomationAbsent, restoreKind: EventAutomationRestore,
		title: fmt.Sprintf("Automation absent: output %s is not acknowledging; signals wait in its outbox", output),
	}, up, at)
}

type supervisedLink struct {
	key, what, name       string
	receiver              int
	failKind, restoreKind string
	title                 string
}

func (s *Store) supervised(ctx context.Context, l supervisedLink, up bool, at time.Time) error {
	var touched []QueueEvent
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		touched = nil
		st := queue.NewTx(tx)
		kind := l.failKind
		if up {
			kind = l.restoreKind
		}
		receiver := l.receiver
		detail, err := core.JSONText(map[string]any{l.what: l.name})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, detail) VALUES (?,?,?,?,?)`,
			at.UnixNano(), kind, receiver, "", detail); err != nil {
			return err
		}
		key := l.key
		id, _, err := st.OpenIncident(ctx, key)
		if err != nil {
			return err
		}
		switch {
		case up && id != 0:
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET restored = 1, last_signal_at = ? WHERE id = ?`, at.UnixNano(), id); err != nil {
				return err
			}
			touched = append(touched, QueueEvent{IncidentID: id, Action: "restored"})
			return st.LogAction(ctx, id, at.UnixNano(), 0, systemUser, "restored", map[string]any{l.what: l.name})
		case !up && id == 0:
			if err := tx.QueryRowContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
				status, opened_at, last_signal_at) VALUES (?,?,'',?,?,?,'open',?,?) RETURNING id`, key, receiver, IncidentLinkFail,
				l.title, linkPriority, at.UnixNano(), at.UnixNano()).Scan(&id); err != nil {
				return err
			}
			touched = append(touched, QueueEvent{IncidentID: id, Action: "opened"})
			return st.LogAction(ctx, id, at.UnixNano(), 0, systemUser, "opened", map[string]any{"reason": kind, l.what: l.name})
		case !up:
			// Still open from an earlier failure: it fails again.
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET restored = 0, last_signal_at = ? WHERE id = ?`, at.UnixNano(), id); err != nil {
				return err
			}
			touched = append(touched, QueueEvent{IncidentID: id, Action: "signal"})
			return st.LogAction(ctx, id, at.UnixNano(), 0, systemUser, "failed_again", map[string]any{l.what: l.name})
		}
		return nil
	}, func() {
		for _, e := range touched {
			s.queue.publish(e)
		}
	})
	return err
}
