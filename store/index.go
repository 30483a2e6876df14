package store

import (
	"context"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store/ontest"
	"github.com/alarmrx/alarmrx/store/records"
)

// Resolution is what one signal resolved to (records.Resolution).
type Resolution = records.Resolution

// loadIndex fills a new account index from the store: every account (the
// records part reads them), every open on-test period (the on-test part's).
func (s *Store) loadIndex(ctx context.Context) (*records.Index, error) {
	idx, err := s.Kinds.LoadIndex(ctx, func(id int64, err error) {
		s.log.Warn(fmt.Sprintf("account %d: stored DC-09 key unusable: %v", id, err))
	})
	if err != nil {
		return nil, err
	}
	open, err := ontest.Unended(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	for _, t := range open {
		indexTest(idx, t)
	}
	return idx, nil
}

// indexTest puts an open on-test period in the index.
func indexTest(idx *records.Index, t OnTest) { idx.TestStarted(t.AccountID, t.ID, &t) }

// Resolve finds the account an event names on a receiver and whether the
// event falls in an on-test period (a category scope compares the event's
// category as the account's system type makes it, SystemCategory). number
// must be normalised as stored (upper-case, receiver prefix applied).
func (s *Store) Resolve(receiver int, number string, ev *protocols.Event, at time.Time) Resolution {
	return s.idx.Resolve(receiver, number, ev, at)
}

// AccountKey returns the DC-09 key stored for an account, if it has one.
// The daemon asks it before the listener's keys [issue: per-account keys
// from the store take precedence].
func (s *Store) AccountKey(receiver int, number string) (dc09.Key, bool) {
	return s.idx.AccountKey(receiver, number)
}

// AccountCount is the number of accounts in the index.
func (s *Store) AccountCount() int { return s.idx.AccountCount() }
