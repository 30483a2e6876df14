package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store/ontest"
	"github.com/alarmrx/alarmrx/store/records"
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

type accountKey struct {
	receiver int32
	number   string
}

// indexEntry is kept small: a million accounts are a million of these.
type indexEntry struct {
	id     int64
	siteID int64
	key    dc09.Key // zero when the account has no key of its own
	system uint8    // records.SystemIndex of its system type
}

// accountIndex resolves (receiver, account number) to an account without a
// query: the pipeline asks it for every signal. The store loads it at Open
// and changes it after each committed change of an account or an on-test
// period, on the writer, in commit order.
type accountIndex struct {
	mu       sync.RWMutex
	byNumber map[accountKey]indexEntry
	tests    map[int64][]OnTest // open on-test periods by account id
}

func newAccountIndex(size int) *accountIndex {
	return &accountIndex{byNumber: make(map[accountKey]indexEntry, size), tests: map[int64][]OnTest{}}
}

// load fills a new index from the store: every account, every open on-test
// period.
func (s *Store) loadIndex(ctx context.Context) (*accountIndex, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	idx := newAccountIndex(n)
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, receiver, number, site_id, dc09_key, dc09_key_format, system_type FROM accounts`)
	if err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e indexEntry
		var receiver int32
		var number, key, format, system string
		if err := rows.Scan(&e.id, &receiver, &number, &e.siteID, openSecret{s.sec, accountKeyColumn, &key}, &format, &system); err != nil {
			return nil, fmt.Errorf("store: load account index: %w", err)
		}
		e.system = records.SystemIndex(system)
		if key != "" {
			if e.key, err = dc09.ParseKey(key, format); err != nil {
				// Keys are checked on the way in; a bad one here was written
				// by hand. The account still resolves; its frames get NAK.
				s.log.Warn(fmt.Sprintf("account %d: stored DC-09 key unusable: %v", e.id, err))
			}
		}
		idx.byNumber[accountKey{receiver, number}] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: load account index: %w", err)
	}
	open, err := ontest.Unended(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	for _, t := range open {
		idx.tests[t.AccountID] = append(idx.tests[t.AccountID], t)
	}
	return idx, nil
}

// Resolve finds the account an event names on a receiver and whether the
// event falls in an on-test period (a category scope compares the event's
// category as the account's system type makes it, SystemCategory). number
// must be normalised as stored (upper-case, receiver prefix applied).
func (s *Store) Resolve(receiver int, number string, ev *protocols.Event, at time.Time) Resolution {
	return s.idx.resolve(receiver, number, ev, at)
}

func (x *accountIndex) resolve(receiver int, number string, ev *protocols.Event, at time.Time) Resolution {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byNumber[accountKey{int32(receiver), number}]
	if !ok {
		return Resolution{}
	}
	r := Resolution{AccountID: e.id, SiteID: e.siteID, SystemType: records.SystemName(e.system)}
	if ev != nil {
		r.Zone = NormaliseZone(ev.Zone)
		cat := SystemCategory(r.SystemType, ev.Category)
		for i := range x.tests[e.id] {
			if t := &x.tests[e.id][i]; t.Covers(cat, r.Zone, at) {
				r.OnTestID = t.ID
				break
			}
		}
	}
	return r
}

// AccountKey returns the DC-09 key stored for an account, if it has one.
// The daemon asks it before the listener's keys [issue: per-account keys
// from the store take precedence].
func (s *Store) AccountKey(receiver int, number string) (dc09.Key, bool) {
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	e, ok := s.idx.byNumber[accountKey{int32(receiver), number}]
	if !ok || e.key.IsZero() {
		return dc09.Key{}, false
	}
	return e.key, true
}

// AccountCount is the number of accounts in the index.
func (s *Store) AccountCount() int {
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	return len(s.idx.byNumber)
}

func (x *accountIndex) accountChanged(old, a *Account) {
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
	e := indexEntry{id: a.ID, siteID: a.SiteID, system: records.SystemIndex(a.SystemType)}
	if a.Key != nil && *a.Key != "" {
		// records.CheckAccount parsed it already; it cannot fail here.
		e.key, _ = dc09.ParseKey(*a.Key, a.KeyFormat)
	}
	x.byNumber[accountKey{int32(a.Receiver), a.Number}] = e
}

func (x *accountIndex) testStarted(t OnTest) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tests[t.AccountID] = append(x.tests[t.AccountID], t)
}

func (x *accountIndex) testEnded(accountID, testID int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tests[accountID] = slices.DeleteFunc(x.tests[accountID], func(t OnTest) bool { return t.ID == testID })
	if len(x.tests[accountID]) == 0 {
		delete(x.tests, accountID)
	}
}
