package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store/core"
)

// Resolution is what one signal resolved to. A zero AccountID means the
// account is unknown on its receiver.
type Resolution struct {
	AccountID int64
	SiteID    int64
	// OnTestID is the on-test period whose scope holds the signal; 0 when
	// the signal is live.
	OnTestID int64
	// Zone is the signal's zone in the form zones are stored in, for the
	// zone description lookup.
	Zone string
	// SystemType is the account's system type (SystemTypes): what a
	// generic alarm of it is (SystemCategory). "" when unknown.
	SystemType string
}

// Known reports whether the account was found.
func (r Resolution) Known() bool { return r.AccountID != 0 }

// Period is an open on-test period as the index holds it: the periods are
// store/ontest's, and the index asks only whether one covers an event (cat
// the event's category as its account's system type makes it, zone its
// zone normalised).
type Period interface {
	Covers(cat protocols.Category, zone string, at time.Time) bool
}

type accountKey struct {
	receiver int32
	number   string
}

// indexEntry is kept small: a million accounts are a million of these.
type indexEntry struct {
	id     int64
	siteID int64
	key    dc09.Key // zero when the account has no key of its own
	system uint8    // index of its system type in systemTypes
}

// indexedPeriod is an open on-test period of an account, by its id.
type indexedPeriod struct {
	id int64
	p  Period
}

// Index resolves (receiver, account number) to an account without a
// query: the pipeline asks it for every signal. The store loads it at Open
// and changes it after each committed change of an account or an on-test
// period, on the writer, in commit order.
type Index struct {
	mu       sync.RWMutex
	byNumber map[accountKey]indexEntry
	tests    map[int64][]indexedPeriod // open on-test periods by account id
}

// LoadIndex reads every account into a new index, its DC-09 key opened
// through the kinds' Secrets; unusable is told of a stored key that does
// not parse (the account still resolves). The open on-test periods are
// added with TestStarted.
func (k *Kinds) LoadIndex(ctx context.Context, unusable func(accountID int64, err error)) (*Index, error) {
	var n int
	if err := k.rdb.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	idx := &Index{byNumber: make(map[accountKey]indexEntry, n), tests: map[int64][]indexedPeriod{}}
	rows, err := k.rdb.QueryContext(ctx, `SELECT `+indexColumns+` FROM accounts`)
	if err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		at, e, err := k.scanIndexEntry(rows, unusable)
		if err != nil {
			return nil, fmt.Errorf("store: load account index: %w", err)
		}
		idx.byNumber[at] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	return idx, nil
}

// ReloadAccount puts account id into x as the database holds it now, in
// place of the number it had (oldReceiver, oldNumber; 0 and "" when it is
// new): the change another node committed. It reports whether the account
// still exists (false: it was deleted, and x forgets it).
func (k *Kinds) ReloadAccount(ctx context.Context, x *Index, id int64, oldReceiver int, oldNumber string,
	unusable func(accountID int64, err error)) (bool, error) {
	at, e, err := k.scanIndexEntry(k.rdb.QueryRowContext(ctx, `SELECT `+indexColumns+` FROM accounts WHERE id = ?`, id), unusable)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: reload account %d: %w", id, err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if oldNumber != "" {
		if old, ok := x.byNumber[accountKey{int32(oldReceiver), oldNumber}]; ok && old.id == id {
			delete(x.byNumber, accountKey{int32(oldReceiver), oldNumber})
		}
	}
	if !found {
		delete(x.tests, id)
		return false, nil
	}
	x.byNumber[at] = e
	return true, nil
}

// indexColumns are what the index holds of an account (scanIndexEntry).
const indexColumns = `id, receiver, number, site_id, dc09_key, dc09_key_format, system_type`

// scanIndexEntry reads one account's indexColumns, its DC-09 key opened
// through the kinds' Secrets; unusable is told of a stored key that does
// not parse (the account still resolves).
func (k *Kinds) scanIndexEntry(sc core.RowScanner, unusable func(accountID int64, err error)) (accountKey, indexEntry, error) {
	var e indexEntry
	var receiver int32
	var number, key, format, system string
	if err := sc.Scan(&e.id, &receiver, &number, &e.siteID, k.secrets.Open(AccountKey, &key), &format, &system); err != nil {
		return accountKey{}, e, err
	}
	e.system = systemIndex(system)
	if key != "" {
		var err error
		if e.key, err = dc09.ParseKey(key, format); err != nil {
			// Keys are checked on the way in; a bad one here was written
			// by hand. The account still resolves; its frames get NAK.
			unusable(e.id, err)
		}
	}
	return accountKey{receiver, number}, e, nil
}

// Replace makes x hold what fresh holds (a full reload, after changes
// may have been missed), at once for its readers.
func (x *Index) Replace(fresh *Index) {
	fresh.mu.RLock()
	byNumber, tests := fresh.byNumber, fresh.tests
	fresh.mu.RUnlock()
	x.mu.Lock()
	x.byNumber, x.tests = byNumber, tests
	x.mu.Unlock()
}

// Resolve finds the account an event names on a receiver and whether the
// event falls in an on-test period (a category scope compares the event's
// category as the account's system type makes it, SystemCategory). number
// must be normalised as stored (upper-case, receiver prefix applied).
func (x *Index) Resolve(receiver int, number string, ev *protocols.Event, at time.Time) Resolution {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byNumber[accountKey{int32(receiver), number}]
	if !ok {
		return Resolution{}
	}
	r := Resolution{AccountID: e.id, SiteID: e.siteID, SystemType: systemTypes[e.system].Name}
	if ev != nil {
		r.Zone = core.NormaliseZone(ev.Zone)
		tests := x.tests[e.id]
		cat := ev.Category
		if len(tests) > 0 {
			cat = systemCategory(e.system, cat)
		}
		for _, t := range tests {
			if t.p.Covers(cat, r.Zone, at) {
				r.OnTestID = t.id
				break
			}
		}
	}
	return r
}

// AccountKey returns the DC-09 key stored for an account, if it has one.
func (x *Index) AccountKey(receiver int, number string) (dc09.Key, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byNumber[accountKey{int32(receiver), number}]
	if !ok || e.key.IsZero() {
		return dc09.Key{}, false
	}
	return e.key, true
}

// AccountCount is the number of accounts in the index.
func (x *Index) AccountCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byNumber)
}

// AccountChanged follows a committed account change: old is nil on
// create, a nil on delete.
func (x *Index) AccountChanged(old, a *Account) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old != nil {
		delete(x.byNumber, accountKey{int32(old.Receiver), old.Number})
		if a == nil {
			delete(x.tests, old.ID)
		}
	}
	if a == nil {
		return
	}
	e := indexEntry{id: a.ID, siteID: a.SiteID, system: systemIndex(a.SystemType)}
	if a.Key != nil && *a.Key != "" {
		// CheckAccount parsed it already; it cannot fail here.
		e.key, _ = dc09.ParseKey(*a.Key, a.KeyFormat)
	}
	x.byNumber[accountKey{int32(a.Receiver), a.Number}] = e
}

// TestStarted adds an account's open on-test period id.
func (x *Index) TestStarted(accountID, id int64, p Period) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tests[accountID] = append(x.tests[accountID], indexedPeriod{id, p})
}

// TestEnded removes an account's on-test period id.
func (x *Index) TestEnded(accountID, id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tests[accountID] = slices.DeleteFunc(x.tests[accountID], func(t indexedPeriod) bool { return t.id == id })
	if len(x.tests[accountID]) == 0 {
		delete(x.tests, accountID)
	}
}
