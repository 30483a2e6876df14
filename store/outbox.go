package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/sqlite"
)

// OutboxTarget is an output that gets an outbox row for every stored
// signal it wants.
type OutboxTarget struct {
	Name string
	// Categories limits the output to these event categories; empty means
	// every category.
	Categories []string
	// IncludeTests also forwards signals received in an on-test scope.
	IncludeTests bool
	// IncidentUpdates also queues operator steps on incidents (claimed,
	// resolved, …) for the output.
	IncidentUpdates bool
}

func (t *OutboxTarget) wants(e *protocols.Event, test bool) bool {
	if test && !t.IncludeTests {
		return false
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

// queueOutbox writes the outbox rows of one stored signal.
func (st *txStmts) queueOutbox(ctx context.Context, targets []OutboxTarget, signalID int64, received int64, e *protocols.Event, test bool) error {
	for i := range targets {
		if !targets[i].wants(e, test) {
			continue
		}
		if _, err := st.exec(ctx, `INSERT INTO outbox (target, signal_id, created_at) VALUES (?,?,?)`,
			targets[i].Name, signalID, received); err != nil {
			return err
		}
	}
	return nil
}

// OutboxItem is one signal (or incident update) waiting for an output,
// with what encoders need.
type OutboxItem struct {
	ID int64
	// Kind is "signal" or "incident"; an incident update has IncidentID,
	// Action and Incident set and no signal.
	Kind       string
	IncidentID int64
	Action     string
	Incident   *Incident
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
func (s *Store) PendingOutbox(ctx context.Context, target string, limit int) ([]OutboxItem, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT o.id, o.kind, o.created_at, o.attempts, coalesce(o.incident_id, 0), o.action,
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
	out, err := sqlite.AppendRows(nil, rows, scanOutboxItem)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].IncidentID != 0 {
			if out[i].Incident, err = s.Incident(ctx, out[i].IncidentID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// scanOutboxItem reads a row of PendingOutbox's query.
func scanOutboxItem(sc sqlite.RowScanner) (OutboxItem, error) {
	var it OutboxItem
	var q, kind, cat, mods string
	var known int
	var panel sql.NullInt64
	e := &it.Event
	if err := sc.Scan(&it.ID, &it.Kind, nanoTime{&it.CreatedAt}, &it.Attempts, &it.IncidentID, &it.Action,
		&it.SignalID, nanoTime{&it.ReceivedAt}, &it.Receiver, &it.Line, &it.Listener,
		&it.Account, &it.Resolution, &it.SiteID, &e.Format, &e.Code, &q, &e.Partition, &e.Zone, &e.User, &e.Address,
		&kind, &known, &e.Description, &cat, &e.Text, &mods, &panel); err != nil {
		return OutboxItem{}, fmt.Errorf("store: outbox: %w", err)
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

// queueIncidentUpdate writes outbox rows for an operator step on an
// incident, for the outputs that want incident updates.
func (s *Store) queueIncidentUpdate(ctx context.Context, tx *sql.Tx, incident int64, action string, at time.Time) error {
	for _, t := range s.opts.Outbox {
		if !t.IncidentUpdates {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (target, kind, incident_id, action, created_at) VALUES (?,?,?,?,?)`,
			t.Name, "incident", incident, action, at.UnixNano()); err != nil {
			return err
		}
	}
	return nil
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

// MarkDelivered records that an output acknowledged items.
func (s *Store) MarkDelivered(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.opts.Now().UnixNano()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		args := []any{now}
		for _, id := range ids {
			args = append(args, id)
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET delivered_at = ? WHERE undeliverable_at IS NULL AND id IN (`+marks+`)`, args...)
		return err
	})
}

// MarkAttempt records a failed delivery attempt.
func (s *Store) MarkAttempt(ctx context.Context, id int64, why string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, why, id)
		return err
	})
}

// OutboxLag returns how many items wait for a target (neither delivered nor
// undeliverable) and the receive time of the oldest (zero when none).
func (s *Store) OutboxLag(ctx context.Context, target string) (int, time.Time, error) {
	for _, t := range s.opts.Outbox {
		if t.Name != target {
			continue
		}
		// A configured output's figures are counted after commits (gauges.go):
		// the outputs' scrape callbacks ask for them.
		sn := s.gauges.current(ctx)
		if sn.err != nil {
			return 0, time.Time{}, sn.err
		}
		l := sn.outbox[target]
		return l.n, l.oldest, nil
	}
	return s.queryOutboxLag(ctx, target)
}

func (s *Store) queryOutboxLag(ctx context.Context, target string) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE target = ? AND delivered_at IS NULL AND undeliverable_at IS NULL`, target).
		Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: outbox lag: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromNanos(oldest.Int64), nil
}
