package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/schedule"
)

// False alarms and alarm permits: the resolution codes that mean a false
// alarm (queue.false_alarm_codes) are counted per site, account and
// customer over a rolling year; reaching queue.false_alarm_threshold at a
// site raises a station event. A site's alarm permit, required by many
// cities, is kept with its expiry and warned about before it.

// FalseAlarmRules are queue.false_alarm_codes and the threshold.
type FalseAlarmRules struct {
	Codes     []string
	Threshold int // 0: no station event
}

// FalseAlarmYear is the rolling window of the counts.
const FalseAlarmYear = 365 * 24 * time.Hour

// EventFalseAlarms and EventPermitExpiring are station event kinds.
const (
	EventFalseAlarms    = "false_alarm_threshold"
	EventPermitExpiring = "permit_expiring"
)

// resolved is the queue's hook: a false alarm resolution that brings its
// site's count to the threshold raises the station event, once per
// crossing.
func (s *Store) resolved(ctx context.Context, tx *sql.Tx, in *Incident, code string, now time.Time) error {
	r := s.currentRules().FalseAlarms
	if r.Threshold <= 0 || in.SiteID == nil || !slices.Contains(r.Codes, code) {
		return nil
	}
	n, err := countFalseAlarms(ctx, tx, `site_id = ?`, []any{*in.SiteID}, r.Codes, now)
	if err != nil || n != r.Threshold {
		return err
	}
	detail, err := core.JSONText(map[string]any{"site_id": *in.SiteID, "site": in.SiteName, "false_alarms": n, "threshold": r.Threshold,
		"incident_id": in.ID, "within": "12 months"})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, account_id, detail) VALUES (?,?,?,?,?,?)`,
		now.UnixNano(), EventFalseAlarms, in.Receiver, in.Account, in.AccountID, detail)
	return err
}

func countFalseAlarms(ctx context.Context, q core.Reader, where string, args []any, codes []string, now time.Time) (int, error) {
	if len(codes) == 0 {
		return 0, nil
	}
	marks := core.Marks(len(codes))
	args = append(args, now.Add(-FalseAlarmYear).UnixNano())
	for _, c := range codes {
		args = append(args, c)
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM incidents WHERE status = 'resolved' AND `+where+` AND resolved_at > ?
		AND resolution_code IN (`+marks+`)`, args...).Scan(&n)
	return n, err
}

// FalseAlarmCount is a count over the rolling year.
type FalseAlarmCount struct {
	Count     int       `json:"count"`
	Since     time.Time `json:"since"`
	Threshold int       `json:"threshold"`
	Codes     []string  `json:"codes"`
}

// FalseAlarms counts the false alarms of the last 12 months of a site, an
// account, or a customer (its sites and those of the customers under it).
func (s *Store) FalseAlarms(ctx context.Context, siteID, accountID, customerID int64) (*FalseAlarmCount, error) {
	now := s.opts.Now().UTC()
	rules := s.currentRules().FalseAlarms
	out := &FalseAlarmCount{Since: now.Add(-FalseAlarmYear), Threshold: rules.Threshold, Codes: rules.Codes}
	var err error
	switch {
	case siteID != 0:
		out.Count, err = countFalseAlarms(ctx, s.rdb, `site_id = ?`, []any{siteID}, out.Codes, now)
	case accountID != 0:
		out.Count, err = countFalseAlarms(ctx, s.rdb, `account_id = ?`, []any{accountID}, out.Codes, now)
	default:
		var sites []int64
		if sites, err = s.customerSites(ctx, customerID); err != nil {
			return nil, err
		}
		for _, id := range sites {
			n, err := countFalseAlarms(ctx, s.rdb, `site_id = ?`, []any{id}, out.Codes, now)
			if err != nil {
				return nil, err
			}
			out.Count += n
		}
	}
	return out, err
}

