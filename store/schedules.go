package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/schedule"
)

// Open/close schedules [automation-research.md §5.7]: an account's weekly
// windows and temporary days, per area where the panel reports areas, the
// station's and the customers' holidays, and what supervision keeps to
// judge openings and closings against them (schedule_transitions,
// schedule_states, schedule_clock). Every change is audited and moves the
// book's version, by which supervision reloads it.

// Schedule is an account's open/close schedule.
type Schedule struct {
	AccountID int64 `json:"account_id"`
	// OpenGraceMinutes is how far from a window's opening an opening is on
	// time (late to open at opens + grace); CloseGraceMinutes the same for
	// closings (late to close at closes + grace).
	OpenGraceMinutes  int              `json:"open_grace_minutes"`
	CloseGraceMinutes int              `json:"close_grace_minutes"`
	Windows           []ScheduleWindow `json:"windows"`
	// Days are temporary schedules: dates whose windows replace the
	// week's (and a holiday's), or that are closed all day.
	Days []ScheduleDay `json:"days"`
	// TimeZone is the site's, in which every time here is read.
	TimeZone  string    `json:"time_zone"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
	// States are the areas' last known states (read only).
	States []ScheduleAreaState `json:"states"`
}

// ScheduleWindow is one weekly window.
type ScheduleWindow struct {
	// Area is the panel's area (partition) it is for; "" is the account's,
	// which also applies to the areas without windows of their own.
	Area   string `json:"area"`
	Day    string `json:"day"`    // monday … sunday
	Opens  string `json:"opens"`  // 08:00
	Closes string `json:"closes"` // 17:30; 24:00 is the end of the day
}

// ScheduleDay is a temporary day: its windows, or closed all day.
type ScheduleDay struct {
	Area   string `json:"area"`
	Date   string `json:"date"` // 2026-12-24
	Closed bool   `json:"closed"`
	Opens  string `json:"opens,omitempty"`
	Closes string `json:"closes,omitempty"`
}

// ScheduleAreaState is an area's last opening or closing.
type ScheduleAreaState struct {
	AccountID int64     `json:"-"`
	Area      string    `json:"area"`
	Open      bool      `json:"open"`
	Since     time.Time `json:"since"`
}

// Limits on a schedule's size: what one API call may make the station keep.
const (
	maxScheduleWindows = 200
	maxScheduleDays    = 400
	maxAreaLen         = 16
	maxGraceMinutes    = 12 * 60
)

var weekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// scheduled is a checked schedule in the form it is stored and judged in.
type scheduled struct {
	windows []storedWindow
	days    []storedDay
}

type storedWindow struct {
	area    string
	weekday int
	w       schedule.Window
}

type storedDay struct {
	area string
	day  string
	w    schedule.Window // Opens -1: closed all day
}

// checkSchedule validates sch and returns it in stored form; errors name
// the field (windows[2].closes).
func checkSchedule(sch *Schedule) (*scheduled, error) {
	switch {
	case sch.OpenGraceMinutes < 0 || sch.OpenGraceMinutes > maxGraceMinutes:
		return nil, core.Invalid("open_grace_minutes", "must be 0 to %d", maxGraceMinutes)
	case sch.CloseGraceMinutes < 0 || sch.CloseGraceMinutes > maxGraceMinutes:
		return nil, core.Invalid("close_grace_minutes", "must be 0 to %d", maxGraceMinutes)
	case len(sch.Windows) > maxScheduleWindows:
		return nil, core.Invalid("windows", "at most %d windows", maxScheduleWindows)
	case len(sch.Days) > maxScheduleDays:
		return nil, core.Invalid("days", "at most %d temporary days", maxScheduleDays)
	}
	out := &scheduled{}
	type dayKey struct{ area, day string }
	byDay := map[dayKey][]int{} // weekday windows: area and weekday → indexes
	for i, w := range sch.Windows {
		f := fmt.Sprintf("windows[%d]", i)
		if err := checkArea(f+".area", w.Area); err != nil {
			return nil, err
		}
		wd := -1
		for n, name := range weekdayNames {
			if strings.EqualFold(w.Day, name) {
				wd = n
			}
		}
		if wd < 0 {
			return nil, core.Invalid(f+".day", "%q is not a day of the week (monday … sunday)", w.Day)
		}
		win, err := parseWindow(f, w.Opens, w.Closes)
		if err != nil {
			return nil, err
		}
		area := schedule.AreaKey(w.Area)
		out.windows = append(out.windows, storedWindow{area, wd, win})
		k := dayKey{area, weekdayNames[wd]}
		byDay[k] = append(byDay[k], i)
	}
	for i, d := range sch.Days {
		f := fmt.Sprintf("days[%d]", i)
		if err := checkArea(f+".area", d.Area); err != nil {
			return nil, err
		}
		if _, err := time.Parse(schedule.DateLayout, d.Date); err != nil {
			return nil, core.Invalid(f+".date", "%q is not a date YYYY-MM-DD", d.Date)
		}
		area := schedule.AreaKey(d.Area)
		if d.Closed {
			if d.Opens != "" || d.Closes != "" {
				return nil, core.Invalid(f+".closed", "a day closed all day has no opens or closes")
			}
			out.days = append(out.days, storedDay{area, d.Date, schedule.Window{Opens: -1, Closes: -1}})
		} else {
			win, err := parseWindow(f, d.Opens, d.Closes)
			if err != nil {
				return nil, err
			}
			out.days = append(out.days, storedDay{area, d.Date, win})
		}
		k := dayKey{area, d.Date}
		byDay[k] = append(byDay[k], -1-i)
	}
	for _, idx := range byDay {
		var ws []schedule.Window
		closed := false
		for _, i := range idx {
			if i >= 0 {
				ws = append(ws, out.windows[i].w)
				continue
			}
			d := out.days[-1-i]
			if d.w.Opens < 0 {
				closed = true
			} else {
				ws = append(ws, d.w)
			}
		}
		if closed && len(ws) > 0 {
			i := idx[len(idx)-1]
			return nil, core.Invalid(fmt.Sprintf("days[%d].closed", -1-i), "the date %s also has windows", out.days[-1-i].day)
		}
		if bad, err := schedule.Check(ws); err != nil {
			// Check numbers the windows of this day; name the field.
			n := 0
			for _, i := range idx {
				if i < 0 && out.days[-1-i].w.Opens < 0 {
					continue
				}
				if n == bad {
					if i >= 0 {
						return nil, core.Invalid(fmt.Sprintf("windows[%d].opens", i), "%v", err)
					}
					return nil, core.Invalid(fmt.Sprintf("days[%d].opens", -1-i), "%v", err)
				}
				n++
			}
		}
	}
	return out, nil
}

func checkArea(field, area string) error {
	if len(area) > maxAreaLen || strings.IndexFunc(area, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return core.Invalid(field, "an area is up to %d printable characters, as the panel reports it", maxAreaLen)
	}
	return nil
}

func parseWindow(field, opens, closes string) (schedule.Window, error) {
	o, err := schedule.ParseClock(opens)
	if err != nil {
		return schedule.Window{}, core.Invalid(field+".opens", "%v", err)
	}
	c, err := schedule.ParseClock(closes)
	if err != nil {
		return schedule.Window{}, core.Invalid(field+".closes", "%v", err)
	}
	if c <= o {
		return schedule.Window{}, core.Invalid(field+".closes", "closes %s is not after opens %s", closes, opens)
	}
	return schedule.Window{Opens: o, Closes: c}, nil
}

func accountTarget(id int64) string { return fmt.Sprintf("account:%d", id) }

const bumpBookSQL = `UPDATE schedule_clock SET book_version = book_version + 1 WHERE id = 1`

// SetSchedule checks and stores an account's schedule, replacing the one
// it had, effective now: no deadline before now is raised for it. Audited
// as schedule.set, with the schedule before and after.
func (s *Store) SetSchedule(ctx context.Context, sch *Schedule, by Actor) error {
	checked, err := checkSchedule(sch)
	if err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, sch.AccountID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: account %d", ErrNotFound, sch.AccountID)
		}
		if err != nil {
			return err
		}
		before, err := readSchedule(ctx, tx, sch.AccountID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return writeSchedule(ctx, tx, sch, checked, before, by, now)
	})
	if err != nil {
		return err
	}
	got, err := s.Schedule(ctx, sch.AccountID)
	if err != nil {
		return err
	}
	*sch = *got
	return nil
}

// writeSchedule replaces an account's schedule in tx and audits it;
// before is the one it had (nil: none).
func writeSchedule(ctx context.Context, tx *sql.Tx, sch *Schedule, checked *scheduled, before *Schedule, by Actor, now time.Time) error {
	for _, q := range []string{`DELETE FROM schedule_windows WHERE account_id = ?`, `DELETE FROM schedule_days WHERE account_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, sch.AccountID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schedules (account_id, open_grace_seconds, close_grace_seconds, updated_by, updated_at)
		VALUES (?,?,?,?,?) ON CONFLICT (account_id) DO UPDATE SET open_grace_seconds = excluded.open_grace_seconds,
		close_grace_seconds = excluded.close_grace_seconds, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		sch.AccountID, sch.OpenGraceMinutes*60, sch.CloseGraceMinutes*60, by.Name, now.UnixNano()); err != nil {
		return err
	}
	for _, w := range checked.windows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_windows (account_id, area, weekday, opens, closes) VALUES (?,?,?,?,?)`,
			sch.AccountID, w.area, w.weekday, w.w.Opens, w.w.Closes); err != nil {
			return err
		}
	}
	for _, d := range checked.days {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_days (account_id, area, day, opens, closes) VALUES (?,?,?,?,?)`,
			sch.AccountID, d.area, d.day, d.w.Opens, d.w.Closes); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, bumpBookSQL); err != nil {
		return err
	}
	after, err := readSchedule(ctx, tx, sch.AccountID)
	if err != nil {
		return err
	}
	detail := map[string]any{"after": after}
	if before != nil {
		detail["before"] = before
	}
	return core.Audit(ctx, tx, now, by, "schedule.set", accountTarget(sch.AccountID), detail)
}

