package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/ontest"
)

// What a technician comes to do (seed 000: technicians install the systems
// using the scheduling, and put them on servicing hold).
const (
	VisitInstall = "install"
	VisitService = "service"
	VisitRepair  = "repair"
)

// VisitPurposes are the purposes a visit may have.
var VisitPurposes = []string{VisitInstall, VisitService, VisitRepair}

// Where a visit stands.
const (
	VisitScheduled = "scheduled" // created, not started
	VisitOpen      = "open"      // started: its systems are on test
	VisitEnded     = "ended"     // ended by hand (end_reason ended) or by its window running out (expired)
	VisitCancelled = "cancelled" // called off before it started
)

// Visit is an installer's technician coming to a site to install, service
// or repair some of its systems within a time window. Starting it puts the
// systems on test (whole account) until the window ends, with the visit's
// purpose as the reason and the technician as who authorised it; ending it
// takes them off test. A visit whose window runs out ends by itself, with
// the on-test expiry.
type Visit struct {
	ID     int64 `json:"id"`
	SiteID int64 `json:"site_id"`
	// AccountIDs are the systems visited: accounts of the site.
	AccountIDs []int64 `json:"account_ids"`
	// TechnicianUserID is the technician: a portal user of kind technician
	// whose installer's sites include the site.
	TechnicianUserID int64     `json:"technician_user_id"`
	From             time.Time `json:"from"`
	Until            time.Time `json:"until"`
	Purpose          string    `json:"purpose"`
	Notes            string    `json:"notes"`

	Status    string     `json:"status"`
	EndReason string     `json:"end_reason"` // ended or expired, for ended visits
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	StartedBy string     `json:"started_by"`
	StartedAt *time.Time `json:"started_at"`
	EndedBy   string     `json:"ended_by"`
	EndedAt   *time.Time `json:"ended_at"` // ended, expired or cancelled

	// Read with the visit, for showing it.
	SiteName   string        `json:"site_name"`
	Technician string        `json:"technician"`      // the technician's user name
	TechName   string        `json:"technician_name"` // and full name
	Systems    []VisitSystem `json:"systems"`
}

// VisitSystem is one system of a visit, as read.
type VisitSystem struct {
	AccountID  int64  `json:"account_id"`
	Receiver   int    `json:"receiver"`
	Number     string `json:"number"`
	SystemType string `json:"system_type"`
	// SystemLabel is the type's label (SystemLabel), for showing it.
	SystemLabel string `json:"system_label"`
	// OnTestID is the on-test period the visit's start opened; null before.
	OnTestID *int64 `json:"on_test_id"`
}

// technicianName is how a technician authorises on-test periods: as the
// portal names it (portal:<scope>/<user>).
func technicianName(u *PortalUser) string { return "portal:" + u.Scope + "/" + u.Username }

// CreateVisit checks and stores a visit, scheduled. The technician must be
// an enabled technician of an installer whose sites include the site, the
// systems accounts of the site, the window end after its start and in the
// future, and no longer than maxDuration (the longest on-test period) when
// that is above 0. Audited as visit.create.
func (s *Store) CreateVisit(ctx context.Context, v *Visit, maxDuration time.Duration, by Actor) error {
	now := s.opts.Now().UTC()
	if v.From.IsZero() {
		v.From = now
	}
	v.From, v.Until = v.From.UTC(), v.Until.UTC()
	if err := core.OneOf("purpose", v.Purpose, VisitPurposes); err != nil {
		return err
	}
	switch {
	case v.Until.IsZero():
		return core.Invalid("until", "is required: when the visit's window ends")
	case !v.Until.After(v.From) || !v.Until.After(now):
		return core.Invalid("until", "the window must end after it starts and in the future")
	case maxDuration > 0 && v.Until.Sub(v.From) > maxDuration:
		return core.Invalid("until", "a visit puts its systems on test for its window, and an account may be on test for at most %s", maxDuration)
	}
	if len(v.AccountIDs) == 0 {
		return core.Invalid("account_ids", "name the systems (accounts of the site) the technician visits")
	}
	tech, err := s.PortalUser(ctx, v.TechnicianUserID)
	if errors.Is(err, ErrNotFound) || (err == nil && tech.Kind != PortalTechnician) {
		return core.Invalid("technician_user_id", "portal user %d is not a technician", v.TechnicianUserID)
	}
	if err != nil {
		return err
	}
	if tech.Disabled {
		return core.Invalid("technician_user_id", "technician %s is disabled", tech.Username)
	}
	if err := s.checkTechnicianSite(ctx, tech, v.SiteID); err != nil {
		return err
	}
	seen := map[int64]bool{}
	ids := v.AccountIDs[:0:0]
	for _, id := range v.AccountIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	v.AccountIDs = ids
	v.Status, v.EndReason, v.CreatedBy, v.CreatedAt = VisitScheduled, "", by.Name, now
	v.StartedBy, v.StartedAt, v.EndedBy, v.EndedAt = "", nil, "", nil
	err = s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range v.AccountIDs {
			var site int64
			err := tx.QueryRowContext(ctx, `SELECT site_id FROM accounts WHERE id = ?`, id).Scan(&site)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && site != v.SiteID) {
				return core.Invalid("account_ids", "account %d is not a system of site %d", id, v.SiteID)
			}
			if err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO visits (site_id, technician_user_id, from_at, until_at, purpose, notes,
			status, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`, v.SiteID, v.TechnicianUserID, v.From.UnixNano(),
			v.Until.UnixNano(), v.Purpose, v.Notes, v.Status, v.CreatedBy, now.UnixNano()).Scan(&v.ID); err != nil {
			return err
		}
		for _, id := range v.AccountIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO visit_accounts (visit_id, account_id) VALUES (?,?)`, v.ID, id); err != nil {
				return err
			}
		}
		return core.Audit(ctx, tx, now, by, "visit.create", visitTarget(v.ID), map[string]any{"site_id": v.SiteID,
			"account_ids": v.AccountIDs, "technician": technicianName(tech), "from": v.From, "until": v.Until, "purpose": v.Purpose})
	}, func() { s.sites.publish(SiteEvent{SiteID: v.SiteID, Kind: "visit"}) })
	if err != nil {
		return err
	}
	got, err := s.Visit(ctx, v.ID)
	if err != nil {
		return err
	}
	*v = *got
	return nil
}

