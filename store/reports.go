package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/store/sqlite"
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
	return s.sitesByID(ctx, ids)
}

// sitesByID reads the sites with the ids given, in that order.
func (s *Store) sitesByID(ctx context.Context, ids []int64) ([]Site, error) {
	out := make([]Site, 0, len(ids))
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
	return sqlite.AppendRows(nil, rows, scanID)
}

// scanID reads a row of one id column.
func scanID(sc sqlite.RowScanner) (int64, error) {
	var id int64
	err := sc.Scan(&id)
	return id, err
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
	// Annotation is the client's note on the report, added after it was
	// mailed (a mailed report itself cannot change); UpdatedBy and
	// UpdatedAt say who last changed it and when, CreatedBy who wrote the
	// report ("station": the reporter).
	Annotation string    `json:"annotation"`
	CreatedBy  string    `json:"created_by"`
	UpdatedBy  string    `json:"updated_by"`
	UpdatedAt  time.Time `json:"updated_at"`
	// DeletedAt and DeletedBy are set once the report was deleted: its
	// content is erased, the row stays so that the night is not reported
	// again.
	DeletedAt *time.Time `json:"deleted_at"`
	DeletedBy string     `json:"deleted_by"`
}

// SaveReport stores a report unless the customer already has one for that
// night, with one delivery per recipient (to); it returns the stored one
// either way (created reports whether it is new).
func (s *Store) SaveReport(ctx context.Context, r *Report, to []ReportRecipient) (stored *Report, created bool, err error) {
	now := s.opts.Now().UTC()
	by := actorName(ctx)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO reports (customer_id, night, window_from, window_to, recipients, subject,
			html, text, created_at, created_by, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (customer_id, night) DO NOTHING`,
			r.CustomerID, r.Night, r.From.UnixNano(), r.To.UnixNano(), r.Recipients, r.Subject, r.HTML, r.Text, now.UnixNano(),
			by, by, now.UnixNano())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if created = n == 1; !created {
			return nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		return addDeliveries(ctx, tx, id, to)
	})
	if err != nil {
		return nil, false, err
	}
	stored, err = s.ReportFor(ctx, r.CustomerID, r.Night)
	return stored, created, err
}

func addDeliveries(ctx context.Context, tx *sql.Tx, reportID int64, to []ReportRecipient) error {
	for _, rc := range to {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_deliveries (report_id, kind, recipient_id, name, address)
			VALUES (?,?,?,?,?) ON CONFLICT (report_id, address) DO NOTHING`, reportID, rc.Kind, rc.ID, rc.Name, rc.Email); err != nil {
			return err
		}
	}
	return nil
}

const reportColumns = `id, customer_id, night, window_from, window_to, recipients, subject, html, text, created_at, sent_at, attempts,
	last_error, annotation, created_by, updated_by, updated_at, deleted_at, deleted_by`

