package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// The station's own reports beside response times and false alarms
// [automation-research.md §4]: the accounts not heard from, the on-test
// periods, what each operator did, and a site's openings and closings.
// Each reads one range through an index and is bounded: a range holding
// more rows than a report keeps says so (Truncated), never silently.

// maxReportRows bounds the rows of one report.
const maxReportRows = 10_000

// SilentReport lists the accounts not heard from since From, as of To
// (now): every account whose last signal came before From, or which never
// sent one, and every account supervision holds as failed to communicate
// or failed to test, whenever it was last heard.
type SilentReport struct {
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Accounts  []SilentAccount `json:"accounts"`
	Truncated bool            `json:"truncated"`
}

// SilentAccount is one account of the report.
type SilentAccount struct {
	AccountID  int64      `json:"account_id"`
	Receiver   int        `json:"receiver"`
	Account    string     `json:"account"`
	SiteID     int64      `json:"site_id"`
	Site       string     `json:"site"`
	CustomerID int64      `json:"customer_id"`
	Customer   string     `json:"customer"`
	LastSignal *time.Time `json:"last_signal_at"` // nil: never heard
	// FailedToCommunicate and FailedToTest are supervision's state: the
	// check-in or the periodic test is overdue [protocols.md §5.2].
	FailedToCommunicate bool `json:"failed_to_communicate"`
	FailedToTest        bool `json:"failed_to_test"`
	OnTest              bool `json:"on_test"`
	// IntervalSeconds and TestIntervalSeconds are the account's
	// supervision (0: not supervised).
	IntervalSeconds     int64 `json:"interval_seconds"`
	TestIntervalSeconds int64 `json:"test_interval_seconds"`
}

// SilentAccounts reads every account with its last signal (the newest of
// its signals by signals_account_id, one index step per account) and keeps
// those not heard from since from, never heard first, then the longest
// silent.
func (s *Store) SilentAccounts(ctx context.Context, from, to time.Time) (*SilentReport, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	now := s.opts.Now().UnixNano()
	rows, err := s.rdb.QueryContext(ctx, `SELECT a.id, a.receiver, a.number, a.site_id, coalesce(s.name, ''),
		coalesce(s.customer_id, 0), coalesce(c.name, ''), a.supervision_seconds, a.test_seconds,
		coalesce(v.failed, 0), coalesce(v.test_late, 0),
		(SELECT g.received_at FROM signals g WHERE g.account_id = a.id ORDER BY g.id DESC LIMIT 1),
		EXISTS (SELECT 1 FROM on_tests t WHERE t.account_id = a.id AND t.ended_at IS NULL AND t.starts_at <= ? AND t.ends_at > ?)
		FROM accounts a LEFT JOIN sites s ON s.id = a.site_id LEFT JOIN customers c ON c.id = s.customer_id
		LEFT JOIN supervision v ON v.account_id = a.id`, now, now)
	if err != nil {
		return nil, fmt.Errorf("store: silent accounts: %w", err)
	}
	all, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (SilentAccount, error) {
		var x SilentAccount
		var failed, late int
		var last *int64
		var onTest bool
		err := sc.Scan(&x.AccountID, &x.Receiver, &x.Account, &x.SiteID, &x.Site, &x.CustomerID, &x.Customer,
			&x.IntervalSeconds, &x.TestIntervalSeconds, &failed, &late, &last, &onTest)
		if last != nil {
			t := fromNanos(*last)
			x.LastSignal = &t
		}
		x.FailedToCommunicate, x.FailedToTest, x.OnTest = failed != 0, late != 0, onTest
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: silent accounts: %w", err)
	}
	rep := &SilentReport{From: from, To: to, Accounts: []SilentAccount{}}
	for _, x := range all {
		if x.LastSignal == nil || x.LastSignal.Before(from) || x.FailedToCommunicate || x.FailedToTest {
			rep.Accounts = append(rep.Accounts, x)
		}
	}
	slices.SortFunc(rep.Accounts, func(a, b SilentAccount) int {
		switch {
		case a.LastSignal == nil && b.LastSignal == nil:
		case a.LastSignal == nil:
			return -1
		case b.LastSignal == nil:
			return 1
		default:
			if c := a.LastSignal.Compare(*b.LastSignal); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.AccountID, b.AccountID)
	})
	if len(rep.Accounts) > maxReportRows {
		rep.Accounts, rep.Truncated = rep.Accounts[:maxReportRows], true
	}
	return rep, nil
}

// OnTestReport lists the on-test periods that overlap a range, newest
// first, each with the signals received in its scope.
type OnTestReport struct {
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Periods   []OnTestPeriod `json:"periods"`
	Truncated bool           `json:"truncated"`
}

