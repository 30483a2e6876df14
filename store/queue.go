package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/alarmrx/alarmrx/protocols"
)

// Handling modes: what the queue does with one signal (stored in
// signals.handling).
const (
	HandlingQueue  = "queued"   // opens or joins its account's incident
	HandlingAttach = "attached" // joins the open incident if there is one (restores, unknown accounts), else logged
	HandlingLog    = "logged"   // stored only (openings, closings, tests, info)
	HandlingTest   = "test"     // in an on-test scope: stored, listed as a test result, never queued
	HandlingRepeat = "repeat"   // a runaway's repeat: auto-logged on its incident, never alarmed again
)

// Incident kinds.
const (
	IncidentAlarm          = "alarm"
	IncidentUnknownAccount = "unknown_account"
	IncidentRunaway        = "runaway"
	// IncidentUnencrypted: plain frames for an account that must encrypt.
	IncidentUnencrypted = EventUnencrypted
)

// troublePriority is the priority of the trouble incidents frames raise:
// supervisory/trouble (design.md §5).
const troublePriority = 6

// Incident statuses.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// Handling is the pipeline's decision for one event.
type Handling struct {
	Mode     string
	Priority int // effective priority (1 most urgent), overrides applied
	// Runaway marks the signal that tripped the runaway detector: its
	// incident becomes (or is flagged as) a runaway incident.
	Runaway bool
	// RunawayDetail says why, for the action log ("11 signals in 2m0s").
	RunawayDetail string
}

func (rec *Receipt) handling(i int, e *protocols.Event) Handling {
	if i < len(rec.Handling) && rec.Handling[i].Mode != "" {
		h := rec.Handling[i]
		if h.Priority == 0 {
			h.Priority = e.Category.DefaultPriority()
		}
		return h
	}
	return Handling{Mode: HandlingLog, Priority: e.Category.DefaultPriority()}
}

// incidentKey names the account an incident belongs to: its id when known,
// else receiver and number, so that an unknown account's signals group too.
func incidentKey(receiver int, account string, res Resolution) string {
	if res.Known() {
		return "id:" + strconv.FormatInt(res.AccountID, 10)
	}
	return "unknown:" + strconv.Itoa(receiver) + "/" + account
}

// openIncident returns the open incident of an account key and its
// priority, or 0.
func (st *txStmts) openIncident(ctx context.Context, key string) (id int64, priority int, err error) {
	err = st.queryRow(ctx, `SELECT id, priority FROM incidents WHERE account_key = ? AND status = 'open'`, key).
		Scan(&id, &priority)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return id, priority, err
}

func (st *txStmts) logAction(ctx context.Context, incident int64, at int64, userID int64, user, action string, detail any) error {
	d, err := jsonText(detail)
	if err != nil {
		return err
	}
	_, err = st.exec(ctx, `INSERT INTO incident_actions (incident_id, at, user_id, user_name, action, detail)
		VALUES (?,?,?,?,?,?)`, incident, at, nullID(userID), user, action, d)
	return err
}

// systemUser is the name on action-log entries the receiver writes itself.
const systemUser = "system"

// queueSignal applies the handling decision of one stored signal to the
// queue, inside the signal's own transaction [design.md §2: signal rows and
// incident rows commit together].
func (st *txStmts) queueSignal(ctx context.Context, signalID int64, rec *Receipt, e *protocols.Event, account string, res Resolution, h Handling) error {
	at := rec.ReceivedAt.UnixNano()
	key := incidentKey(rec.Receiver, account, res)
	switch h.Mode {
	case HandlingQueue:
	case HandlingAttach, HandlingRepeat:
		id, _, err := st.openIncident(ctx, key)
		if err != nil || id == 0 {
			return err
		}
		role := "restore"
		switch {
		case h.Mode == HandlingRepeat:
			role = "repeat"
		case e.Qualifier != protocols.QualifierRestore:
			role = "alarm"
		}
		if _, err := st.exec(ctx, `INSERT INTO incident_signals (incident_id, signal_id, role) VALUES (?,?,?)`, id, signalID, role); err != nil {
			return err
		}
		st.touch(id, "signal", rec)
		_, err = st.exec(ctx, `UPDATE incidents SET signal_count = signal_count + 1, last_signal_at = ?,
			restored = CASE WHEN ? = 'restore' THEN 1 ELSE restored END WHERE id = ?`, at, role, id)
		return err
	default:
		return nil
	}
	id, priority, err := st.openIncident(ctx, key)
	if err != nil {
		return err
	}
	kind := IncidentAlarm
	if h.Runaway {
		kind = IncidentRunaway
	}
	if id == 0 {
		res2, err := st.exec(ctx, `INSERT INTO incidents (account_key, account_id, site_id, receiver, account,
			kind, title, priority, status, opened_at, last_signal_at, signal_count)
			VALUES (?,?,?,?,?,?,?,?,'open',?,?,1)`,
			key, nullID(res.AccountID), nullID(res.SiteID), rec.Receiver, account, kind, incidentTitle(e), h.Priority, at, at)
		if err != nil {
			return err
		}
		if id, err = res2.LastInsertId(); err != nil {
			return err
		}
		if err := st.logAction(ctx, id, at, 0, systemUser, "opened", map[string]any{
			"signal_id": signalID, "code": e.Code, "zone": e.Zone, "priority": h.Priority}); err != nil {
			return err
		}
	} else {
		// A better (lower) priority raises the incident; a worse one never
		// lowers it [automation-research.md §6.3 grouping].
		if _, err := st.exec(ctx, `UPDATE incidents SET signal_count = signal_count + 1, last_signal_at = ?,
			restored = 0, priority = min(priority, ?), kind = CASE WHEN ? THEN 'runaway' ELSE kind END WHERE id = ?`,
			at, h.Priority, h.Runaway, id); err != nil {
			return err
		}
		if h.Priority < priority {
			if err := st.logAction(ctx, id, at, 0, systemUser, "priority_raised", map[string]any{
				"from": priority, "to": h.Priority, "signal_id": signalID, "code": e.Code}); err != nil {
				return err
			}
		}
	}
	if h.Runaway {
		if err := st.logAction(ctx, id, at, 0, systemUser, "runaway", map[string]any{
			"signal_id": signalID, "code": e.Code, "zone": e.Zone, "detail": h.RunawayDetail}); err != nil {
			return err
		}
	}
	st.touch(id, "signal", rec)
	_, err = st.exec(ctx, `INSERT INTO incident_signals (incident_id, signal_id, role) VALUES (?,?,'alarm')`, id, signalID)
	return err
}

