package reports

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/store/core"
)

// Engine is what the morning reports need of the store's engine: the
// writer, for every change, and the read pool.
type Engine interface {
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	Read() core.Reader
}

// Options configure the morning reports.
type Options struct {
	Now func() time.Time // required
	// PortalScope is the scope of a portal user (core.ErrNotFound for
	// none): only a customer's users receive its report.
	PortalScope func(ctx context.Context, portalUserID int64) (string, error)
	// Setting is the station setting name, made of size random bytes the
	// first time: the key that signs unsubscribe links.
	Setting func(ctx context.Context, name string, size int) ([]byte, error)
	// CheckLease, first in a claim's transaction, fails it unless the
	// report job's lease (ctx's) is still this node's, and returns the
	// lease's epoch (0 on a single node). Nil checks nothing.
	CheckLease func(ctx context.Context, tx *sql.Tx) (epoch int64, err error)
}

// MorningReports are the reports as stored and mailed, their deliveries,
// their recipients and the unsubscribe links.
type MorningReports struct {
	db   Engine
	rdb  core.Reader
	opts Options
}

// New returns the morning reports kept by db.
func New(db Engine, o Options) *MorningReports {
	return &MorningReports{db: db, rdb: db.Read(), opts: o}
}

type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
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
func (s *MorningReports) SaveReport(ctx context.Context, r *Report, to []ReportRecipient) (stored *Report, created bool, err error) {
	now := s.opts.Now().UTC()
	by := core.ActorName(ctx)
	err = s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// RETURNING gives no row when the report of that night exists.
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO reports (customer_id, night, window_from, window_to, recipients, subject,
			html, text, created_at, created_by, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (customer_id, night) DO NOTHING RETURNING id`,
			r.CustomerID, r.Night, r.From.UnixNano(), r.To.UnixNano(), r.Recipients, r.Subject, r.HTML, r.Text, now.UnixNano(),
			by, by, now.UnixNano()).Scan(&id)
		if created = err == nil; errors.Is(err, sql.ErrNoRows) {
			return nil
		}
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

func scanReport(sc core.RowScanner) (*Report, error) {
	var r Report
	err := sc.Scan(&r.ID, &r.CustomerID, &r.Night, core.NanoTime{T: &r.From}, core.NanoTime{T: &r.To}, &r.Recipients, &r.Subject, &r.HTML, &r.Text,
		core.NanoTime{T: &r.CreatedAt}, core.NanoTimePtr{T: &r.SentAt}, &r.Attempts, &r.LastError, &r.Annotation, &r.CreatedBy, &r.UpdatedBy,
		core.NanoTime{T: &r.UpdatedAt}, core.NanoTimePtr{T: &r.DeletedAt}, &r.DeletedBy)
	return &r, err
}

// ReportFor returns a customer's report of a night.
func (s *MorningReports) ReportFor(ctx context.Context, customerID int64, night string) (*Report, error) {
	r, err := scanReport(s.rdb.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE customer_id = ? AND night = ?`, customerID, night))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report of customer %d for %s", core.ErrNotFound, customerID, night)
	}
	return r, err
}

// Report returns one report (a deleted one too: DeletedAt says so).
func (s *MorningReports) Report(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(s.rdb.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report %d", core.ErrNotFound, id)
	}
	return r, err
}

// Reports lists a customer's reports, newest first (0: every customer),
// deleted ones included (what is left of them: who deleted them, when).
func (s *MorningReports) Reports(ctx context.Context, customerID int64, limit int) ([]Report, error) {
	return s.reports(ctx, customerID, limit, true)
}

// KeptReports lists a customer's reports as Reports does, without the
// deleted ones: what its portal users see.
func (s *MorningReports) KeptReports(ctx context.Context, customerID int64, limit int) ([]Report, error) {
	return s.reports(ctx, customerID, limit, false)
}