// customerSites are the sites of a customer and of every customer under
// it.
func (s *Store) customerSites(ctx context.Context, customerID int64) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, coalesce(parent_id, 0) FROM customers`)
	if err != nil {
		return nil, err
	}
	children := map[int64][]int64{}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id, parent int64
		err := sc.Scan(&id, &parent)
		children[parent] = append(children[parent], id)
		return struct{}{}, err
	}); err != nil {
		return nil, err
	}
	under := map[int64]bool{customerID: true}
	for todo := []int64{customerID}; len(todo) > 0; todo = todo[1:] {
		for _, c := range children[todo[0]] {
			if !under[c] {
				under[c] = true
				todo = append(todo, c)
			}
		}
	}
	rows, err = s.rdb.QueryContext(ctx, `SELECT id, customer_id FROM sites`)
	if err != nil {
		return nil, err
	}
	var out []int64
	_, err = core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id, cust int64
		err := sc.Scan(&id, &cust)
		if under[cust] {
			out = append(out, id)
		}
		return struct{}{}, err
	})
	return out, err
}

// Permit is a site's alarm permit.
type Permit struct {
	SiteID    int64     `json:"site_id"`
	Number    string    `json:"number"`
	Expires   string    `json:"expires"` // 2006-01-02
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SetPermit stores a site's alarm permit; audited as permit.set.
func (s *Store) SetPermit(ctx context.Context, p *Permit, by Actor) error {
	p.Number = strings.TrimSpace(p.Number)
	if p.Number == "" || len(p.Number) > 64 {
		return core.Invalid("number", "is required, up to 64 characters")
	}
	if _, err := time.Parse(schedule.DateLayout, p.Expires); err != nil {
		return core.Invalid("expires", "%q is not a date YYYY-MM-DD", p.Expires)
	}
	now := s.opts.Now().UTC()
	p.UpdatedBy, p.UpdatedAt = by.Name, now
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM sites WHERE id = ?`, p.SiteID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: site %d", ErrNotFound, p.SiteID)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alarm_permits (site_id, number, expires, updated_by, updated_at) VALUES (?,?,?,?,?)
			ON CONFLICT (site_id) DO UPDATE SET number = excluded.number, expires = excluded.expires, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`, p.SiteID, p.Number, p.Expires, p.UpdatedBy, now.UnixNano()); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "permit.set", fmt.Sprintf("site:%d", p.SiteID), p)
	})
}

// SitePermit returns a site's permit, nil when it has none.
func (s *Store) SitePermit(ctx context.Context, siteID int64) (*Permit, error) {
	p := &Permit{SiteID: siteID}
	var at int64
	err := s.rdb.QueryRowContext(ctx, `SELECT number, expires, updated_by, updated_at FROM alarm_permits WHERE site_id = ?`, siteID).
		Scan(&p.Number, &p.Expires, &p.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	p.UpdatedAt = fromNanos(at)
	return p, err
}

// WarnExpiringPermits raises a station event for each permit that
// expires within `within` (or has expired), once per expiry date; the
// queue's sweep calls it.
func (s *Store) WarnExpiringPermits(ctx context.Context, within time.Duration) (int, error) {
	now := s.opts.Now().UTC()
	limit := now.Add(within).Format(schedule.DateLayout)
	// Read first: the sweep runs every few seconds, and a warning is due
	// once a permit.
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM alarm_permits WHERE expires <= ? AND warned_for <> expires`, limit).Scan(&n); err != nil || n == 0 {
		return 0, err
	}
	warned := 0
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		warned = 0
		rows, err := tx.QueryContext(ctx, `SELECT p.site_id, p.number, p.expires, s.name FROM alarm_permits p JOIN sites s ON s.id = p.site_id
			WHERE p.expires <= ? AND p.warned_for <> p.expires`, limit)
		if err != nil {
			return err
		}
		type due struct {
			site                  int64
			number, expires, name string
		}
		list, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (due, error) {
			var d due
			err := sc.Scan(&d.site, &d.number, &d.expires, &d.name)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range list {
			detail, err := core.JSONText(map[string]any{"site_id": d.site, "site": d.name, "permit": d.number, "expires": d.expires})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, detail) VALUES (?,?,?,?,?)`,
				now.UnixNano(), EventPermitExpiring, 0, "", detail); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE alarm_permits SET warned_for = expires WHERE site_id = ?`, d.site); err != nil {
				return err
			}
			warned++
		}
		return nil
	})
	return warned, err
}