// DeleteSchedule removes an account's schedule; audited as
// schedule.delete.
func (s *Store) DeleteSchedule(ctx context.Context, accountID int64, by Actor) error {
	now := s.opts.Now().UTC()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		before, err := readSchedule(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM schedules WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM schedule_states WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, bumpBookSQL); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "schedule.delete", accountTarget(accountID), map[string]any{"before": before})
	})
}

// Schedule returns an account's schedule with its areas' states.
func (s *Store) Schedule(ctx context.Context, accountID int64) (*Schedule, error) {
	sch, err := readSchedule(ctx, s.rdb, accountID)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT account_id, area, opened, changed_at FROM schedule_states WHERE account_id = ? ORDER BY area`, accountID)
	if err != nil {
		return nil, err
	}
	sch.States, err = core.AppendRows(sch.States, rows, scanAreaState)
	return sch, err
}

func scanAreaState(sc core.RowScanner) (ScheduleAreaState, error) {
	var st ScheduleAreaState
	var open int
	var at int64
	err := sc.Scan(&st.AccountID, &st.Area, &open, &at)
	st.Open, st.Since = open != 0, fromNanos(at)
	return st, err
}

// readSchedule reads a schedule (without states) on q.
func readSchedule(ctx context.Context, q core.Reader, accountID int64) (*Schedule, error) {
	sch := &Schedule{AccountID: accountID, Windows: []ScheduleWindow{}, Days: []ScheduleDay{}, States: []ScheduleAreaState{}}
	var og, cg, at int64
	err := q.QueryRowContext(ctx, `SELECT h.open_grace_seconds, h.close_grace_seconds, h.updated_by, h.updated_at, s.time_zone
		FROM schedules h JOIN accounts a ON a.id = h.account_id JOIN sites s ON s.id = a.site_id WHERE h.account_id = ?`, accountID).
		Scan(&og, &cg, &sch.UpdatedBy, &at, &sch.TimeZone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: account %d has no schedule", ErrNotFound, accountID)
	}
	if err != nil {
		return nil, err
	}
	sch.OpenGraceMinutes, sch.CloseGraceMinutes, sch.UpdatedAt = int(og/60), int(cg/60), fromNanos(at)
	rows, err := q.QueryContext(ctx, `SELECT area, weekday, opens, closes FROM schedule_windows WHERE account_id = ?
		ORDER BY area, (weekday + 6) % 7, opens`, accountID)
	if err != nil {
		return nil, err
	}
	sch.Windows, err = core.AppendRows(sch.Windows, rows, func(sc core.RowScanner) (ScheduleWindow, error) {
		var w ScheduleWindow
		var wd, o, c int
		err := sc.Scan(&w.Area, &wd, &o, &c)
		if wd >= 0 && wd < len(weekdayNames) {
			w.Day = weekdayNames[wd]
		}
		w.Opens, w.Closes = schedule.Clock(o), schedule.Clock(c)
		return w, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT area, day, opens, closes FROM schedule_days WHERE account_id = ? ORDER BY day, area, opens`, accountID)
	if err != nil {
		return nil, err
	}
	sch.Days, err = core.AppendRows(sch.Days, rows, func(sc core.RowScanner) (ScheduleDay, error) {
		var d ScheduleDay
		var o, c int
		err := sc.Scan(&d.Area, &d.Date, &o, &c)
		if o < 0 {
			d.Closed = true
		} else {
			d.Opens, d.Closes = schedule.Clock(o), schedule.Clock(c)
		}
		return d, err
	})
	return sch, err
}