func (s *MorningReports) reports(ctx context.Context, customerID int64, limit int, deleted bool) ([]Report, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE (? = 0 OR customer_id = ?)
		AND (? = 1 OR deleted_at IS NULL) ORDER BY id DESC LIMIT ?`, customerID, customerID, deleted, core.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: reports: %w", err)
	}
	return core.AppendRows([]Report{}, rows, func(sc core.RowScanner) (Report, error) {
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
func (s *MorningReports) AnnotateReport(ctx context.Context, id int64, annotation string, by core.Actor) (*Report, error) {
	annotation = strings.TrimSpace(annotation)
	if utf8.RuneCountInString(annotation) > MaxAnnotationLength {
		return nil, core.Invalid("annotation", "is longer than %d characters", MaxAnnotationLength)
	}
	now := s.opts.Now().UTC()
	name := core.ActorName(ctx)
	err := s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET annotation = ?, updated_by = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			annotation, name, now.UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: report %d", core.ErrNotFound, id)
		}
		return core.Audit(ctx, tx, now, by, "report.annotate", fmt.Sprintf("report:%d", id), map[string]any{"annotation": annotation})
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
func (s *MorningReports) DeleteReport(ctx context.Context, id int64, by core.Actor) error {
	now := s.opts.Now().UTC()
	name := core.ActorName(ctx)
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var night string
		err := tx.QueryRowContext(ctx, `SELECT night FROM reports WHERE id = ? AND deleted_at IS NULL`, id).Scan(&night)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: report %d", core.ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET html = '', text = '', annotation = '', deleted_at = ?, deleted_by = ?,
			updated_by = ?, updated_at = ? WHERE id = ?`, now.UnixNano(), name, name, now.UnixNano(), id); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "report.delete", fmt.Sprintf("report:%d", id), map[string]any{"night": night})
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
	// ClaimedAt is set while a sender mails it (ClaimDelivery), and
	// stays when the sender stopped before it recorded the outcome.
	ClaimedAt *time.Time `json:"-"`
}

// UnconfirmedDelivery is the last error of a delivery whose sender
// stopped (died, or lost the report job's lease) after it claimed the
// delivery and before it recorded whether the mail went: it may have
// gone, so it is not mailed again by itself; no recipient gets a report
// twice.
const UnconfirmedDelivery = "unconfirmed: its sender stopped while mailing it, before recording the outcome; not mailed again, so that no one gets the report twice"

// ReportDeliveries lists a report's deliveries, one per recipient.
func (s *MorningReports) ReportDeliveries(ctx context.Context, reportID int64) ([]ReportDelivery, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, report_id, kind, recipient_id, name, address, sent_at, attempts, last_error,
		claimed_at FROM report_deliveries WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: report deliveries: %w", err)
	}
	out, err := core.AppendRows([]ReportDelivery{}, rows, func(sc core.RowScanner) (ReportDelivery, error) {
		var d ReportDelivery
		rc := &d.Recipient
		err := sc.Scan(&d.ID, &d.ReportID, &rc.Kind, &rc.ID, &rc.Name, &rc.Email, core.NanoTimePtr{T: &d.SentAt}, &d.Attempts,
			&d.LastError, core.NanoTimePtr{T: &d.ClaimedAt})
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: report deliveries: %w", err)
	}
	return out, nil
}

