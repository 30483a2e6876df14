package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ScopeSites returns the sites of a customer and of every customer below
// it (HQ → region → store): what a contact of that customer may see, and
// nothing else [design.md §4].
func (s *Store) ScopeSites(ctx context.Context, customerID int64) ([]Site, error) {
	ids, err := s.queryIDs(ctx, `WITH RECURSIVE tree(id) AS (
			SELECT ? UNION SELECT c.id FROM customers c JOIN tree ON c.parent_id = tree.id)
		SELECT id FROM sites WHERE customer_id IN (SELECT id FROM tree) ORDER BY id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("store: scope: %w", err)
	}
	out := []Site{}
	for _, id := range ids {
		site, err := s.Sites.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *site)
	}
	return out, nil
}

// queryIDs runs a query of one id column.
func (s *Store) queryIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SiteActivity lists a site's signals received in [from, to), oldest first.
func (s *Store) SiteActivity(ctx context.Context, siteID int64, from, to time.Time) ([]Signal, error) {
	ids, err := s.queryIDs(ctx, `SELECT id FROM signals WHERE site_id = ? AND received_at >= ? AND received_at < ?
		ORDER BY id LIMIT ?`, siteID, from.UnixNano(), to.UnixNano(), MaxListLimit)
	if err != nil {
		return nil, fmt.Errorf("store: site activity: %w", err)
	}
	if len(ids) == 0 {
		return []Signal{}, nil
	}
	return s.Signals(ctx, SignalFilter{IDs: ids, Limit: MaxListLimit})
}

// FirstAccountAt is when the site's first account still there was added:
// since then the station has watched it. ok is false for a site without
// accounts.
func (s *Store) FirstAccountAt(ctx context.Context, siteID int64) (at time.Time, ok bool, err error) {
	var first sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(created_at) FROM accounts WHERE site_id = ?`, siteID).Scan(&first); err != nil {
		return time.Time{}, false, fmt.Errorf("store: first account: %w", err)
	}
	if !first.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, first.Int64).UTC(), true, nil
}

// SiteIncidents lists the incidents of a site opened in [from, to).
func (s *Store) SiteIncidents(ctx context.Context, siteID int64, from, to time.Time) ([]Incident, error) {
	return s.queryIncidents(ctx, s.rdb, `i.site_id = ? AND i.opened_at >= ? AND i.opened_at < ? ORDER BY i.id`,
		siteID, from.UnixNano(), to.UnixNano())
}

// Report is one customer's morning report.
type Report struct {
	ID         int64      `json:"id"`
	CustomerID int64      `json:"customer_id"`
	Night      string     `json:"night"`
	From       time.Time  `json:"from"`
	To         time.Time  `json:"to"`
	Recipients string     `json:"recipients"`
	Subject    string     `json:"subject"`
	HTML       string     `json:"-"`
	Text       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"last_error"`
}

// SaveReport stores a report unless the customer already has one for that
// night; it returns the stored one either way (created reports whether it
// is new).
func (s *Store) SaveReport(ctx context.Context, r *Report) (stored *Report, created bool, err error) {
	now := s.opts.Now().UTC()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO reports (customer_id, night, window_from, window_to, recipients, subject,
			html, text, created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (customer_id, night) DO NOTHING`,
			r.CustomerID, r.Night, r.From.UnixNano(), r.To.UnixNano(), r.Recipients, r.Subject, r.HTML, r.Text, now.UnixNano())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	stored, err = s.ReportFor(ctx, r.CustomerID, r.Night)
	return stored, created, err
}

const reportColumns = `id, customer_id, night, window_from, window_to, recipients, subject, html, text, created_at, sent_at, attempts, last_error`

func scanReport(sc interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	err := sc.Scan(&r.ID, &r.CustomerID, &r.Night, nanoTime{&r.From}, nanoTime{&r.To}, &r.Recipients, &r.Subject, &r.HTML, &r.Text,
		nanoTime{&r.CreatedAt}, nanoTimePtr{&r.SentAt}, &r.Attempts, &r.LastError)
	return &r, err
}

// ReportFor returns a customer's report of a night.
func (s *Store) ReportFor(ctx context.Context, customerID int64, night string) (*Report, error) {
	r, err := scanReport(s.rdb.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE customer_id = ? AND night = ?`, customerID, night))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report of customer %d for %s", ErrNotFound, customerID, night)
	}
	return r, err
}

// Report returns one report.
func (s *Store) Report(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(s.rdb.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report %d", ErrNotFound, id)
	}
	return r, err
}

// Reports lists a customer's reports, newest first (0: every customer).
func (s *Store) Reports(ctx context.Context, customerID int64, limit int) ([]Report, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE ? = 0 OR customer_id = ?
		ORDER BY id DESC LIMIT ?`, customerID, customerID, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: reports: %w", err)
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// MarkReport records a sending attempt: sent, or failed with why.
func (s *Store) MarkReport(ctx context.Context, id int64, sendErr error) error {
	now := s.opts.Now().UnixNano()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if sendErr == nil {
			_, err := tx.ExecContext(ctx, `UPDATE reports SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, now, id)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE reports SET attempts = attempts + 1, last_error = ? WHERE id = ?`, sendErr.Error(), id)
		return err
	})
}