// Holiday is a closed date: the station's (CustomerID 0) or a customer's,
// which also applies to the customers under it.
type Holiday struct {
	ID         int64     `json:"id"`
	CustomerID int64     `json:"customer_id"`
	Date       string    `json:"date"`
	Name       string    `json:"name"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// maxHolidays bounds the calendars.
const maxHolidays = 20000

// CreateHoliday checks and stores a holiday; audited as holiday.create.
func (s *Store) CreateHoliday(ctx context.Context, h *Holiday, by Actor) error {
	if _, err := time.Parse(schedule.DateLayout, h.Date); err != nil {
		return core.Invalid("date", "%q is not a date YYYY-MM-DD", h.Date)
	}
	h.Name = strings.TrimSpace(h.Name)
	if h.Name == "" || len(h.Name) > 100 {
		return core.Invalid("name", "is required, up to 100 characters")
	}
	if h.CustomerID < 0 {
		return core.Invalid("customer_id", "is 0 for the station's calendar or a customer's id")
	}
	now := s.opts.Now().UTC()
	h.CreatedBy, h.CreatedAt = by.Name, now
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if h.CustomerID != 0 {
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM customers WHERE id = ?`, h.CustomerID).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				return core.Invalid("customer_id", "customer %d does not exist", h.CustomerID)
			}
			if err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM holidays WHERE customer_id = ? AND day = ?`, h.CustomerID, h.Date).Scan(&n)
		if err == nil {
			return core.Invalid("date", "%s is a holiday of this calendar already", h.Date)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM holidays`).Scan(&n); err != nil {
			return err
		}
		if n >= maxHolidays {
			return core.Invalid("date", "the calendars hold %d holidays, the most kept", n)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO holidays (customer_id, day, name, created_by, created_at) VALUES (?,?,?,?,?) RETURNING id`,
			h.CustomerID, h.Date, h.Name, h.CreatedBy, now.UnixNano()).Scan(&h.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, bumpBookSQL); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "holiday.create", fmt.Sprintf("holiday:%d", h.ID), h)
	})
}

// DeleteHoliday removes a holiday; audited as holiday.delete.
func (s *Store) DeleteHoliday(ctx context.Context, id int64, by Actor) error {
	return s.deleteAudited(ctx, by, "holidays", id, "holiday", func(q core.Reader) (any, error) {
		return firstOf(queryHolidays(ctx, q, `WHERE id = ?`, id))
	}, bumpBookSQL) // supervision reloads the calendars
}

// deleteAudited deletes row id of table in one transaction with its audit
// entry (what.delete on what:id, with the row as read reads it before);
// ErrNotFound when read finds none. also are statements run in the same
// transaction after the delete.
func (s *Store) deleteAudited(ctx context.Context, by Actor, table string, id int64, what string, read func(q core.Reader) (any, error),
	also ...string) error {
	now := s.opts.Now().UTC()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		before, err := read(tx)
		if err != nil {
			return err
		}
		if before == nil {
			return fmt.Errorf("%w: %s %d", ErrNotFound, strings.ReplaceAll(what, "_", " "), id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id); err != nil {
			return err
		}
		for _, q := range also {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return core.Audit(ctx, tx, now, by, what+".delete", fmt.Sprintf("%s:%d", what, id), before)
	})
}

// firstOf is the first of a list read, or nil.
func firstOf[T any](list []T, err error) (any, error) {
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Holidays lists the holidays of a calendar (customerID 0: the station's;
// below 0: every calendar), by date.
func (s *Store) Holidays(ctx context.Context, customerID int64) ([]Holiday, error) {
	if customerID < 0 {
		return queryHolidays(ctx, s.rdb, `WHERE 1 = 1`)
	}
	return queryHolidays(ctx, s.rdb, `WHERE customer_id = ?`, customerID)
}

func queryHolidays(ctx context.Context, q core.Reader, where string, args ...any) ([]Holiday, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, customer_id, day, name, created_by, created_at FROM holidays `+where+` ORDER BY day, customer_id`, args...)
	if err != nil {
		return nil, err
	}
	return core.AppendRows([]Holiday{}, rows, func(sc core.RowScanner) (Holiday, error) {
		var h Holiday
		var at int64
		err := sc.Scan(&h.ID, &h.CustomerID, &h.Date, &h.Name, &h.CreatedBy, &at)
		h.CreatedAt = fromNanos(at)
		return h, err
	})
}