// PendingDeliveries returns the deliveries of a report not sent yet, nor
// claimed. A claim found here has lost its sender (a sender records the
// outcome before it looks again): the delivery is marked
// UnconfirmedDelivery and left. A report stored before reports were
// mailed to each recipient on its own gets its deliveries from its
// recipients then (as report_email addresses).
func (s *MorningReports) PendingDeliveries(ctx context.Context, rep *Report) ([]ReportDelivery, error) {
	all, err := s.ReportDeliveries(ctx, rep.ID)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 && rep.SentAt == nil {
		var to []ReportRecipient
		for _, a := range splitAddresses(rep.Recipients) {
			to = append(to, ReportRecipient{Kind: RecipientReportEmail, Email: a})
		}
		if err := s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error { return addDeliveries(ctx, tx, rep.ID, to) }); err != nil {
			return nil, err
		}
		if all, err = s.ReportDeliveries(ctx, rep.ID); err != nil {
			return nil, err
		}
	}
	out := []ReportDelivery{}
	for _, d := range all {
		switch {
		case d.SentAt != nil:
		case d.ClaimedAt == nil:
			out = append(out, d)
		case d.LastError != UnconfirmedDelivery:
			err := s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE report_deliveries SET last_error = ? WHERE id = ? AND sent_at IS NULL
					AND claimed_at = ?`, UnconfirmedDelivery, d.ID, d.ClaimedAt.UnixNano())
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// ClaimDelivery claims a delivery for this sender before it mails it, in
// a transaction that checks the report job's lease first (CheckLease). It
// returns the claim (a token for ReleaseDelivery), 0 when the delivery
// was sent or claimed already.
func (s *MorningReports) ClaimDelivery(ctx context.Context, id int64) (int64, error) {
	claim, err := s.claimUnderLease(ctx, nil, `UPDATE report_deliveries SET claimed_at = ?, claimed_epoch = ?
		WHERE id = ? AND sent_at IS NULL AND claimed_at IS NULL`, id)
	if err != nil {
		return 0, fmt.Errorf("store: claim report delivery %d: %w", id, err)
	}
	return claim, nil
}

// claimUnderLease runs prepare (if any), then claim, an UPDATE whose first
// two placeholders take claimed_at and claimed_epoch and whose other
// arguments are args, in one transaction that checks the report job's
// lease first (CheckLease). It returns the claim, 0 when claim changed no
// row (sent or claimed already).
func (s *MorningReports) claimUnderLease(ctx context.Context, prepare func(context.Context, *sql.Tx) error, claim string, args ...any) (int64, error) {
	now := s.opts.Now().UnixNano()
	var claimed int64
	err := s.db.Write(ctx, func(wctx context.Context, tx *sql.Tx) error {
		var epoch int64
		if s.opts.CheckLease != nil {
			// The lease is the caller's (ctx); the writer's context
			// carries none.
			var err error
			if epoch, err = s.opts.CheckLease(ctx, tx); err != nil {
				return err
			}
		}
		if prepare != nil {
			if err := prepare(wctx, tx); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(wctx, claim, append([]any{now, epoch}, args...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		claimed = now
		return nil
	})
	return claimed, err
}

// ReleaseDelivery gives back a claim whose mail was not sent (the sender
// found its lease lost before the send): the delivery is pending again,
// for the job's holder to mail, unless it was sent meanwhile.
func (s *MorningReports) ReleaseDelivery(ctx context.Context, id, claim int64) error {
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE report_deliveries SET claimed_at = NULL, claimed_epoch = 0,
			last_error = CASE WHEN last_error = ? THEN '' ELSE last_error END
			WHERE id = ? AND sent_at IS NULL AND claimed_at = ?`, UnconfirmedDelivery, id, claim)
		return err
	})
}

// MarkDelivery records an attempt to mail a report to one recipient:
// sent, or failed with why (and the claim given back, for a later try).
func (s *MorningReports) MarkDelivery(ctx context.Context, id int64, sendErr error) error {
	return s.markAttempt(ctx, "report_deliveries", ", claimed_at = NULL, claimed_epoch = 0", id, sendErr)
}

// MarkReport records a sending attempt: sent, or failed with why.
func (s *MorningReports) MarkReport(ctx context.Context, id int64, sendErr error) error {
	return s.markAttempt(ctx, "reports", "", id, sendErr)
}

