package store

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
)

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
func (s *Store) ReportRecipients(ctx context.Context, customerID int64) ([]ReportRecipient, error) {
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
		ORDER BY 1, 2`, customerID, ScopeOf("customer", customerID))
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
		return nil, fmt.Errorf("%w: customer %d", ErrNotFound, customerID)
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
func (s *Store) PortalReportOf(ctx context.Context, portalUserID int64) (*PortalReport, error) {
	var p PortalReport
	err := s.rdb.QueryRowContext(ctx, `SELECT email, updated_by, updated_at FROM portal_report_recipients WHERE portal_user_id = ?`,
		portalUserID).Scan(&p.Email, &p.UpdatedBy, nanoTimePtr{&p.UpdatedAt})
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
func (s *Store) PortalReportRecipients(ctx context.Context, scope string) (map[int64]string, error) {
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
func (s *Store) SetPortalReport(ctx context.Context, portalUserID int64, report bool, email string, by Actor) (*PortalReport, error) {
	u, err := s.PortalUser(ctx, portalUserID)
	if err != nil {
		return nil, err
	}
	if kind, _, err := ParseScope(u.Scope); err != nil || kind != "customer" {
		return nil, invalid("report", "morning reports are a customer's: portal users of %s receive none", u.Scope)
	}
	email = strings.TrimSpace(email)
	if report {
		if email == "" {
			return nil, invalid("email", "is required: the address the morning report goes to")
		}
		if err := checkEmail("email", email); err != nil {
			return nil, err
		}
	}
	now := s.opts.Now().UTC()
	name := actorName(ctx)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
		return audit(ctx, tx, now, by, "portal_user.report", fmt.Sprintf("portal_user:%d", portalUserID),
			map[string]any{"report": report, "email": email})
	})
	if err != nil {
		return nil, err
	}
	return s.PortalReportOf(ctx, portalUserID)
}

// ErrBadLink is the answer to an unsubscribe link that is not one the
// station signed (tampered with, cut short, or of another station).
var ErrBadLink = errors.New("store: the link is not valid")

// unsubscribeKey signs unsubscribe links; it is kept in the store so that
// links stay valid across restarts and on every node.
func (s *Store) unsubscribeKey(ctx context.Context) ([]byte, error) {
	return s.Setting(ctx, "report_unsubscribe_key", 32)
}

// UnsubscribeToken signs a recipient of a customer's morning report into
// the token of its unsubscribe link: customer, kind of recipient, id and
// address, so that a link unsubscribes that address only (a contact whose
// address changed is not unsubscribed by a link mailed to the old one).
// Links do not expire: a report read months later still unsubscribes.
func (s *Store) UnsubscribeToken(ctx context.Context, customerID int64, r ReportRecipient) (string, error) {
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
func (s *Store) readToken(ctx context.Context, token string) (*Unsubscription, error) {
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
func (s *Store) CheckUnsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
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
func subscribed(ctx context.Context, q queryer, u *Unsubscription) (bool, error) {
	var n int
	var err error
	addr := u.Recipient.Email
	switch u.Recipient.Kind {
	case RecipientContact:
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM customer_contacts WHERE id = ? AND customer_id = ? AND report = 1
			AND lower(email) = ?`, u.Recipient.ID, u.CustomerID, addr).Scan(&n)
	case RecipientPortalUser:
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM portal_report_recipients r JOIN portal_users u ON u.id = r.portal_user_id
			WHERE u.id = ? AND u.scope = ? AND lower(r.email) = ?`, u.Recipient.ID, ScopeOf("customer", u.CustomerID), addr).Scan(&n)
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
func (s *Store) Unsubscribe(ctx context.Context, token, remoteAddr string) (*Unsubscription, error) {
	u, err := s.CheckUnsubscribe(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	by := "unsubscribe:" + auditName(u.Recipient.Email)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
		return audit(ctx, tx, now, Actor{Name: by, RemoteAddr: remoteAddr}, "report.unsubscribe",
			fmt.Sprintf("customer:%d", u.CustomerID), map[string]any{"kind": u.Recipient.Kind, "id": u.Recipient.ID, "email": addr})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
