package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/sqlite"
)

// On-test scopes [automation-research.md §4.3]: the whole account, listed
// zones, or event categories.
const (
	ScopeAccount    = "account"
	ScopeZones      = "zones"
	ScopeCategories = "categories"
)

// How an on-test period ended.
const (
	EndExpired = "expired" // its time ran out
	EndEnded   = "ended"   // someone took the account off test
)

// OnTest is a period during which signals in its scope are stored and
// listed as test results but never passed to operators.
type OnTest struct {
	ID           int64      `json:"id"`
	AccountID    int64      `json:"account_id"`
	Scope        string     `json:"scope"`
	Zones        Strings    `json:"zones"`
	Categories   Strings    `json:"categories"`
	StartsAt     time.Time  `json:"starts_at"`
	EndsAt       time.Time  `json:"ends_at"`
	Reason       string     `json:"reason"`
	AuthorisedBy string     `json:"authorised_by"`
	CreatedAt    time.Time  `json:"created_at"`
	WarnedAt     *time.Time `json:"warned_at"`
	EndedAt      *time.Time `json:"ended_at"`
	EndReason    string     `json:"end_reason"`
}

// Active reports whether the period is in force at t.
func (t *OnTest) Active(at time.Time) bool {
	return t.EndedAt == nil && !at.Before(t.StartsAt) && at.Before(t.EndsAt)
}

// covers reports whether an event at a time is in the period's scope; cat
// is the event's category (as its account's system type makes it), zone
// its zone normalised.
func (t *OnTest) covers(cat protocols.Category, zone string, at time.Time) bool {
	if !t.Active(at) {
		return false
	}
	switch t.Scope {
	case ScopeAccount:
		return true
	case ScopeZones:
		return zone != "" && slices.Contains(t.Zones, zone)
	case ScopeCategories:
		return slices.Contains(t.Categories, cat.String())
	}
	return false
}

const onTestColumns = `id, account_id, scope, zones, categories, starts_at, ends_at, reason,
	authorised_by, created_at, warned_at, ended_at, end_reason`

func scanOnTest(sc sqlite.RowScanner) (OnTest, error) {
	var t OnTest
	err := sc.Scan(&t.ID, &t.AccountID, &t.Scope, &t.Zones, &t.Categories, nanoTime{&t.StartsAt},
		nanoTime{&t.EndsAt}, &t.Reason, &t.AuthorisedBy, nanoTime{&t.CreatedAt}, nanoTimePtr{&t.WarnedAt},
		nanoTimePtr{&t.EndedAt}, &t.EndReason)
	return t, err
}