// ScheduledAccount is an account with a schedule, as supervision judges
// it: one plan per area ("" the account's).
type ScheduledAccount struct {
	AccountID int64
	Receiver  int
	Number    string
	// Since is when the schedule took effect: no deadline before it is
	// raised.
	Since time.Time
	Plans map[string]*schedule.Plan
}

// PlanFor returns the plan an event of area applies: the area's own, else
// the account's; area is then the key its state is kept under.
func (a *ScheduledAccount) PlanFor(area string) (*schedule.Plan, string) {
	if p, ok := a.Plans[area]; ok {
		return p, area
	}
	return a.Plans[""], ""
}

// ScheduleBook is every schedule, at a version of the book.
type ScheduleBook struct {
	Version  int64
	Accounts []ScheduledAccount
}

// ScheduleClock returns how far supervision has checked the deadlines and
// the book's version.
func (s *Store) ScheduleClock(ctx context.Context) (evaluatedThrough time.Time, version int64, err error) {
	var at int64
	err = s.rdb.QueryRowContext(engine.AsProjected(ctx), `SELECT evaluated_through, book_version FROM schedule_clock WHERE id = 1`).Scan(&at, &version)
	if at > 0 {
		evaluatedThrough = fromNanos(at)
	}
	return evaluatedThrough, version, err
}