// checkTechnicianSite refuses a site outside the technician's installer's
// sites, as the portal scopes them.
func (s *Store) checkTechnicianSite(ctx context.Context, tech *PortalUser, siteID int64) error {
	sites, err := s.PortalSites(ctx, tech.Scope)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(sites, func(x Site) bool { return x.ID == siteID }) {
		if _, err := s.Sites.Get(ctx, siteID); errors.Is(err, ErrNotFound) {
			return core.Invalid("site_id", "site %d does not exist", siteID)
		}
		return core.Invalid("site_id", "site %d is not one of the sites of technician %s's installer (%s)", siteID, tech.Username, tech.Scope)
	}
	return nil
}

func visitTarget(id int64) string { return fmt.Sprintf("visit:%d", id) }

// StartVisit starts a scheduled visit within its window: each of its
// systems goes on test (whole account) from now until the window ends,
// with the purpose as reason and the technician as who authorised it, in
// one transaction with the visit's change and its audit entry
// (visit.start). by is who started it: the technician, or station staff
// for it.
func (s *Store) StartVisit(ctx context.Context, id int64, by Actor) (*Visit, error) {
	v, err := s.Visit(ctx, id)
	if err != nil {
		return nil, err
	}
	tech, err := s.PortalUser(ctx, v.TechnicianUserID)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	var tests []OnTest
	err = s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		tests = nil
		if err := visitStatus(ctx, tx, id, VisitScheduled, "started"); err != nil {
			return err
		}
		switch {
		case now.Before(v.From):
			return &ConflictError{Field: "from", Msg: fmt.Sprintf("visit %d starts at %s: its systems may be put on test from then",
				id, v.From.Format(time.RFC3339))}
		case !now.Before(v.Until):
			return &ConflictError{Field: "until", Msg: fmt.Sprintf("visit %d's window ended at %s", id, v.Until.Format(time.RFC3339))}
		}
		for _, acct := range v.AccountIDs {
			t := OnTest{AccountID: acct, Scope: ScopeAccount, StartsAt: now, EndsAt: v.Until, Reason: v.Purpose,
				AuthorisedBy: technicianName(tech)}
			if err := ontest.Check(&t, now, 0); err != nil {
				return err
			}
			if err := ontest.Insert(ctx, tx, &t, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE visit_accounts SET on_test_id = ? WHERE visit_id = ? AND account_id = ?`,
				t.ID, id, acct); err != nil {
				return err
			}
			tests = append(tests, t)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE visits SET status = ?, started_by = ?, started_at = ? WHERE id = ?`,
			VisitOpen, by.Name, now.UnixNano(), id); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "visit.start", visitTarget(id), map[string]any{"account_ids": v.AccountIDs,
			"until": v.Until, "authorised_by": technicianName(tech)})
	}, func() {
		for _, t := range tests {
			s.testStarted(t)
		}
		s.sites.publish(SiteEvent{SiteID: v.SiteID, Kind: "visit"})
	})
	if err != nil {
		return nil, err
	}
	return s.Visit(ctx, id)
}