func (s *Store) queryTests(ctx context.Context, q queryerRows, where string, args ...any) ([]OnTest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+onTestColumns+` FROM on_tests WHERE `+where+` ORDER BY starts_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: on-test periods: %w", err)
	}
	out, err := sqlite.AppendRows([]OnTest{}, rows, scanOnTest)
	if err != nil {
		return nil, fmt.Errorf("store: on-test periods: %w", err)
	}
	return out, nil
}

type queryerRows interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) openTests(ctx context.Context) ([]OnTest, error) {
	return s.queryTests(ctx, s.rdb, `ended_at IS NULL`)
}

// OpenTests lists the on-test periods of an account that have not ended
// (in force now or scheduled).
func (s *Store) OpenTests(ctx context.Context, accountID int64) ([]OnTest, error) {
	return s.queryTests(ctx, s.rdb, `account_id = ? AND ended_at IS NULL`, accountID)
}

// TestHistory lists the on-test periods of an account that overlap [from, to).
func (s *Store) TestHistory(ctx context.Context, accountID int64, from, to time.Time) ([]OnTest, error) {
	return s.queryTests(ctx, s.rdb, `account_id = ? AND starts_at < ? AND coalesce(ended_at, ends_at) >= ?`,
		accountID, to.UnixNano(), from.UnixNano())
}

// StartTest validates and stores an on-test period and logs the transition
// (a test_on station event) in the same transaction. A zero StartsAt means
// now; maxDuration > 0 caps EndsAt − StartsAt.
func (s *Store) StartTest(ctx context.Context, t *OnTest, maxDuration time.Duration) error {
	now := s.opts.Now().UTC()
	if t.StartsAt.IsZero() {
		t.StartsAt = now
	}
	t.StartsAt, t.EndsAt = t.StartsAt.UTC(), t.EndsAt.UTC()
	if err := checkTest(t, now, maxDuration); err != nil {
		return err
	}
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.insertTest(ctx, tx, t, now)
	}, func() {
		s.idx.testStarted(*t)
		s.publishTestChange(t.AccountID)
	})
}

// insertTest stores a checked on-test period and its test_on station event
// inside a write transaction; the caller tells the index after the commit.
func (s *Store) insertTest(ctx context.Context, tx *sql.Tx, t *OnTest, now time.Time) error {
	if err := exists(ctx, tx, "accounts", t.AccountID, "account_id", "account"); err != nil {
		return err
	}
	t.CreatedAt, t.WarnedAt, t.EndedAt, t.EndReason = now, nil, nil, ""
	res, err := tx.ExecContext(ctx, `INSERT INTO on_tests (account_id, scope, zones, categories, starts_at,
		ends_at, reason, authorised_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)`,
		t.AccountID, t.Scope, t.Zones, t.Categories, t.StartsAt.UnixNano(), t.EndsAt.UnixNano(),
		t.Reason, t.AuthorisedBy, now.UnixNano())
	if err != nil {
		return err
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return s.stationEvent(ctx, tx, now, EventTestOn, t, map[string]any{
		"scope": t.Scope, "zones": t.Zones, "categories": t.Categories, "starts_at": t.StartsAt,
		"ends_at": t.EndsAt, "reason": t.Reason, "authorised_by": t.AuthorisedBy,
	})
}

// publishTestChange tells the live views of an account's site that it went
// on or off test. Rare, so the site is read here rather than carried.
func (s *Store) publishTestChange(accountID int64) {
	var site int64
	if err := s.rdb.QueryRow(`SELECT site_id FROM accounts WHERE id = ?`, accountID).Scan(&site); err == nil {
		s.sites.publish(SiteEvent{SiteID: site, Kind: "test"})
	}
}

func checkTest(t *OnTest, now time.Time, maxDuration time.Duration) error {
	switch t.Scope {
	case ScopeAccount:
		t.Zones, t.Categories = Strings{}, Strings{}
	case ScopeZones:
		if len(t.Zones) == 0 {
			return invalid("zones", "list the zones on test")
		}
		for i, z := range t.Zones {
			if t.Zones[i] = NormaliseZone(z); t.Zones[i] == "" {
				return invalid("zones", "zone %d is empty", i+1)
			}
		}
		t.Categories = Strings{}
	case ScopeCategories:
		if len(t.Categories) == 0 {
			return invalid("categories", "list the event categories on test")
		}
		for _, c := range t.Categories {
			if _, ok := protocols.ParseCategory(c); !ok {
				return invalid("categories", "%q is not an event category", c)
			}
		}
		t.Zones = Strings{}
	default:
		return invalid("scope", "must be account, zones or categories")
	}
	if t.EndsAt.IsZero() {
		return invalid("until", "give an end time or a duration")
	}
	if !t.EndsAt.After(t.StartsAt) || !t.EndsAt.After(now) {
		return invalid("until", "the end must lie after the start and in the future")
	}
	if maxDuration > 0 && t.EndsAt.Sub(t.StartsAt) > maxDuration {
		return invalid("until", "an account may be on test for at most %s", maxDuration)
	}
	if err := required("reason", t.Reason); err != nil {
		return err
	}
	return required("authorised_by", t.AuthorisedBy)
}

// EndTests takes an account off test by hand: every open period of the
// account ends now (or only testID when it is not 0). It returns the
// periods ended; none is ErrNotFound.
func (s *Store) EndTests(ctx context.Context, accountID, testID int64, by string) ([]OnTest, error) {
	if err := required("by", by); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	var ended []OnTest
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		where, args := `account_id = ? AND ended_at IS NULL`, []any{accountID}
		if testID != 0 {
			where, args = where+` AND id = ?`, append(args, testID)
		}
		open, err := s.queryTests(ctx, tx, where, args...)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return fmt.Errorf("%w: account %d has no open on-test period", ErrNotFound, accountID)
		}
		for i := range open {
			if err := s.endTest(ctx, tx, &open[i], now, EndEnded, by); err != nil {
				return err
			}
		}
		ended = open
		return nil
	}, func() {
		for _, t := range ended {
			s.idx.testEnded(t.AccountID, t.ID)
			s.publishTestChange(t.AccountID)
		}
	})
	return ended, err
}

func (s *Store) endTest(ctx context.Context, tx *sql.Tx, t *OnTest, now time.Time, why, by string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE on_tests SET ended_at = ?, end_reason = ? WHERE id = ?`,
		now.UnixNano(), why, t.ID); err != nil {
		return err
	}
	t.EndedAt, t.EndReason = &now, why
	return s.stationEvent(ctx, tx, now, EventTestOff, t, map[string]any{"end_reason": why, "by": by})
}