// ScheduleBook reads every schedule with its site's time zone and the
// holidays of the station and of the site's customer and those above it.
func (s *Store) ScheduleBook(ctx context.Context) (*ScheduleBook, error) {
	// The version is read first: a change made while the rest is read
	// moves it again, and the next reload takes that change.
	ctx = engine.AsProjected(ctx)
	tx := s.rdb
	book := &ScheduleBook{}
	if err := tx.QueryRowContext(ctx, `SELECT book_version FROM schedule_clock WHERE id = 1`).Scan(&book.Version); err != nil {
		return nil, err
	}
	parents := map[int64]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(parent_id, 0) FROM customers`)
	if err != nil {
		return nil, err
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id, parent int64
		err := sc.Scan(&id, &parent)
		parents[id] = parent
		return struct{}{}, err
	}); err != nil {
		return nil, err
	}
	holidays := map[int64]map[string]bool{}
	hs, err := queryHolidays(ctx, tx, `WHERE 1 = 1`)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if holidays[h.CustomerID] == nil {
			holidays[h.CustomerID] = map[string]bool{}
		}
		holidays[h.CustomerID][h.Date] = true
	}
	type head struct {
		acct     ScheduledAccount
		customer int64
		loc      *time.Location
		og, cg   time.Duration
	}
	var heads []*head
	byID := map[int64]*head{}
	rows, err = tx.QueryContext(ctx, `SELECT h.account_id, a.receiver, a.number, h.updated_at, h.open_grace_seconds, h.close_grace_seconds,
		s.time_zone, s.customer_id FROM schedules h JOIN accounts a ON a.id = h.account_id JOIN sites s ON s.id = a.site_id ORDER BY h.account_id`)
	if err != nil {
		return nil, err
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		h := &head{}
		var at, og, cg int64
		var zone string
		if err := sc.Scan(&h.acct.AccountID, &h.acct.Receiver, &h.acct.Number, &at, &og, &cg, &zone, &h.customer); err != nil {
			return struct{}{}, err
		}
		h.acct.Since, h.og, h.cg = fromNanos(at), time.Duration(og)*time.Second, time.Duration(cg)*time.Second
		h.loc = time.UTC
		if l, err := time.LoadLocation(zone); err == nil {
			h.loc = l
		}
		h.acct.Plans = map[string]*schedule.Plan{}
		heads = append(heads, h)
		byID[h.acct.AccountID] = h
		return struct{}{}, nil
	}); err != nil {
		return nil, err
	}
	plan := func(h *head, area string) *schedule.Plan {
		p := h.acct.Plans[area]
		if p == nil {
			p = &schedule.Plan{OpenGrace: h.og, CloseGrace: h.cg, Loc: h.loc, Holidays: map[string]bool{}}
			// The station's holidays and those of the customer and every
			// customer above it (a bounded walk: a cycle cannot be stored,
			// but the walk does not trust that).
			for k, c := 0, h.customer; k < 64; k++ {
				for d := range holidays[c] {
					p.Holidays[d] = true
				}
				if c == 0 {
					break
				}
				c = parents[c]
			}
			h.acct.Plans[area] = p
		}
		return p
	}
	rows, err = tx.QueryContext(ctx, `SELECT account_id, area, weekday, opens, closes FROM schedule_windows ORDER BY account_id, area, opens`)
	if err != nil {
		return nil, err
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id int64
		var area string
		var wd, o, c int
		if err := sc.Scan(&id, &area, &wd, &o, &c); err != nil {
			return struct{}{}, err
		}
		if h := byID[id]; h != nil && wd >= 0 && wd < 7 {
			p := plan(h, area)
			p.Week[wd] = append(p.Week[wd], schedule.Window{Opens: o, Closes: c})
		}
		return struct{}{}, nil
	}); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT account_id, area, day, opens, closes FROM schedule_days ORDER BY account_id, area, day, opens`)
	if err != nil {
		return nil, err
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id int64
		var area, day string
		var o, c int
		if err := sc.Scan(&id, &area, &day, &o, &c); err != nil {
			return struct{}{}, err
		}
		if h := byID[id]; h != nil {
			p := plan(h, area)
			if p.Days == nil {
				p.Days = map[string][]schedule.Window{}
			}
			if o < 0 {
				p.Days[day] = nil
			} else {
				p.Days[day] = append(p.Days[day], schedule.Window{Opens: o, Closes: c})
			}
		}
		return struct{}{}, nil
	}); err != nil {
		return nil, err
	}
	for _, h := range heads {
		if len(h.acct.Plans) == 0 {
			continue // a schedule without windows expects nothing
		}
		// Each area's plan is its own; the account's ("") applies to the
		// areas without one (PlanFor), and its week to an area that has
		// temporary days but no weekly windows of its own.
		if acct := h.acct.Plans[""]; acct != nil {
			for area, p := range h.acct.Plans {
				if area != "" && noWeek(p) {
					p.Week = acct.Week
				}
			}
		}
		book.Accounts = append(book.Accounts, h.acct)
	}
	return book, nil
}