// markAttempt counts a sending attempt of a row of table: sent now, or
// failed with why, and then also set as onFailure says (a constant SET
// list of the caller's, "" for nothing).
func (s *MorningReports) markAttempt(ctx context.Context, table, onFailure string, id int64, sendErr error) error {
	now := s.opts.Now().UnixNano()
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if sendErr == nil {
			_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, now, id)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET attempts = attempts + 1, last_error = ?`+onFailure+` WHERE id = ?`,
			sendErr.Error(), id)
		return err
	})
}

// Kinds of morning report recipients.
const (
	RecipientContact     = "contact"      // a contact of the customer marked report
	RecipientPortalUser  = "portal_user"  // a portal user of the customer's scope, marked with its own address
	RecipientReportEmail = "report_email" // an address of the customer's report_email (used while nobody is marked)
)

// ReportRecipient is one address the morning report of a customer goes to.
type ReportRecipient struct {
	Kind  string `json:"kind"`
	ID    int64  `json:"id,omitempty"` // the contact's or portal user's id; 0 for report_email
	Name  string `json:"name"`
	Email string `json:"email"`
}

// ReportRecipients returns where a customer's morning report goes: its
// contacts marked report and the portal users of its scope
// (customer:<id>) marked as recipients, each at its own address, an
// address once. Only when nobody is marked do the addresses of the
// customer's report_email receive it: the field of the stations that set
// it before recipients could be marked. Disabled portal users receive
// nothing.
func (s *MorningReports) ReportRecipients(ctx context.Context, customerID int64) ([]ReportRecipient, error) {
	out := []ReportRecipient{}
	seen := map[string]bool{}
	add := func(r ReportRecipient) {
		if key := strings.ToLower(r.Email); r.Email != "" && !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT 'contact', id, name, email FROM customer_contacts
			WHERE customer_id = ? AND report = 1 AND email <> ''
		UNION ALL SELECT 'portal_user', u.id, CASE WHEN u.full_name <> '' THEN u.full_name ELSE u.username END, r.email
			FROM portal_report_recipients r JOIN portal_users u ON u.id = r.portal_user_id WHERE u.scope = ? AND u.disabled = 0
		ORDER BY 1, 2`, customerID, core.ScopeOf("customer", customerID))
	if err != nil {
		return nil, fmt.Errorf("store: report recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ReportRecipient
		if err := rows.Scan(&r.Kind, &r.ID, &r.Name, &r.Email); err != nil {
			return nil, fmt.Errorf("store: report recipients: %w", err)
		}
		add(r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: report recipients: %w", err)
	}
	if len(out) > 0 {
		return out, nil
	}
	var list string
	err = s.rdb.QueryRowContext(ctx, `SELECT report_email FROM customers WHERE id = ?`, customerID).Scan(&list)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: customer %d", core.ErrNotFound, customerID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: report recipients: %w", err)
	}
	for _, addr := range splitAddresses(list) {
		add(ReportRecipient{Kind: RecipientReportEmail, Email: addr})
	}
	return out, nil
}

// splitAddresses reads a comma-separated list of addresses.
func splitAddresses(list string) []string {
	var out []string
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// PortalReport is whether a portal user receives its customer's morning
// report, and at which address.
type PortalReport struct {
	Report    bool       `json:"report"`
	Email     string     `json:"email"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// PortalReportOf returns a portal user's morning report setting.
func (s *MorningReports) PortalReportOf(ctx context.Context, portalUserID int64) (*PortalReport, error) {
	var p PortalReport
	err := s.rdb.QueryRowContext(ctx, `SELECT email, updated_by, updated_at FROM portal_report_recipients WHERE portal_user_id = ?`,
		portalUserID).Scan(&p.Email, &p.UpdatedBy, core.NanoTimePtr{T: &p.UpdatedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &PortalReport{}, nil
	case err != nil:
		return nil, fmt.Errorf("store: portal report: %w", err)
	}
	p.Report = true
	return &p, nil
}

// PortalReportRecipients maps the portal users of a scope marked as
// morning report recipients to their addresses.
func (s *MorningReports) PortalReportRecipients(ctx context.Context, scope string) (map[int64]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT r.portal_user_id, r.email FROM portal_report_recipients r
		JOIN portal_users u ON u.id = r.portal_user_id WHERE u.scope = ?`, scope)
	if err != nil {
		return nil, fmt.Errorf("store: portal report recipients: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			return nil, fmt.Errorf("store: portal report recipients: %w", err)
		}
		out[id] = email
	}
	return out, rows.Err()
}