// visitStatus refuses a step on a visit that is not in the status it needs.
func visitStatus(ctx context.Context, tx *sql.Tx, id int64, want, step string) error {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM visits WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: visit %d", ErrNotFound, id)
	}
	if err != nil {
		return err
	}
	if status != want {
		return &ConflictError{Field: "status", Msg: fmt.Sprintf("visit %d is %s; only a %s visit can be %s", id, status, want, step)}
	}
	return nil
}

// EndVisit ends an open visit: the on-test periods its start opened that
// are still open end now (test_off), in one transaction with the visit's
// change and its audit entry (visit.end).
func (s *Store) EndVisit(ctx context.Context, id int64, by Actor) (*Visit, error) {
	now := s.opts.Now().UTC()
	var site int64
	var ended []OnTest
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ended = nil
		if err := visitStatus(ctx, tx, id, VisitOpen, "ended"); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT site_id FROM visits WHERE id = ?`, id).Scan(&site); err != nil {
			return err
		}
		open, err := ontest.Query(ctx, tx, `ended_at IS NULL AND id IN (SELECT on_test_id FROM visit_accounts WHERE visit_id = ?)`, id)
		if err != nil {
			return err
		}
		for i := range open {
			if err := ontest.End(ctx, tx, &open[i], now, EndEnded, by.Name); err != nil {
				return err
			}
		}
		ended = open
		if _, err := tx.ExecContext(ctx, `UPDATE visits SET status = ?, end_reason = ?, ended_by = ?, ended_at = ? WHERE id = ?`,
			VisitEnded, EndEnded, by.Name, now.UnixNano(), id); err != nil {
			return err
		}
		ids := make([]int64, len(open))
		for i, t := range open {
			ids[i] = t.AccountID
		}
		return core.Audit(ctx, tx, now, by, "visit.end", visitTarget(id), map[string]any{"off_test": ids})
	}, func() {
		for _, t := range ended {
			s.testEnded(t)
		}
		s.sites.publish(SiteEvent{SiteID: site, Kind: "visit"})
	})
	if err != nil {
		return nil, err
	}
	return s.Visit(ctx, id)
}

// CancelVisit calls off a scheduled visit (an open one is ended instead).
// Audited as visit.cancel.
func (s *Store) CancelVisit(ctx context.Context, id int64, by Actor) (*Visit, error) {
	now := s.opts.Now().UTC()
	var site int64
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := visitStatus(ctx, tx, id, VisitScheduled, "cancelled"); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT site_id FROM visits WHERE id = ?`, id).Scan(&site); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE visits SET status = ?, ended_by = ?, ended_at = ? WHERE id = ?`,
			VisitCancelled, by.Name, now.UnixNano(), id); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "visit.cancel", visitTarget(id), nil)
	}, func() { s.sites.publish(SiteEvent{SiteID: site, Kind: "visit"}) })
	if err != nil {
		return nil, err
	}
	return s.Visit(ctx, id)
}

// expireVisits ends, inside ExpireTests's transaction, the visits whose
// window ran out by now: an open one (whose on-test periods that
// transaction ends) and a scheduled one never started both end with
// end_reason expired, audited as visit.expire. It returns the sites of the
// visits ended.
func expireVisits(ctx context.Context, tx *sql.Tx, now time.Time) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, site_id, status FROM visits WHERE status IN ('scheduled', 'open') AND until_at <= ?`,
		now.UnixNano())
	if err != nil {
		return nil, err
	}
	type due struct {
		id, site int64
		status   string
	}
	list, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (due, error) {
		var d due
		err := sc.Scan(&d.id, &d.site, &d.status)
		return d, err
	})
	if err != nil {
		return nil, err
	}
	var sites []int64
	for _, d := range list {
		if _, err := tx.ExecContext(ctx, `UPDATE visits SET status = ?, end_reason = ?, ended_by = 'expiry', ended_at = ? WHERE id = ?`,
			VisitEnded, EndExpired, now.UnixNano(), d.id); err != nil {
			return nil, err
		}
		if err := core.Audit(ctx, tx, now, Actor{Name: "expiry"}, "visit.expire", visitTarget(d.id), map[string]any{"was": d.status}); err != nil {
			return nil, err
		}
		sites = append(sites, d.site)
	}
	return sites, nil
}