// noWeek reports whether a plan has no weekly window.
func noWeek(p *schedule.Plan) bool {
	for _, ws := range p.Week {
		if len(ws) > 0 {
			return false
		}
	}
	return true
}

// ScheduleTransition is an opening or closing of a scheduled account, as
// the projection stored it.
type ScheduleTransition struct {
	ID        int64
	AccountID int64
	Area      string
	Opening   bool
	At        time.Time
	SignalID  int64
}

// ScheduleTransitions returns the oldest limit transitions after id
// afterID. The read waits for the projection: every opening and closing
// acknowledged before it is in the answer.
func (s *Store) ScheduleTransitions(ctx context.Context, afterID int64, limit int) ([]ScheduleTransition, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, account_id, area, opening, at, signal_id FROM schedule_transitions
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	return core.AppendRows(nil, rows, func(sc core.RowScanner) (ScheduleTransition, error) {
		var t ScheduleTransition
		var opening int
		var at int64
		err := sc.Scan(&t.ID, &t.AccountID, &t.Area, &opening, &at, &t.SignalID)
		t.Opening, t.At = opening != 0, fromNanos(at)
		return t, err
	})
}

// ScheduleStates returns every area's last known state.
func (s *Store) ScheduleStates(ctx context.Context) ([]ScheduleAreaState, error) {
	rows, err := s.rdb.QueryContext(engine.AsProjected(ctx), `SELECT account_id, area, opened, changed_at FROM schedule_states`)
	if err != nil {
		return nil, err
	}
	return core.AppendRows(nil, rows, scanAreaState)
}

