package ontest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// Engine is what on-test needs of the store's engine: the writer, for
// every change, and the read pool.
type Engine interface {
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Read() core.Reader
}

// Options configure on-test. The hooks run on the writer after the
// change's commit, in commit order: the account index and the sites' live
// views follow the periods through them.
type Options struct {
	Now     func() time.Time // required
	Started func(t OnTest)   // a period was stored (it may start later)
	Ended   func(t OnTest)   // a period ended, by hand or expiry
	// ExpireVisits ends, inside ExpireTests's transaction, the visits whose
	// window ran out and returns their sites; VisitsEnded gets those
	// sites after the commit. Visits put accounts on test, so they end
	// with their periods.
	ExpireVisits func(ctx context.Context, tx *sql.Tx, now time.Time) ([]int64, error)
	VisitsEnded  func(sites []int64)
}

// Tests are the accounts' on-test periods and the station events that log
// them.
type Tests struct {
	db   Engine
	rdb  core.Reader
	opts Options
}

// New returns the on-test periods kept by db.
func New(db Engine, o Options) *Tests {
	return &Tests{db: db, rdb: db.Read(), opts: o}
}

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
	ID           int64        `json:"id"`
	AccountID    int64        `json:"account_id"`
	Scope        string       `json:"scope"`
	Zones        core.Strings `json:"zones"`
	Categories   core.Strings `json:"categories"`
	StartsAt     time.Time    `json:"starts_at"`
	EndsAt       time.Time    `json:"ends_at"`
	Reason       string       `json:"reason"`
	AuthorisedBy string       `json:"authorised_by"`
	CreatedAt    time.Time    `json:"created_at"`
	WarnedAt     *time.Time   `json:"warned_at"`
	EndedAt      *time.Time   `json:"ended_at"`
	EndReason    string       `json:"end_reason"`
	// SiteID is the account's site, read in the transaction that started
	// or ended the period, for the hooks after its commit (which run on the
	// store's writer and must not query). Zero on periods only listed.
	SiteID int64 `json:"-"`
}

// ScopeText says what the period puts on test, in words: "the whole
// account", "zones 017, 018", "categories fire".
func (t *OnTest) ScopeText() string {
	switch t.Scope {
	case ScopeZones:
		return "zones " + strings.Join(t.Zones, ", ")
	case ScopeCategories:
		return "categories " + strings.Join(t.Categories, ", ")
	}
	return "the whole account"
}

// Active reports whether the period is in force at t.
func (t *OnTest) Active(at time.Time) bool {
	return t.EndedAt == nil && !at.Before(t.StartsAt) && at.Before(t.EndsAt)
}

