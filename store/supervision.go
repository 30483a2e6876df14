package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// SupervisedAccount is an account with a check-in or test interval and its
// stored supervision state.
type SupervisedAccount struct {
	ID           int64
	Receiver     int
	Number       string
	Interval     time.Duration // 0: not supervised
	TestInterval time.Duration // 0: no periodic test expected
	LastSeen     time.Time
	Failed       bool
	TestLate     bool
}

// SupervisedAccounts lists every account with an interval, with its state.
func (s *Store) SupervisedAccounts(ctx context.Context) ([]SupervisedAccount, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT a.id, a.receiver, a.number, a.supervision_seconds, a.test_seconds,
		coalesce(v.last_seen, 0), coalesce(v.failed, 0), coalesce(v.test_late, 0)
		FROM accounts a LEFT JOIN supervision v ON v.account_id = a.id
		WHERE a.supervision_seconds > 0 OR a.test_seconds > 0`)
	if err != nil {
		return nil, fmt.Errorf("store: supervised accounts: %w", err)
	}
	out, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (SupervisedAccount, error) {
		var a SupervisedAccount
		var iv, tv, seen int64
		var failed, late int
		err := sc.Scan(&a.ID, &a.Receiver, &a.Number, &iv, &tv, &seen, &failed, &late)
		a.Interval, a.TestInterval = time.Duration(iv)*time.Second, time.Duration(tv)*time.Second
		if seen > 0 {
			a.LastSeen = fromNanos(seen)
		}
		a.Failed, a.TestLate = failed != 0, late != 0
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: supervised accounts: %w", err)
	}
	return out, nil
}

// SupervisionState is one account's state to write.
type SupervisionState struct {
	AccountID int64
	LastSeen  time.Time
	Failed    bool
	TestLate  bool
}

// SaveSupervision writes supervision states in one transaction.
func (s *Store) SaveSupervision(ctx context.Context, states []SupervisionState) error {
	if len(states) == 0 {
		return nil
	}
	upsert := `INSERT INTO supervision (account_id, last_seen, failed, test_late) VALUES (?,?,?,?)
				ON CONFLICT (account_id) DO UPDATE SET last_seen = ` + s.db.Dialect().Greatest("last_seen", "excluded.last_seen") + `,
				failed = excluded.failed, test_late = excluded.test_late
				WHERE EXISTS (SELECT 1 FROM accounts WHERE id = excluded.account_id)`
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, st := range states {
			var seen int64
			if !st.LastSeen.IsZero() {
				seen = st.LastSeen.UnixNano()
			}
			if _, err := tx.ExecContext(ctx, upsert,
				st.AccountID, seen, boolInt(st.Failed), boolInt(st.TestLate)); err != nil {
				// The account may have been deleted meanwhile.
				if s.db.IsStorageFailure(err) {
					return err
				}
			}
		}
		return nil
	})
}

// WatchAccounts registers fn to be told of every committed account change
// (old nil on create, new nil on delete), on the writer, in commit order:
// supervision follows the accounts through it. fn must not block.
func (s *Store) WatchAccounts(fn func(old, new *Account)) {
	s.watchMu.Lock()
	s.watchers = append(s.watchers, fn)
	s.watchMu.Unlock()
}

// accountChanged updates the index and tells the watchers.
func (s *Store) accountChanged(old, a *Account) {
	s.idx.AccountChanged(old, a)
	if s.peers != nil {
		s.peers.tellAccount(old, a)
	}
	s.tellWatchers(old, a)
}

// tellWatchers tells the watchers of an account's change.
func (s *Store) tellWatchers(old, a *Account) {
	s.watchMu.Lock()
	ws := s.watchers
	s.watchMu.Unlock()
	for _, w := range ws {
		w(old, a)
	}
}