// ScheduleProgress is what supervision has done since it last saved.
type ScheduleProgress struct {
	// TakenThrough: the transitions up to this id are judged and go.
	TakenThrough int64
	States       []ScheduleAreaState
	// EvaluatedThrough: the deadlines up to here are checked.
	EvaluatedThrough time.Time
}

// SaveScheduleProgress writes supervision's progress in one transaction.
func (s *Store) SaveScheduleProgress(ctx context.Context, p ScheduleProgress) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if p.TakenThrough > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM schedule_transitions WHERE id <= ?`, p.TakenThrough); err != nil {
				return err
			}
		}
		for _, st := range p.States {
			if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_states (account_id, area, opened, changed_at)
				SELECT ?,?,?,? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?)
				ON CONFLICT (account_id, area) DO UPDATE SET opened = excluded.opened, changed_at = excluded.changed_at`,
				st.AccountID, st.Area, boolInt(st.Open), st.Since.UnixNano(), st.AccountID); err != nil {
				return err
			}
		}
		if !p.EvaluatedThrough.IsZero() {
			if _, err := tx.ExecContext(ctx, `UPDATE schedule_clock SET evaluated_through = ? WHERE id = 1 AND evaluated_through < ?`,
				p.EvaluatedThrough.UnixNano(), p.EvaluatedThrough.UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
}