func scanReport(sc sqlite.RowScanner) (*Report, error) {
	var r Report
	err := sc.Scan(&r.ID, &r.CustomerID, &r.Night, nanoTime{&r.From}, nanoTime{&r.To}, &r.Recipients, &r.Subject, &r.HTML, &r.Text,
		nanoTime{&r.CreatedAt}, nanoTimePtr{&r.SentAt}, &r.Attempts, &r.LastError, &r.Annotation, &r.CreatedBy, &r.UpdatedBy,
		nanoTime{&r.UpdatedAt}, nanoTimePtr{&r.DeletedAt}, &r.DeletedBy)
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

// Report returns one report (a deleted one too: DeletedAt says so).
func (s *Store) Report(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(s.rdb.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report %d", ErrNotFound, id)
	}
	return r, err
}

// Reports lists a customer's reports, newest first (0: every customer),
// deleted ones included (what is left of them: who deleted them, when).
func (s *Store) Reports(ctx context.Context, customerID int64, limit int) ([]Report, error) {
	return s.reports(ctx, customerID, limit, true)
}

// KeptReports lists a customer's reports as Reports does, without the
// deleted ones: what its portal users see.
func (s *Store) KeptReports(ctx context.Context, customerID int64, limit int) ([]Report, error) {
	return s.reports(ctx, customerID, limit, false)
}

func (s *Store) reports(ctx context.Context, customerID int64, limit int, deleted bool) ([]Report, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE (? = 0 OR customer_id = ?)
		AND (? OR deleted_at IS NULL) ORDER BY id DESC LIMIT ?`, customerID, customerID, deleted, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: reports: %w", err)
	}
	return sqlite.AppendRows([]Report{}, rows, func(sc sqlite.RowScanner) (Report, error) {
		r, err := scanReport(sc)
		if err != nil {
			return Report{}, err
		}
		return *r, nil
	})
}

// MaxAnnotationLength caps a report's annotation, in characters.
const MaxAnnotationLength = 4000

// AnnotateReport sets (or, with "", removes) a report's annotation: the
// one change a mailed report can honestly take. Who changed it is the
// actor name of ctx (WithActorName). Audited as report.annotate.
func (s *Store) AnnotateReport(ctx context.Context, id int64, annotation string, by Actor) (*Report, error) {
	annotation = strings.TrimSpace(annotation)
	if utf8.RuneCountInString(annotation) > MaxAnnotationLength {
		return nil, invalid("annotation", "is longer than %d characters", MaxAnnotationLength)
	}
	now := s.opts.Now().UTC()
	name := actorName(ctx)
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET annotation = ?, updated_by = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			annotation, name, now.UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: report %d", ErrNotFound, id)
		}
		return audit(ctx, tx, now, by, "report.annotate", fmt.Sprintf("report:%d", id), map[string]any{"annotation": annotation})
	})
	if err != nil {
		return nil, err
	}
	return s.Report(ctx, id)
}

// DeleteReport deletes a report: its content (HTML, text, annotation) is
// erased, and the row stays as a tombstone naming who deleted it and when,
// so that the reporter does not write and mail the night again. The
// signals and incidents it told of stay. Audited as report.delete.
func (s *Store) DeleteReport(ctx context.Context, id int64, by Actor) error {
	now := s.opts.Now().UTC()
	name := actorName(ctx)
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var night string
		err := tx.QueryRowContext(ctx, `SELECT night FROM reports WHERE id = ? AND deleted_at IS NULL`, id).Scan(&night)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: report %d", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET html = '', text = '', annotation = '', deleted_at = ?, deleted_by = ?,
			updated_by = ?, updated_at = ? WHERE id = ?`, now.UnixNano(), name, name, now.UnixNano(), id); err != nil {
			return err
		}
		return audit(ctx, tx, now, by, "report.delete", fmt.Sprintf("report:%d", id), map[string]any{"night": night})
	})
}

// ReportDelivery is the mailing of a report to one recipient.
type ReportDelivery struct {
	ID        int64           `json:"id"`
	ReportID  int64           `json:"-"`
	Recipient ReportRecipient `json:"recipient"`
	SentAt    *time.Time      `json:"sent_at"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error"`
}

// ReportDeliveries lists a report's deliveries, one per recipient.
func (s *Store) ReportDeliveries(ctx context.Context, reportID int64) ([]ReportDelivery, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, report_id, kind, recipient_id, name, address, sent_at, attempts, last_error
		FROM report_deliveries WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: report deliveries: %w", err)
	}
	out, err := sqlite.AppendRows([]ReportDelivery{}, rows, func(sc sqlite.RowScanner) (ReportDelivery, error) {
		var d ReportDelivery
		rc := &d.Recipient
		err := sc.Scan(&d.ID, &d.ReportID, &rc.Kind, &rc.ID, &rc.Name, &rc.Email, nanoTimePtr{&d.SentAt}, &d.Attempts,
			&d.LastError)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: report deliveries: %w", err)
	}
	return out, nil
}

// PendingDeliveries returns the deliveries of a report not sent yet. A
// report stored before reports were mailed to each recipient on its own
// gets its deliveries from its recipients then (as report_email
// addresses).
func (s *Store) PendingDeliveries(ctx context.Context, rep *Report) ([]ReportDelivery, error) {
	all, err := s.ReportDeliveries(ctx, rep.ID)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 && rep.SentAt == nil {
		var to []ReportRecipient
		for _, a := range splitAddresses(rep.Recipients) {
			to = append(to, ReportRecipient{Kind: RecipientReportEmail, Email: a})
		}
		if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error { return addDeliveries(ctx, tx, rep.ID, to) }); err != nil {
			return nil, err
		}
		if all, err = s.ReportDeliveries(ctx, rep.ID); err != nil {
			return nil, err
		}
	}
	out := []ReportDelivery{}
	for _, d := range all {
		if d.SentAt == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// MarkDelivery records an attempt to mail a report to one recipient.
func (s *Store) MarkDelivery(ctx context.Context, id int64, sendErr error) error {
	now := s.opts.Now().UnixNano()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if sendErr == nil {
			_, err := tx.ExecContext(ctx, `UPDATE report_deliveries SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, now, id)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE report_deliveries SET attempts = attempts + 1, last_error = ? WHERE id = ?`, sendErr.Error(), id)
		return err
	})
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