// SetPortalReport marks a portal user as a recipient of its customer's
// morning report at email, or (report false) unmarks it. Only the users of
// a customer's scope receive the customer's report: a site's or an
// installer's users are refused. Audited as portal_user.report.
func (s *MorningReports) SetPortalReport(ctx context.Context, portalUserID int64, report bool, email string, by core.Actor) (*PortalReport, error) {
	scope, err := s.opts.PortalScope(ctx, portalUserID)
	if err != nil {
		return nil, err
	}
	if kind, _, err := core.ParseScope(scope); err != nil || kind != "customer" {
		return nil, core.Invalid("report", "morning reports are a customer's: portal users of %s receive none", scope)
	}
	email = strings.TrimSpace(email)
	if report {
		if email == "" {
			return nil, core.Invalid("email", "is required: the address the morning report goes to")
		}
		if err := core.CheckEmail("email", email); err != nil {
			return nil, err
		}
	}
	now := s.opts.Now().UTC()
	name := core.ActorName(ctx)
	err = s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if !report {
			if _, err := tx.ExecContext(ctx, `DELETE FROM portal_report_recipients WHERE portal_user_id = ?`, portalUserID); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO portal_report_recipients (portal_user_id, email, created_by, updated_by,
				created_at, updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT (portal_user_id) DO UPDATE SET email = excluded.email,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			portalUserID, email, name, name, now.UnixNano(), now.UnixNano()); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "portal_user.report", fmt.Sprintf("portal_user:%d", portalUserID),
			map[string]any{"report": report, "email": email})
	})
	if err != nil {
		return nil, err
	}
	return s.PortalReportOf(ctx, portalUserID)
}

// ErrBadLink is the answer to an unsubscribe or Incident Share link that
// is not one the station signed (tampered with, cut short, or of another
// station).
var ErrBadLink = errors.New("store: the link is not valid")

// unsubscribeKey signs unsubscribe links; it is kept in the store so that
// links stay valid across restarts and on every node.
func (s *MorningReports) unsubscribeKey(ctx context.Context) ([]byte, error) {
	return s.opts.Setting(ctx, "report_unsubscribe_key", 32)
}

// UnsubscribeToken signs a recipient of a customer's morning report into
// the token of its unsubscribe link: customer, kind of recipient, id and
// address, so that a link unsubscribes that address only (a contact whose
// address changed is not unsubscribed by a link mailed to the old one).
// Links do not expire: a report read months later still unsubscribes.
func (s *MorningReports) UnsubscribeToken(ctx context.Context, customerID int64, r ReportRecipient) (string, error) {
	key, err := s.unsubscribeKey(ctx)
	if err != nil {
		return "", err
	}
	payload := fmt.Sprintf("%d|%s|%d|%s", customerID, r.Kind, r.ID, strings.ToLower(r.Email))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// Unsubscription is what an unsubscribe link names.
type Unsubscription struct {
	CustomerID   int64
	CustomerName string
	Recipient    ReportRecipient
	// Subscribed says whether the address still receives the report
	// (before Unsubscribe) or did until this call (after it).
	Subscribed bool
}

// readToken checks an unsubscribe token's signature and reads it.
func (s *MorningReports) readToken(ctx context.Context, token string) (*Unsubscription, error) {
	body, sig, ok := strings.Cut(strings.TrimSpace(token), ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(body)
	got, err2 := enc.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil {
		return nil, ErrBadLink
	}
	key, err := s.unsubscribeKey(ctx)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil, ErrBadLink
	}
	parts := strings.SplitN(string(payload), "|", 4)
	if len(parts) != 4 {
		return nil, ErrBadLink
	}
	u := &Unsubscription{Recipient: ReportRecipient{Kind: parts[1], Email: parts[3]}}
	var errA, errB error
	u.CustomerID, errA = strconv.ParseInt(parts[0], 10, 64)
	u.Recipient.ID, errB = strconv.ParseInt(parts[2], 10, 64)
	if errA != nil || errB != nil {
		return nil, ErrBadLink
	}
	return u, nil
}

// CheckUnsubscribe reads an unsubscribe link (ErrBadLink when the station
// did not sign it) and says whether its address still receives the
// report; it changes nothing (a mail scanner following the link
// unsubscribes no one).
func (s *MorningReports) CheckUnsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
	u, err := s.readToken(ctx, token)
	if err != nil {
		return nil, err
	}
	err = s.rdb.QueryRowContext(ctx, `SELECT name FROM customers WHERE id = ?`, u.CustomerID).Scan(&u.CustomerName)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil // the customer is gone, and with it every report
	}
	if err != nil {
		return nil, fmt.Errorf("store: unsubscribe: %w", err)
	}
	u.Subscribed, err = subscribed(ctx, s.rdb, u)
	return u, err
}