// Covers reports whether an event at a time is in the period's scope; cat
// is the event's category (as its account's system type makes it), zone
// its zone normalised.
func (t *OnTest) Covers(cat protocols.Category, zone string, at time.Time) bool {
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

// Scan reads a row of on_tests' columns (Query's).
func Scan(sc core.RowScanner) (OnTest, error) {
	var t OnTest
	err := sc.Scan(&t.ID, &t.AccountID, &t.Scope, &t.Zones, &t.Categories, core.NanoTime{T: &t.StartsAt},
		core.NanoTime{T: &t.EndsAt}, &t.Reason, &t.AuthorisedBy, core.NanoTime{T: &t.CreatedAt}, core.NanoTimePtr{T: &t.WarnedAt},
		core.NanoTimePtr{T: &t.EndedAt}, &t.EndReason)
	return t, err
}

// Query lists the periods matching where, in start order, with q (the
// read pool, or a write transaction).
func Query(ctx context.Context, q Queryer, where string, args ...any) ([]OnTest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+onTestColumns+` FROM on_tests WHERE `+where+` ORDER BY starts_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: on-test periods: %w", err)
	}
	out, err := core.AppendRows([]OnTest{}, rows, Scan)
	if err != nil {
		return nil, fmt.Errorf("store: on-test periods: %w", err)
	}
	return out, nil
}

// Queryer is the read pool or a write transaction.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Unended lists every period that has not ended: the account index loads
// them at start-up.
func Unended(ctx context.Context, q Queryer) ([]OnTest, error) {
	return Query(ctx, q, `ended_at IS NULL`)
}

// OpenTests lists the on-test periods of an account that have not ended
// (in force now or scheduled).
func (s *Tests) OpenTests(ctx context.Context, accountID int64) ([]OnTest, error) {
	return Query(ctx, s.rdb, `account_id = ? AND ended_at IS NULL`, accountID)
}

// TestHistory lists the on-test periods of an account that overlap [from, to).
func (s *Tests) TestHistory(ctx context.Context, accountID int64, from, to time.Time) ([]OnTest, error) {
	return Query(ctx, s.rdb, `account_id = ? AND starts_at < ? AND coalesce(ended_at, ends_at) >= ?`,
		accountID, to.UnixNano(), from.UnixNano())
}

// StartTest validates and stores an on-test period and logs the transition
// (a test_on station event) in the same transaction. A zero StartsAt means
// now; maxDuration > 0 caps EndsAt − StartsAt.
func (s *Tests) StartTest(ctx context.Context, t *OnTest, maxDuration time.Duration) error {
	now := s.opts.Now().UTC()
	if t.StartsAt.IsZero() {
		t.StartsAt = now
	}
	t.StartsAt, t.EndsAt = t.StartsAt.UTC(), t.EndsAt.UTC()
	if err := Check(t, now, maxDuration); err != nil {
		return err
	}
	return s.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return Insert(ctx, tx, t, now)
	}, func() { s.opts.Started(*t) })
}

// Insert stores a checked on-test period and its test_on station event
// inside a write transaction; the caller tells the index after the commit.
func Insert(ctx context.Context, tx *sql.Tx, t *OnTest, now time.Time) error {
	if err := tx.QueryRowContext(ctx, `SELECT site_id FROM accounts WHERE id = ?`, t.AccountID).Scan(&t.SiteID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return core.Invalid("account_id", "account %d does not exist", t.AccountID)
		}
		return err
	}
	t.CreatedAt, t.WarnedAt, t.EndedAt, t.EndReason = now, nil, nil, ""
	if err := tx.QueryRowContext(ctx, `INSERT INTO on_tests (account_id, scope, zones, categories, starts_at,
		ends_at, reason, authorised_by, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
		t.AccountID, t.Scope, t.Zones, t.Categories, t.StartsAt.UnixNano(), t.EndsAt.UnixNano(),
		t.Reason, t.AuthorisedBy, now.UnixNano()).Scan(&t.ID); err != nil {
		return err
	}
	return stationEvent(ctx, tx, now, EventTestOn, t, map[string]any{
		"scope": t.Scope, "zones": t.Zones, "categories": t.Categories, "starts_at": t.StartsAt,
		"ends_at": t.EndsAt, "reason": t.Reason, "authorised_by": t.AuthorisedBy,
	})
}

// Check validates and normalises a period about to be stored at now;
// maxDuration > 0 caps its length.
func Check(t *OnTest, now time.Time, maxDuration time.Duration) error {
	switch t.Scope {
	case ScopeAccount:
		t.Zones, t.Categories = core.Strings{}, core.Strings{}
	case ScopeZones:
		if len(t.Zones) == 0 {
			return core.Invalid("zones", "list the zones on test")
		}
		for i, z := range t.Zones {
			if t.Zones[i] = core.NormaliseZone(z); t.Zones[i] == "" {
				return core.Invalid("zones", "zone %d is empty", i+1)
			}
		}
		t.Categories = core.Strings{}
	case ScopeCategories:
		if len(t.Categories) == 0 {
			return core.Invalid("categories", "list the event categories on test")
		}
		for _, c := range t.Categories {
			if _, ok := protocols.ParseCategory(c); !ok {
				return core.Invalid("categories", "%q is not an event category", c)
			}
		}
		t.Zones = core.Strings{}
	default:
		return core.Invalid("scope", "must be account, zones or categories")
	}
	if t.EndsAt.IsZero() {
		return core.Invalid("until", "give an end time or a duration")
	}
	if !t.EndsAt.After(t.StartsAt) || !t.EndsAt.After(now) {
		return core.Invalid("until", "the end must lie after the start and in the future")
	}
	if maxDuration > 0 && t.EndsAt.Sub(t.StartsAt) > maxDuration {
		return core.Invalid("until", "an account may be on test for at most %s", maxDuration)
	}
	if err := core.Required("reason", t.Reason); err != nil {
		return err
	}
	return core.Required("authorised_by", t.AuthorisedBy)
}

// EndTests takes an account off test by hand: every open period of the
// account ends now (or only testID when it is not 0). It returns the
// periods ended; none is core.ErrNotFound.
func (s *Tests) EndTests(ctx context.Context, accountID, testID int64, by string) ([]OnTest, error) {
	if err := core.Required("by", by); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	var ended []OnTest
	err := s.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		where, args := `account_id = ? AND ended_at IS NULL`, []any{accountID}
		if testID != 0 {
			where, args = where+` AND id = ?`, append(args, testID)
		}
		open, err := Query(ctx, tx, where, args...)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return fmt.Errorf("%w: account %d has no open on-test period", core.ErrNotFound, accountID)
		}
		for i := range open {
			if err := End(ctx, tx, &open[i], now, EndEnded, by); err != nil {
				return err
			}
		}
		ended = open
		return nil
	}, func() {
		for _, t := range ended {
			s.opts.Ended(t)
		}
	})
	return ended, err
}

