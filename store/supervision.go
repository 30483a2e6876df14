package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
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
	// last_seen is qualified: PostgreSQL reads a bare name in DO UPDATE
	// as ambiguous between the row and excluded.
	upsert := `INSERT INTO supervision (account_id, last_seen, failed, test_late) VALUES (?,?,?,?)
				ON CONFLICT (account_id) DO UPDATE SET last_seen = ` + s.db.Dialect().Greatest("supervision.last_seen", "excluded.last_seen") + `,
				failed = excluded.failed, test_late = excluded.test_late`
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, st := range states {
			// The account may have been deleted meanwhile. It is looked
			// up rather than its insert's error swallowed: on PostgreSQL
			// a failed statement aborts the whole transaction.
			var exists int
			switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, st.AccountID).Scan(&exists); {
			case errors.Is(err, sql.ErrNoRows):
				continue
			case err != nil:
				return err
			}
			var seen int64
			if !st.LastSeen.IsZero() {
				seen = st.LastSeen.UnixNano()
			}
			if _, err := tx.ExecContext(ctx, upsert, st.AccountID, seen, boolInt(st.Failed), boolInt(st.TestLate)); err != nil {
				return err
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

// CheckInState is what one node heard of an account since it last said:
// its last message and its last periodic test (zero: none).
type CheckInState struct {
	AccountID int64
	LastSeen  time.Time
	LastTest  time.Time
}

// ShareCheckIns writes the check-ins this node heard, for the node that
// runs supervision (several nodes on PostgreSQL; nothing on SQLite), in
// one statement beside the writer: the times only grow.
func (s *Store) ShareCheckIns(ctx context.Context, states []CheckInState) error {
	if !s.jr.shared || len(states) == 0 {
		return nil
	}
	ids := make([]int64, len(states))
	seen := make([]int64, len(states))
	test := make([]int64, len(states))
	for i, st := range states {
		ids[i] = st.AccountID
		if !st.LastSeen.IsZero() {
			seen[i] = st.LastSeen.UnixNano()
		}
		if !st.LastTest.IsZero() {
			test[i] = st.LastTest.UnixNano()
		}
	}
	rows, err := s.rdb.QueryContext(engine.AsProjected(ctx), `INSERT INTO supervision (account_id, last_seen, last_test)
		SELECT u.id, u.seen, u.test FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS u(id, seen, test)
		WHERE EXISTS (SELECT 1 FROM accounts WHERE id = u.id)
		ON CONFLICT (account_id) DO UPDATE SET last_seen = GREATEST(supervision.last_seen, excluded.last_seen),
			last_test = GREATEST(supervision.last_test, excluded.last_test)`, ids, seen, test)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return fmt.Errorf("store: share check-ins: %w", err)
	}
	return nil
}

// CheckInsOf reads what every node heard of the accounts ids: their last
// message and last periodic test, for those that have any.
func (s *Store) CheckInsOf(ctx context.Context, ids []int64) ([]CheckInState, error) {
	if !s.jr.shared || len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.rdb.QueryContext(engine.AsProjected(ctx), `SELECT account_id, last_seen, last_test FROM supervision
		WHERE account_id = ANY(?::bigint[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: check-ins: %w", err)
	}
	out, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (CheckInState, error) {
		var c CheckInState
		var seen, test int64
		err := sc.Scan(&c.AccountID, &seen, &test)
		if seen > 0 {
			c.LastSeen = fromNanos(seen)
		}
		if test > 0 {
			c.LastTest = fromNanos(test)
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: check-ins: %w", err)
	}
	return out, nil
}