// ExpireTests does the on-test bookkeeping due at now: a test_expiring
// warning for each period ending within warnBefore, and the automatic
// off-test (test_off, end_reason expired) of each period whose time ran
// out, and the end of the visits whose window ran out (expireVisits). The
// daemon calls it every few seconds; tests call it with a fake clock.
func (s *Store) ExpireTests(ctx context.Context, now time.Time, warnBefore time.Duration) (warned, expired int, err error) {
	now = now.UTC()
	var ended []OnTest
	var visitSites []int64
	err = s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		warned, expired, ended = 0, 0, nil
		due, err := s.queryTests(ctx, tx, `ended_at IS NULL AND (ends_at <= ? OR (warned_at IS NULL AND ends_at <= ?))`,
			now.UnixNano(), now.Add(warnBefore).UnixNano())
		if err != nil {
			return err
		}
		for i := range due {
			t := &due[i]
			if !t.EndsAt.After(now) {
				if err := s.endTest(ctx, tx, t, now, EndExpired, "expiry"); err != nil {
					return err
				}
				ended = append(ended, *t)
				expired++
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE on_tests SET warned_at = ? WHERE id = ?`, now.UnixNano(), t.ID); err != nil {
				return err
			}
			if err := s.stationEvent(ctx, tx, now, EventTestExpiring, t, map[string]any{"ends_at": t.EndsAt}); err != nil {
				return err
			}
			warned++
		}
		// Visits whose window ran out end with their periods.
		visitSites, err = expireVisits(ctx, tx, now)
		return err
	}, func() {
		for _, t := range ended {
			s.idx.testEnded(t.AccountID, t.ID)
			s.publishTestChange(t.AccountID)
		}
		for _, site := range visitSites {
			s.sites.publish(SiteEvent{SiteID: site, Kind: "visit"})
		}
	})
	return warned, expired, err
}

// Station event kinds: what the station itself records besides signals.
const (
	EventUnknownAccount = "unknown_account" // signals from an account no receiver knows
	EventUnencrypted    = "unencrypted"     // plain frames for an account that must encrypt (its key is set)
	EventTestOn         = "test_on"         // account placed on test (AT)
	EventTestOff        = "test_off"        // account off test, by hand or expiry (OT)
	EventTestExpiring   = "test_expiring"   // account coming off test soon (WT)
)

// StationEvent is one event the station raised itself.
type StationEvent struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Kind      string          `json:"kind"`
	Receiver  int             `json:"receiver"`
	Account   string          `json:"account"`
	AccountID *int64          `json:"account_id"`
	OnTestID  *int64          `json:"on_test_id"`
	Detail    json.RawMessage `json:"detail,omitempty"`
}

func (s *Store) stationEvent(ctx context.Context, tx *sql.Tx, at time.Time, kind string, t *OnTest, detail map[string]any) error {
	d, err := jsonText(detail)
	if err != nil {
		return err
	}
	var receiver int
	var number string
	if err := tx.QueryRowContext(ctx, `SELECT receiver, number FROM accounts WHERE id = ?`, t.AccountID).
		Scan(&receiver, &number); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, account_id, on_test_id, detail)
		VALUES (?,?,?,?,?,?,?)`, at.UnixNano(), kind, receiver, number, t.AccountID, t.ID, d)
	return err
}

// StationEventFilter selects station events; zero fields do not filter.
type StationEventFilter struct {
	Kind      string
	AccountID int64
	Since     time.Time
	Until     time.Time
	AfterID   int64
	Limit     int
}

// StationEvents lists station events, oldest first.
func (s *Store) StationEvents(ctx context.Context, f StationEventFilter) ([]StationEvent, error) {
	var w where
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.AccountID != 0 {
		w.add("account_id = ?", f.AccountID)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until.UnixNano())
	}
	if f.AfterID > 0 {
		w.add("id > ?", f.AfterID)
	}
	q, args := w.finish(`SELECT id, at, kind, receiver, account, account_id, on_test_id, detail FROM station_events`, "id", f.Limit)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: station events: %w", err)
	}
	out, err := sqlite.AppendRows([]StationEvent{}, rows, func(sc sqlite.RowScanner) (StationEvent, error) {
		var e StationEvent
		var detail string
		err := sc.Scan(&e.ID, nanoTime{&e.At}, &e.Kind, &e.Receiver, &e.Account, &e.AccountID, &e.OnTestID, &detail)
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: station events: %w", err)
	}
	return out, nil
}