func incidentTitle(e *protocols.Event) string {
	t := e.Description
	if t == "" {
		t = e.Format + " " + e.Code
	}
	if e.Zone != "" {
		t += " — zone " + e.Zone
	}
	return t
}

// openUnknownIncident opens the incident of an unknown account, unless one
// is open already.
func (st *txStmts) openUnknownIncident(ctx context.Context, rec *Receipt, account string) error {
	key := incidentKey(rec.Receiver, account, Resolution{})
	id, _, err := st.openIncident(ctx, key)
	if err != nil || id != 0 {
		return err
	}
	at := rec.ReceivedAt.UnixNano()
	priority := rec.UnknownPriority
	if priority == 0 {
		priority = protocols.CategoryAlarm.DefaultPriority()
	}
	res, err := st.exec(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
		status, opened_at, last_signal_at) VALUES (?,?,?,?,?,?,'open',?,?)`,
		key, rec.Receiver, account, IncidentUnknownAccount, fmt.Sprintf("Unknown account %s on receiver %d", account, rec.Receiver),
		priority, at, at)
	if err != nil {
		return err
	}
	id, err = res.LastInsertId()
	if err != nil {
		return err
	}
	st.touch(id, "opened", rec)
	return st.logAction(ctx, id, at, 0, systemUser, "opened", map[string]any{"reason": "unknown account", "listener": rec.Listener})
}

// raiseTrouble writes a frame's station event and opens its trouble
// incident, or joins the one still open for the same account and kind.
func (st *txStmts) raiseTrouble(ctx context.Context, rec *Receipt, frameID int64) error {
	tr := rec.Trouble
	at := rec.ReceivedAt.UnixNano()
	detail, err := jsonText(map[string]any{"frame_id": frameID, "listener": rec.Listener, "remote_addr": rec.RemoteAddr})
	if err != nil {
		return err
	}
	if _, err := st.event.ExecContext(ctx, at, tr.Kind, rec.Receiver, tr.Account, detail); err != nil {
		return err
	}
	key := tr.Kind + ":" + strconv.Itoa(rec.Receiver) + "/" + tr.Account
	id, _, err := st.openIncident(ctx, key)
	if err != nil {
		return err
	}
	if id != 0 {
		if _, err := st.exec(ctx, `UPDATE incidents SET last_signal_at = ? WHERE id = ?`, at, id); err != nil {
			return err
		}
		st.touch(id, "signal", rec)
		return st.logAction(ctx, id, at, 0, systemUser, "again", map[string]any{"frame_id": frameID, "remote_addr": rec.RemoteAddr})
	}
	res, err := st.exec(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
		status, opened_at, last_signal_at) VALUES (?,?,?,?,?,?,'open',?,?)`,
		key, rec.Receiver, tr.Account, tr.Kind, tr.Title, troublePriority, at, at)
	if err != nil {
		return err
	}
	if id, err = res.LastInsertId(); err != nil {
		return err
	}
	st.touch(id, "opened", rec)
	return st.logAction(ctx, id, at, 0, systemUser, "opened", map[string]any{"reason": tr.Kind, "frame_id": frameID,
		"listener": rec.Listener, "remote_addr": rec.RemoteAddr})
}

// touch records that the transaction changed an incident, for the queue
// subscribers once it commits.
func (st *txStmts) touch(id int64, action string, rec *Receipt) {
	st.touched = append(st.touched, QueueEvent{IncidentID: id, Action: action, ReceivedAt: rec.ReceivedAt})
}
