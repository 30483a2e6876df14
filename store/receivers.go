package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Receiver is a logical receiver of the station (design.md §4). Receivers
// are declared in the configuration, which owns their listeners; the store
// keeps a copy so that accounts can refer to them.
type Receiver struct {
	Number        int    `json:"number"`
	Name          string `json:"name"`
	AccountPrefix string `json:"account_prefix"`
	Accounts      int    `json:"accounts"`
}

// SyncReceivers writes the configured receivers into the store (insert or
// update by number). Receivers no longer configured stay while accounts
// refer to them.
func (s *Store) SyncReceivers(ctx context.Context, rs []Receiver) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO receivers (number, name, account_prefix) VALUES (?,?,?)
				ON CONFLICT (number) DO UPDATE SET name = excluded.name, account_prefix = excluded.account_prefix`,
				r.Number, r.Name, r.AccountPrefix); err != nil {
				return fmt.Errorf("store: sync receiver %d: %w", r.Number, err)
			}
			if r.AccountPrefix == "" {
				continue
			}
			// A prefix set or changed after accounts were added leaves them
			// unreachable: signals are looked up with the new prefix.
			var stale int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE receiver = ? AND substr(number, 1, ?) <> ?`,
				r.Number, len(r.AccountPrefix), r.AccountPrefix).Scan(&stale); err != nil {
				return err
			}
			if stale > 0 {
				s.log.Warn("accounts on this receiver lack its account prefix: their signals will not resolve until they are renumbered",
					zap.Int("receiver", r.Number), zap.String("account_prefix", r.AccountPrefix), zap.Int("accounts", stale))
			}
		}
		return nil
	})
}

// Receivers lists the receivers with their account counts.
func (s *Store) Receivers(ctx context.Context) ([]Receiver, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT r.number, r.name, r.account_prefix,
		(SELECT count(*) FROM accounts a WHERE a.receiver = r.number) FROM receivers r ORDER BY r.number`)
	if err != nil {
		return nil, fmt.Errorf("store: receivers: %w", err)
	}
	defer rows.Close()
	out := []Receiver{}
	for rows.Next() {
		var r Receiver
		if err := rows.Scan(&r.Number, &r.Name, &r.AccountPrefix, &r.Accounts); err != nil {
			return nil, fmt.Errorf("store: receivers: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindAccount returns the account with a number on a receiver; number is
// normalised and given the receiver's prefix first, as for a signal.
func (s *Store) FindAccount(ctx context.Context, receiver int, number string) (*Account, error) {
	var prefix string
	if err := s.rdb.QueryRowContext(ctx, `SELECT account_prefix FROM receivers WHERE number = ?`, receiver).
		Scan(&prefix); err != nil {
		return nil, fmt.Errorf("%w: receiver %d", ErrNotFound, receiver)
	}
	n, err := NormaliseAccount(number)
	if err != nil {
		return nil, invalid("number", "%v", err)
	}
	n = WithPrefix(prefix, n)
	list, err := s.Accounts.List(ctx, ListOptions{Where: map[string]any{"receiver": receiver, "number": n}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: account %s on receiver %d", ErrNotFound, n, receiver)
	}
	return &list[0], nil
}

// ClaimSignals attaches to an account the signals its number sent, while it
// was unknown, since a time: a station adding a panel that already
// transmits keeps its history. It returns how many were attached.
func (s *Store) ClaimSignals(ctx context.Context, accountID int64, since time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var receiver int
		var number string
		var site int64
		err := tx.QueryRowContext(ctx, `SELECT receiver, number, site_id FROM accounts WHERE id = ?`, accountID).
			Scan(&receiver, &number, &site)
		if err == sql.ErrNoRows {
			return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE signals SET account_id = ?, site_id = ?, resolution = ?,
			zone_description = coalesce((SELECT z.description FROM zones z WHERE z.account_id = ?
				AND z.number = CASE WHEN ltrim(signals.zone, '0') = '' AND signals.zone <> '' THEN '0'
					ELSE ltrim(signals.zone, '0') END), zone_description)
			WHERE receiver = ? AND account = ? AND account_id IS NULL AND received_at >= ?`,
			accountID, site, ResolutionClaimed, accountID, receiver, number, since.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