// VisitFilter selects visits; zero fields do not filter.
type VisitFilter struct {
	SiteID           int64
	TechnicianUserID int64
	// InstallerID selects the visits of the installer's technicians.
	InstallerID int64
	// SiteIDs, when not nil, selects the visits of those sites only (none
	// when empty).
	SiteIDs []int64
	Status  string
	// Since selects the visits whose window ends at or after it.
	Since   time.Time
	AfterID int64
	Limit   int
}

const visitColumns = `v.id, v.site_id, v.technician_user_id, v.from_at, v.until_at, v.purpose, v.notes, v.status, v.end_reason,
	v.created_by, v.created_at, v.started_by, v.started_at, v.ended_by, v.ended_at, coalesce(s.name, ''), coalesce(u.username, ''),
	coalesce(u.full_name, '')`

const visitFrom = ` FROM visits v LEFT JOIN sites s ON s.id = v.site_id LEFT JOIN portal_users u ON u.id = v.technician_user_id`

// Visits lists visits by id, oldest first.
func (s *Store) Visits(ctx context.Context, f VisitFilter) ([]Visit, error) {
	if f.SiteIDs != nil && len(f.SiteIDs) == 0 {
		return []Visit{}, nil
	}
	var w where
	if f.SiteID != 0 {
		w.add("v.site_id = ?", f.SiteID)
	}
	if f.TechnicianUserID != 0 {
		w.add("v.technician_user_id = ?", f.TechnicianUserID)
	}
	if f.InstallerID != 0 {
		w.add("v.technician_user_id IN (SELECT id FROM portal_users WHERE scope = ?)", ScopeOf("installer", f.InstallerID))
	}
	if f.SiteIDs != nil {
		marks := core.Marks(len(f.SiteIDs))
		w.conds = append(w.conds, "v.site_id IN ("+marks+")")
		for _, id := range f.SiteIDs {
			w.args = append(w.args, id)
		}
	}
	if f.Status != "" {
		w.add("v.status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		w.add("v.until_at >= ?", f.Since.UnixNano())
	}
	if f.AfterID > 0 {
		w.add("v.id > ?", f.AfterID)
	}
	q, args := w.finish(`SELECT `+visitColumns+visitFrom, "v.id", f.Limit)
	return s.queryVisits(ctx, q, args...)
}

// Visit returns one visit.
func (s *Store) Visit(ctx context.Context, id int64) (*Visit, error) {
	list, err := s.queryVisits(ctx, `SELECT `+visitColumns+visitFrom+` WHERE v.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: visit %d", ErrNotFound, id)
	}
	return &list[0], nil
}

func (s *Store) queryVisits(ctx context.Context, q string, args ...any) ([]Visit, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: visits: %w", err)
	}
	out, err := core.AppendRows([]Visit{}, rows, func(sc core.RowScanner) (Visit, error) {
		var v Visit
		err := sc.Scan(&v.ID, &v.SiteID, &v.TechnicianUserID, nanoTime{&v.From}, nanoTime{&v.Until}, &v.Purpose, &v.Notes,
			&v.Status, &v.EndReason, &v.CreatedBy, nanoTime{&v.CreatedAt}, &v.StartedBy, nanoTimePtr{&v.StartedAt}, &v.EndedBy,
			nanoTimePtr{&v.EndedAt}, &v.SiteName, &v.Technician, &v.TechName)
		v.AccountIDs, v.Systems = []int64{}, []VisitSystem{}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: visits: %w", err)
	}
	byID := make(map[int64]int, len(out))
	for i, v := range out {
		byID[v.ID] = i
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, len(out))
	for i, v := range out {
		ids[i] = v.ID
	}
	marks := core.Marks(len(ids))
	rows, err = s.rdb.QueryContext(ctx, `SELECT va.visit_id, va.account_id, a.receiver, a.number, a.system_type, va.on_test_id
		FROM visit_accounts va JOIN accounts a ON a.id = va.account_id WHERE va.visit_id IN (`+marks+`) ORDER BY va.visit_id, a.id`, ids...)
	if err != nil {
		return nil, fmt.Errorf("store: visit systems: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var visit int64
		var sys VisitSystem
		if err := rows.Scan(&visit, &sys.AccountID, &sys.Receiver, &sys.Number, &sys.SystemType, &sys.OnTestID); err != nil {
			return nil, fmt.Errorf("store: visit systems: %w", err)
		}
		sys.SystemLabel = SystemLabel(sys.SystemType)
		v := &out[byID[visit]]
		v.AccountIDs = append(v.AccountIDs, sys.AccountID)
		v.Systems = append(v.Systems, sys)
	}
	return out, rows.Err()
}