// End ends a period at now inside a write transaction and logs it (a
// test_off station event); the caller tells the index after the commit.
func End(ctx context.Context, tx *sql.Tx, t *OnTest, now time.Time, why, by string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE on_tests SET ended_at = ?, end_reason = ? WHERE id = ?`,
		now.UnixNano(), why, t.ID); err != nil {
		return err
	}
	t.EndedAt, t.EndReason = &now, why
	if err := tx.QueryRowContext(ctx, `SELECT site_id FROM accounts WHERE id = ?`, t.AccountID).Scan(&t.SiteID); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return stationEvent(ctx, tx, now, EventTestOff, t, map[string]any{"end_reason": why, "by": by})
}

// ExpireTests does the on-test bookkeeping due at now: a test_expiring
// warning for each period ending within warnBefore, and the automatic
// off-test (test_off, end_reason expired) of each period whose time ran
// out, and the end of the visits whose window ran out (Options.ExpireVisits). The
// daemon calls it every few seconds; tests call it with a fake clock.
func (s *Tests) ExpireTests(ctx context.Context, now time.Time, warnBefore time.Duration) (warned, expired int, err error) {
	now = now.UTC()
	var ended []OnTest
	var visitSites []int64
	err = s.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		warned, expired, ended = 0, 0, nil
		due, err := Query(ctx, tx, `ended_at IS NULL AND (ends_at <= ? OR (warned_at IS NULL AND ends_at <= ?))`,
			now.UnixNano(), now.Add(warnBefore).UnixNano())
		if err != nil {
			return err
		}
		for i := range due {
			t := &due[i]
			if !t.EndsAt.After(now) {
				if err := End(ctx, tx, t, now, EndExpired, "expiry"); err != nil {
					return err
				}
				ended = append(ended, *t)
				expired++
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE on_tests SET warned_at = ? WHERE id = ?`, now.UnixNano(), t.ID); err != nil {
				return err
			}
			if err := stationEvent(ctx, tx, now, EventTestExpiring, t, map[string]any{"ends_at": t.EndsAt}); err != nil {
				return err
			}
			warned++
		}
		// Visits whose window ran out end with their periods.
		visitSites, err = s.opts.ExpireVisits(ctx, tx, now)
		return err
	}, func() {
		for _, t := range ended {
			s.opts.Ended(t)
		}
		s.opts.VisitsEnded(visitSites)
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

func stationEvent(ctx context.Context, tx *sql.Tx, at time.Time, kind string, t *OnTest, detail map[string]any) error {
	d, err := core.JSONText(detail)
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
func (s *Tests) StationEvents(ctx context.Context, f StationEventFilter) ([]StationEvent, error) {
	var w core.Where
	if f.Kind != "" {
		w.Add("kind = ?", f.Kind)
	}
	if f.AccountID != 0 {
		w.Add("account_id = ?", f.AccountID)
	}
	if !f.Since.IsZero() {
		w.Add("at >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		w.Add("at < ?", f.Until.UnixNano())
	}
	if f.AfterID > 0 {
		w.Add("id > ?", f.AfterID)
	}
	q, args := w.Finish(`SELECT id, at, kind, receiver, account, account_id, on_test_id, detail FROM station_events`, "id", f.Limit)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: station events: %w", err)
	}
	out, err := core.AppendRows([]StationEvent{}, rows, func(sc core.RowScanner) (StationEvent, error) {
		var e StationEvent
		var detail string
		err := sc.Scan(&e.ID, core.NanoTime{T: &e.At}, &e.Kind, &e.Receiver, &e.Account, &e.AccountID, &e.OnTestID, &detail)
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