// SiteFalseAlarms is one site's false alarms in a report's range.
type SiteFalseAlarms struct {
	SiteID     int64  `json:"site_id"`
	Site       string `json:"site"`
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
	Count      int    `json:"count"`
}

// CustomerFalseAlarms is one customer's false alarms (its own sites').
type CustomerFalseAlarms struct {
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
	Sites      int    `json:"sites"`
	Count      int    `json:"count"`
}

// FalseAlarmReport ranks the sites and customers by the incidents resolved
// in [From, To) with a false alarm code, most first.
type FalseAlarmReport struct {
	From      time.Time             `json:"from"`
	To        time.Time             `json:"to"`
	Codes     []string              `json:"codes"`
	Threshold int                   `json:"threshold"`
	Sites     []SiteFalseAlarms     `json:"sites"`
	Customers []CustomerFalseAlarms `json:"customers"`
}

// maxFalseAlarmSites bounds the sites a report lists.
const maxFalseAlarmSites = 1000

// FalseAlarmsReport reads the false alarms resolved in [from, to), through
// incidents_closed, grouped by site.
func (s *Store) FalseAlarmsReport(ctx context.Context, from, to time.Time) (*FalseAlarmReport, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	r := s.currentRules().FalseAlarms
	rep := &FalseAlarmReport{From: from, To: to, Codes: slices.Clone(r.Codes), Threshold: r.Threshold,
		Sites: []SiteFalseAlarms{}, Customers: []CustomerFalseAlarms{}}
	if len(r.Codes) == 0 {
		return rep, nil
	}
	args := []any{from.UnixNano(), to.UnixNano()}
	for _, c := range r.Codes {
		args = append(args, c)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT i.site_id, s.name, s.customer_id, coalesce(c.name, ''), count(*)
		FROM incidents i JOIN sites s ON s.id = i.site_id LEFT JOIN customers c ON c.id = s.customer_id
		WHERE i.status <> 'open' AND i.resolved_at >= ? AND i.resolved_at < ?
		AND i.resolution_code IN (`+core.Marks(len(r.Codes))+`)
		GROUP BY i.site_id, s.name, s.customer_id, c.name ORDER BY count(*) DESC, i.site_id LIMIT ?`,
		append(args, maxFalseAlarmSites)...)
	if err != nil {
		return nil, fmt.Errorf("store: false alarm report: %w", err)
	}
	defer rows.Close()
	byCustomer := map[int64]*CustomerFalseAlarms{}
	for rows.Next() {
		var x SiteFalseAlarms
		if err := rows.Scan(&x.SiteID, &x.Site, &x.CustomerID, &x.Customer, &x.Count); err != nil {
			return nil, fmt.Errorf("store: false alarm report: %w", err)
		}
		rep.Sites = append(rep.Sites, x)
		c := byCustomer[x.CustomerID]
		if c == nil {
			c = &CustomerFalseAlarms{CustomerID: x.CustomerID, Customer: x.Customer}
			byCustomer[x.CustomerID] = c
		}
		c.Sites++
		c.Count += x.Count
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: false alarm report: %w", err)
	}
	for _, c := range byCustomer {
		rep.Customers = append(rep.Customers, *c)
	}
	slices.SortFunc(rep.Customers, func(a, b CustomerFalseAlarms) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return int(a.CustomerID - b.CustomerID)
	})
	return rep, nil
}
