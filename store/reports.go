package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/reports"
)

// ScopeSites returns the sites of a customer and of every customer below
// it (HQ → region → store): what a contact of that customer may see, and
// nothing else [design.md §4].
func (s *Store) ScopeSites(ctx context.Context, customerID int64) ([]Site, error) {
	ids, err := s.queryIDs(ctx, `WITH RECURSIVE tree(id) AS (
			SELECT CAST(? AS bigint) UNION SELECT c.id FROM customers c JOIN tree ON c.parent_id = tree.id)
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
	return core.AppendRows(nil, rows, scanID)
}

// scanID reads a row of one id column.
func scanID(sc core.RowScanner) (int64, error) {
	var id int64
	err := sc.Scan(&id)
	return id, err
}

// siteActivitySQL is SiteActivity's query: signals_site (site_id, id) from
// the range's first signal id on (sinceSignal), not from the site's first.
const siteActivitySQL = `SELECT id FROM signals WHERE site_id = ? AND received_at >= ? AND id >= ` + sinceSignal + `
	AND received_at < ? ORDER BY id LIMIT ?`

// SiteActivity lists a site's signals received in [from, to), oldest first.
func (s *Store) SiteActivity(ctx context.Context, siteID int64, from, to time.Time) ([]Signal, error) {
	ids, err := s.queryIDs(ctx, siteActivitySQL, siteID, from.UnixNano(), from.UnixNano(), to.UnixNano(), MaxListLimit)
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

// The morning reports live in store/reports; these are their names here.
type (
	// Report is one morning report as stored and mailed.
	Report = reports.Report
	// ReportDelivery is the mailing of a report to one recipient.
	ReportDelivery = reports.ReportDelivery
	// ScheduledRun is one period of a station report mailed on a
	// schedule.
	ScheduledRun = reports.ScheduledRun
	// ReportRecipient is one address the morning report of a customer
	// goes to.
	ReportRecipient = reports.ReportRecipient
	// PortalReport is whether a portal user receives its customer's
	// morning report, and at which address.
	PortalReport = reports.PortalReport
	// Unsubscription is what an unsubscribe link names.
	Unsubscription = reports.Unsubscription
)

// UnconfirmedDelivery is the last error of a report delivery whose sender
// stopped between claiming and recording it: not mailed again.
const UnconfirmedDelivery = reports.UnconfirmedDelivery

// Kinds of morning report recipients.
const (
	RecipientContact     = reports.RecipientContact
	RecipientPortalUser  = reports.RecipientPortalUser
	RecipientReportEmail = reports.RecipientReportEmail
)

// MaxAnnotationLength caps a report's annotation, in characters.
const MaxAnnotationLength = reports.MaxAnnotationLength

// ErrBadLink is the answer to an unsubscribe or Incident Share link that
// is not one the station signed.
var ErrBadLink = reports.ErrBadLink

// ErrLinkExpired is the answer to an Incident Share link past its expiry.
var ErrLinkExpired = reports.ErrLinkExpired

// newReports wires the morning reports to the portal users and the
// station's settings.
func (s *Store) newReports() *reports.MorningReports {
	return reports.New(s.db, reports.Options{
		Now: s.opts.Now,
		PortalScope: func(ctx context.Context, id int64) (string, error) {
			u, err := s.PortalUser(ctx, id)
			if err != nil {
				return "", err
			}
			return u.Scope, nil
		},
		Setting:    s.Setting,
		CheckLease: s.checkLease,
	})
}