// subscribed reports whether an unsubscribe link's address still receives
// the customer's report as the recipient the link names.
func subscribed(ctx context.Context, q rowQueryer, u *Unsubscription) (bool, error) {
	var n int
	var err error
	addr := u.Recipient.Email
	switch u.Recipient.Kind {
	case RecipientContact:
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM customer_contacts WHERE id = ? AND customer_id = ? AND report = 1
			AND lower(email) = ?`, u.Recipient.ID, u.CustomerID, addr).Scan(&n)
	case RecipientPortalUser:
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM portal_report_recipients r JOIN portal_users u ON u.id = r.portal_user_id
			WHERE u.id = ? AND u.scope = ? AND lower(r.email) = ?`, u.Recipient.ID, core.ScopeOf("customer", u.CustomerID), addr).Scan(&n)
	case RecipientReportEmail:
		var list string
		err = q.QueryRowContext(ctx, `SELECT report_email FROM customers WHERE id = ?`, u.CustomerID).Scan(&list)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		for _, a := range splitAddresses(list) {
			if strings.EqualFold(a, addr) {
				n++
			}
		}
	default:
		return false, ErrBadLink
	}
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe: %w", err)
	}
	return n > 0, nil
}

// Unsubscribe stops the morning report to the address of a signed link:
// the contact is unmarked (it stays a contact, with its roles), the portal
// user unmarked, or the address taken out of report_email. A link whose
// address no longer receives the report changes nothing and is no error.
// Audited as report.unsubscribe, by the address, from remoteAddr.
func (s *MorningReports) Unsubscribe(ctx context.Context, token, remoteAddr string) (*Unsubscription, error) {
	u, err := s.CheckUnsubscribe(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	by := "unsubscribe:" + core.AuditName(u.Recipient.Email)
	err = s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		on, err := subscribed(ctx, tx, u)
		if err != nil || !on {
			u.Subscribed = false
			return err
		}
		u.Subscribed = true
		addr := u.Recipient.Email
		switch u.Recipient.Kind {
		case RecipientContact:
			_, err = tx.ExecContext(ctx, `UPDATE customer_contacts SET report = 0, updated_by = ?, updated_at = ? WHERE id = ?`,
				by, now.UnixNano(), u.Recipient.ID)
		case RecipientPortalUser:
			_, err = tx.ExecContext(ctx, `DELETE FROM portal_report_recipients WHERE portal_user_id = ?`, u.Recipient.ID)
		case RecipientReportEmail:
			var list string
			if err = tx.QueryRowContext(ctx, `SELECT report_email FROM customers WHERE id = ?`, u.CustomerID).Scan(&list); err != nil {
				return err
			}
			var keep []string
			for _, a := range splitAddresses(list) {
				if !strings.EqualFold(a, addr) {
					keep = append(keep, a)
				}
			}
			_, err = tx.ExecContext(ctx, `UPDATE customers SET report_email = ?, updated_at = ? WHERE id = ?`,
				strings.Join(keep, ", "), now.UnixNano(), u.CustomerID)
		}
		if err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, core.Actor{Name: by, RemoteAddr: remoteAddr}, "report.unsubscribe",
			fmt.Sprintf("customer:%d", u.CustomerID), map[string]any{"kind": u.Recipient.Kind, "id": u.Recipient.ID, "email": addr})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ClaimRun claims one period of a scheduled report (report.scheduled)
// before its mail is sent, in a transaction that checks the report job's
// lease first. It returns the claim, 0 when the period was sent already
// or is claimed (by a send whose outcome was never recorded: it is not
// mailed twice).
func (s *MorningReports) ClaimRun(ctx context.Context, schedule, period string) (int64, error) {
	addRun := func(wctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(wctx, `INSERT INTO scheduled_report_runs (schedule, period) VALUES (?,?)
			ON CONFLICT (schedule, period) DO NOTHING`, schedule, period)
		return err
	}
	claim, err := s.claimUnderLease(ctx, addRun, `UPDATE scheduled_report_runs SET claimed_at = ?, claimed_epoch = ?
		WHERE schedule = ? AND period = ? AND sent_at IS NULL AND claimed_at IS NULL`, schedule, period)
	if err != nil {
		return 0, fmt.Errorf("store: claim scheduled report %s %s: %w", schedule, period, err)
	}
	return claim, nil
}

// FinishRun records the send of a claimed period: sent, or failed with
// why and its claim given back, for the next pass to try again.
func (s *MorningReports) FinishRun(ctx context.Context, schedule, period string, claim int64, sendErr error) error {
	now := s.opts.Now().UnixNano()
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if sendErr == nil {
			_, err := tx.ExecContext(ctx, `UPDATE scheduled_report_runs SET sent_at = ?, attempts = attempts + 1, last_error = ''
				WHERE schedule = ? AND period = ? AND claimed_at = ?`, now, schedule, period, claim)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE scheduled_report_runs SET attempts = attempts + 1, last_error = ?,
			claimed_at = NULL, claimed_epoch = 0 WHERE schedule = ? AND period = ? AND claimed_at = ?`,
			sendErr.Error(), schedule, period, claim)
		return err
	})
}

// ScheduledRun is one period of a scheduled report, as recorded.
type ScheduledRun struct {
	Schedule  string     `json:"schedule"`
	Period    string     `json:"period"`
	SentAt    *time.Time `json:"sent_at"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
}

// ScheduledRuns lists the recorded periods of the scheduled reports,
// newest first, at most limit.
func (s *MorningReports) ScheduledRuns(ctx context.Context, limit int) ([]ScheduledRun, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT schedule, period, sent_at, attempts, last_error FROM scheduled_report_runs
		ORDER BY period DESC, schedule LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: scheduled report runs: %w", err)
	}
	return core.AppendRows([]ScheduledRun{}, rows, func(sc core.RowScanner) (ScheduledRun, error) {
		var r ScheduledRun
		var sent *int64
		err := sc.Scan(&r.Schedule, &r.Period, &sent, &r.Attempts, &r.LastError)
		if sent != nil {
			t := time.Unix(0, *sent).UTC()
			r.SentAt = &t
		}
		return r, err
	})
}

// ErrLinkExpired is the answer to an Incident Share link past its expiry.
var ErrLinkExpired = errors.New("store: the link has expired")

// shareKey signs Incident Share links; kept in the store, so that links
// stay valid across restarts and on every node.
func (s *MorningReports) shareKey(ctx context.Context) ([]byte, error) {
	return s.opts.Setting(ctx, "incident_share_key", 32)
}

// ShareToken signs an incident and an expiry into the token of its
// Incident Share link, which opens that incident, read-only, without a
// log-in, until expires: the morning report carries one per incident.
func (s *MorningReports) ShareToken(ctx context.Context, incidentID int64, expires time.Time) (string, error) {
	key, err := s.shareKey(ctx)
	if err != nil {
		return "", err
	}
	payload := fmt.Sprintf("%d|%d", incidentID, expires.Unix())
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("incident-share|" + payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// SharedIncident reads an Incident Share token: the incident it opens and
// until when. ErrBadLink answers a token the station did not sign,
// ErrLinkExpired one past its expiry.
func (s *MorningReports) SharedIncident(ctx context.Context, token string) (incidentID int64, expires time.Time, err error) {
	body, sig, ok := strings.Cut(strings.TrimSpace(token), ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(body)
	got, err2 := enc.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil || len(token) > 200 {
		return 0, expires, ErrBadLink
	}
	key, err := s.shareKey(ctx)
	if err != nil {
		return 0, expires, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("incident-share|"))
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil), got) {
		return 0, expires, ErrBadLink
	}
	id, unix, ok := strings.Cut(string(payload), "|")
	n, err1 := strconv.ParseInt(id, 10, 64)
	u, err2 := strconv.ParseInt(unix, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, expires, ErrBadLink
	}
	expires = time.Unix(u, 0).UTC()
	if !s.opts.Now().Before(expires) {
		return 0, expires, ErrLinkExpired
	}
	return n, expires, nil
}