// OnTestPeriod is one period of the report.
type OnTestPeriod struct {
	OnTest
	Receiver int    `json:"receiver"`
	Account  string `json:"account"`
	Site     string `json:"site"`
	Customer string `json:"customer"`
	// Signals is how many signals arrived in the period's scope (stored
	// as test results, never queued).
	Signals int `json:"signals"`
}

// OnTestHistory reads the periods starting before to and ending (or due
// to end) at or after from, newest first through on_tests_starts; each
// period's signals are counted among its account's (signals_account_id).
func (s *Store) OnTestHistory(ctx context.Context, from, to time.Time) (*OnTestReport, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT t.id, t.account_id, a.site_id, t.scope, t.zones, t.categories, t.starts_at,
		t.ends_at, t.reason, t.authorised_by, t.created_at, t.ended_at, t.end_reason, a.receiver, a.number,
		coalesce(s.name, ''), coalesce(c.name, ''), (SELECT count(*) FROM signals g WHERE g.account_id = t.account_id AND g.on_test_id = t.id)
		FROM on_tests t JOIN accounts a ON a.id = t.account_id LEFT JOIN sites s ON s.id = a.site_id
		LEFT JOIN customers c ON c.id = s.customer_id
		WHERE t.starts_at < ? AND coalesce(t.ended_at, t.ends_at) >= ? ORDER BY t.starts_at DESC, t.id DESC LIMIT ?`,
		to.UnixNano(), from.UnixNano(), maxReportRows+1)
	if err != nil {
		return nil, fmt.Errorf("store: on-test report: %w", err)
	}
	periods, err := core.AppendRows([]OnTestPeriod{}, rows, func(sc core.RowScanner) (OnTestPeriod, error) {
		var p OnTestPeriod
		var starts, ends, created int64
		var ended *int64
		err := sc.Scan(&p.ID, &p.AccountID, &p.SiteID, &p.Scope, &p.Zones, &p.Categories, &starts, &ends, &p.Reason,
			&p.AuthorisedBy, &created, &ended, &p.EndReason, &p.Receiver, &p.Account, &p.Site, &p.Customer, &p.Signals)
		p.StartsAt, p.EndsAt, p.CreatedAt = fromNanos(starts), fromNanos(ends), fromNanos(created)
		if ended != nil {
			t := fromNanos(*ended)
			p.EndedAt = &t
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: on-test report: %w", err)
	}
	rep := &OnTestReport{From: from, To: to, Periods: periods}
	if len(rep.Periods) > maxReportRows {
		rep.Periods, rep.Truncated = rep.Periods[:maxReportRows], true
	}
	return rep, nil
}

// OperatorActivityReport is what each station user did in a range: the
// incidents they took steps on, their steps by kind, and their log-ins.
type OperatorActivityReport struct {
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Operators []OperatorActivity `json:"operators"`
}

// OperatorActivity is one user's row. Actions counts every step by its
// kind (claimed, note, called, dispatched, resolved…).
type OperatorActivity struct {
	UserID    int64          `json:"user_id"`
	Operator  string         `json:"operator"`
	FullName  string         `json:"full_name"`
	Incidents int            `json:"incidents"`
	Steps     int            `json:"steps"`
	Actions   map[string]int `json:"actions"`
	Logins    int            `json:"logins"`
	First     *time.Time     `json:"first_at"`
	Last      *time.Time     `json:"last_at"`
}

// OperatorActivity reads the steps taken in [from, to) through
// incident_actions_at and the log-ins through audit_log_at. The system's
// own steps (opened, signal, claim_lapsed…) have no user and are not an
// operator's.
func (s *Store) OperatorActivity(ctx context.Context, from, to time.Time) (*OperatorActivityReport, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	span := []any{from.UnixNano(), to.UnixNano()}
	byUser := map[int64]*OperatorActivity{}
	user := func(id int64, name string) *OperatorActivity {
		o := byUser[id]
		if o == nil {
			o = &OperatorActivity{UserID: id, Operator: name, Actions: map[string]int{}}
			byUser[id] = o
		}
		return o
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT x.user_id, coalesce(u.username, min(x.user_name)), coalesce(u.full_name, ''),
		x.action, count(*), min(x.at), max(x.at)
		FROM incident_actions x LEFT JOIN users u ON u.id = x.user_id
		WHERE x.at >= ? AND x.at < ? AND x.user_id IS NOT NULL
		GROUP BY x.user_id, u.username, u.full_name, x.action`, span...)
	if err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id, first, last int64
		var name, full, action string
		var n int
		if err := sc.Scan(&id, &name, &full, &action, &n, &first, &last); err != nil {
			return struct{}{}, err
		}
		o := user(id, name)
		o.FullName = full
		o.Actions[action] += n
		o.Steps += n
		f, l := fromNanos(first), fromNanos(last)
		if o.First == nil || f.Before(*o.First) {
			o.First = &f
		}
		if o.Last == nil || l.After(*o.Last) {
			o.Last = &l
		}
		return struct{}{}, nil
	}); err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	rows, err = s.rdb.QueryContext(ctx, `SELECT user_id, count(DISTINCT incident_id) FROM incident_actions
		WHERE at >= ? AND at < ? AND user_id IS NOT NULL GROUP BY user_id`, span...)
	if err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id int64
		var n int
		err := sc.Scan(&id, &n)
		if o := byUser[id]; o != nil {
			o.Incidents = n
		}
		return struct{}{}, err
	}); err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	rows, err = s.rdb.QueryContext(ctx, `SELECT l.user_id, coalesce(u.username, min(l.user_name)), coalesce(u.full_name, ''), count(*)
		FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
		WHERE l.at >= ? AND l.at < ? AND l.action = 'login' AND l.user_id IS NOT NULL
		GROUP BY l.user_id, u.username, u.full_name`, span...)
	if err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	if _, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (struct{}, error) {
		var id int64
		var name, full string
		var n int
		err := sc.Scan(&id, &name, &full, &n)
		o := user(id, name)
		o.FullName, o.Logins = full, n
		return struct{}{}, err
	}); err != nil {
		return nil, fmt.Errorf("store: operator activity: %w", err)
	}
	rep := &OperatorActivityReport{From: from, To: to, Operators: []OperatorActivity{}}
	for _, o := range byUser {
		rep.Operators = append(rep.Operators, *o)
	}
	slices.SortFunc(rep.Operators, func(a, b OperatorActivity) int {
		return cmp.Or(cmp.Compare(b.Steps, a.Steps), cmp.Compare(a.Operator, b.Operator), cmp.Compare(a.UserID, b.UserID))
	})
	return rep, nil
}

