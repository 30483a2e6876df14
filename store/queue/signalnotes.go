package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/store/core"
)

// SignalNote is an operator's note on a signal that is in no incident: an
// opening, a closing, a test, logged only. The morning report lists it
// under its event, and the portal shows it with the signal.
type SignalNote struct {
	ID       int64     `json:"id"`
	SignalID int64     `json:"signal_id"`
	At       time.Time `json:"at"`
	UserID   *int64    `json:"user_id"`
	UserName string    `json:"user_name"`
	Note     string    `json:"note"`
}

// MaxNoteLength caps one note on a signal, in characters.
const MaxNoteLength = 4000

// AddSignalNote attaches a station user's note to a signal, with who and
// when, and records it in the audit log, in one transaction. A signal that
// opened or joined an incident takes its notes on the incident (Act): the
// note is refused with a ConflictError naming the incident.
func (b *Board) AddSignalNote(ctx context.Context, signalID int64, actor core.Actor, note string) (*SignalNote, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return nil, core.Invalid("note", "is required")
	case utf8.RuneCountInString(note) > MaxNoteLength:
		return nil, core.Invalid("note", "is longer than %d characters", MaxNoteLength)
	case actor.ID == 0:
		return nil, core.Invalid("user", "notes are written by station users")
	}
	now := b.opts.Now().UTC()
	n := &SignalNote{SignalID: signalID, At: now, UserID: &actor.ID, UserName: actor.Name, Note: note}
	var site sql.NullInt64
	err := b.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT site_id FROM signals WHERE id = ?`, signalID).Scan(&site)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: signal %d", core.ErrNotFound, signalID)
		}
		if err != nil {
			return err
		}
		var incident int64
		err = tx.QueryRowContext(ctx, `SELECT incident_id FROM incident_signals WHERE signal_id = ? ORDER BY incident_id LIMIT 1`,
			signalID).Scan(&incident)
		if err == nil {
			return &core.ConflictError{Field: "note", Msg: fmt.Sprintf("signal %d belongs to incident %d: write the note on the incident", signalID, incident)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO signal_notes (signal_id, at, user_id, user_name, note) VALUES (?,?,?,?,?)
			RETURNING id`, signalID, now.UnixNano(), core.NullID(actor.ID), actor.Name, note).Scan(&n.ID); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, actor, "signal.note", fmt.Sprintf("signal:%d", signalID), map[string]any{"note": note})
	})
	if err != nil {
		return nil, err
	}
	if site.Valid && b.opts.SiteChanged != nil {
		b.opts.SiteChanged(site.Int64, "note")
	}
	return n, nil
}

// SignalNotes lists the notes on a signal, oldest first.
func (b *Board) SignalNotes(ctx context.Context, signalID int64) ([]SignalNote, error) {
	byID, err := b.NotesOf(ctx, []int64{signalID})
	if err != nil {
		return nil, err
	}
	if byID[signalID] == nil {
		return []SignalNote{}, nil
	}
	return byID[signalID], nil
}

// NotesOf returns the notes on the given signals, oldest first, by signal.
// It reads the id range of the signals, which the index on signal_notes
// serves at any table size, and keeps the notes of those asked for.
func (b *Board) NotesOf(ctx context.Context, ids []int64) (map[int64][]SignalNote, error) {
	out := map[int64][]SignalNote{}
	if len(ids) == 0 {
		return out, nil
	}
	lo, hi := ids[0], ids[0]
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		lo, hi = min(lo, id), max(hi, id)
		want[id] = true
	}
	rows, err := b.rdb.QueryContext(ctx, `SELECT id, signal_id, at, user_id, user_name, note FROM signal_notes
		WHERE signal_id BETWEEN ? AND ? ORDER BY id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: signal notes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n SignalNote
		if err := rows.Scan(&n.ID, &n.SignalID, core.NanoTime{T: &n.At}, &n.UserID, &n.UserName, &n.Note); err != nil {
			return nil, fmt.Errorf("store: signal notes: %w", err)
		}
		if want[n.SignalID] {
			out[n.SignalID] = append(out[n.SignalID], n)
		}
	}
	return out, rows.Err()
}