// OpenCloseReport is a site's openings, closings and schedule exceptions
// (late to open, fail to close, unscheduled…) in a range, newest first.
type OpenCloseReport struct {
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	SiteID    int64            `json:"site_id"`
	Site      string           `json:"site"`
	TimeZone  string           `json:"time_zone"`
	Events    []OpenCloseEvent `json:"events"`
	Truncated bool             `json:"truncated"`
}

// OpenCloseEvent is one row of the report.
type OpenCloseEvent struct {
	SignalID   int64     `json:"signal_id"`
	At         time.Time `json:"at"`
	Receiver   int       `json:"receiver"`
	Account    string    `json:"account"`
	Area       string    `json:"area"` // the partition, "" when the panel sends none
	Code       string    `json:"code"`
	What       string    `json:"what"` // "Opened by user 3", "Late to Open"
	User       string    `json:"user"`
	Exception  bool      `json:"exception"` // a schedule exception, not an opening or closing
	Test       bool      `json:"test"`
	Incident   bool      `json:"incident"` // it was queued for an operator
	Resolution string    `json:"resolution"`
}

// OpenCloseHistory reads a site's opening/closing and schedule signals in
// [from, to) through signals_site.
func (s *Store) OpenCloseHistory(ctx context.Context, siteID int64, from, to time.Time) (*OpenCloseReport, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	site, err := s.Sites.Get(ctx, siteID)
	if err != nil {
		return nil, err
	}
	rep := &OpenCloseReport{From: from, To: to, SiteID: site.ID, Site: site.Name, TimeZone: site.TimeZone, Events: []OpenCloseEvent{}}
	for _, cat := range []protocols.Category{protocols.CategoryOpenClose, protocols.CategorySchedule} {
		sigs, err := s.Signals(ctx, SignalFilter{SiteID: siteID, Category: cat.String(), Since: from, Until: to, Desc: true, Limit: maxReportRows + 1})
		if err != nil {
			return nil, err
		}
		rep.Truncated = rep.Truncated || len(sigs) > maxReportRows
		for _, sg := range sigs {
			rep.Events = append(rep.Events, OpenCloseEvent{SignalID: sg.ID, At: sg.ReceivedAt, Receiver: sg.Receiver, Account: sg.Account,
				Area: sg.Partition, Code: sg.EventCode, What: sg.EventText(), User: sg.User, Exception: cat == protocols.CategorySchedule,
				Test: sg.Test || sg.Handling == HandlingTest, Incident: sg.Handling == HandlingQueue, Resolution: sg.Resolution})
		}
	}
	slices.SortFunc(rep.Events, func(a, b OpenCloseEvent) int { return cmp.Compare(b.SignalID, a.SignalID) })
	if len(rep.Events) > maxReportRows {
		rep.Events, rep.Truncated = rep.Events[:maxReportRows], true
	}
	return rep, nil
}
