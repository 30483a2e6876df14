package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"go.uber.org/zap"
)

// maxNamed caps the account numbers a start-up warning lists.
const maxNamed = 20

// SyncReceivers writes the configured receivers into the store (insert or
// update by number). Receivers no longer configured stay while accounts
// refer to them. It warns, naming the accounts, where the stored accounts
// and a receiver's prefix rule disagree: accounts that lack the prefix
// (a prefix set or changed after they were added), and, with the add rule,
// pairs such as 9123 and 99123 on prefix 9, which the rule keeps apart but
// which point at numbers once taken for one another.
func (s *Store) SyncReceivers(ctx context.Context, rs []Receiver) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, r := range rs {
			mode, err := ParsePrefixMode(string(r.AccountPrefixMode))
			if err != nil {
				return fmt.Errorf("store: sync receiver %d: %w", r.Number, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO receivers (number, name, account_prefix, account_prefix_mode) VALUES (?,?,?,?)
				ON CONFLICT (number) DO UPDATE SET name = excluded.name, account_prefix = excluded.account_prefix,
				account_prefix_mode = excluded.account_prefix_mode`,
				r.Number, r.Name, r.AccountPrefix, mode); err != nil {
				return fmt.Errorf("store: sync receiver %d: %w", r.Number, err)
			}
			if r.AccountPrefix == "" {
				continue
			}
			if err := s.warnPrefixMismatch(ctx, tx, r.Number, r.AccountPrefix, mode); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Kinds.LoadRules(ctx)
}

// warnPrefixMismatch logs the accounts of a receiver its prefix rule
// leaves in doubt.
func (s *Store) warnPrefixMismatch(ctx context.Context, tx *sql.Tx, receiver int, prefix string, mode PrefixMode) error {
	stale, n, err := namedAccounts(ctx, tx, `SELECT number FROM accounts WHERE receiver = ? AND substr(number, 1, ?) <> ?
		ORDER BY number`, receiver, len(prefix), prefix)
	if err != nil {
		return err
	}
	if n > 0 {
		why := "with account_prefix_mode add every number its senders send gets the prefix, so no signal reaches them"
		if mode == PrefixExpect {
			why = "with account_prefix_mode expect only numbers sent without the prefix reach them (counted in alarmrx_account_prefix_missing_total)"
		}
		s.log.Warn("accounts on this receiver lack its account prefix: "+why+"; renumber them",
			zap.Int("receiver", receiver), zap.String("account_prefix", prefix), zap.String("account_prefix_mode", string(mode)),
			zap.Int("count", n), zap.Strings("accounts", stale))
	}
	if mode != PrefixAdd {
		return nil
	}
	// With add, 9123 is what a panel sending 123 reaches and 99123 one
	// sending 9123. Both stored means that 9123 was once taken for an
	// account that already had its prefix: a panel sending 9123 reached
	// 9123 before this rule, and reaches 99123 now.
	pairs, n, err := namedAccounts(ctx, tx, `SELECT b.number || ' and ' || a.number FROM accounts a
		JOIN accounts b ON b.receiver = a.receiver AND b.number = substr(a.number, ?)
		WHERE a.receiver = ? AND substr(a.number, 1, ?) = ? ORDER BY a.number`, len(prefix)+1, receiver, 2*len(prefix), prefix+prefix)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("accounts on this receiver differ only by a repeated account prefix: with account_prefix_mode add, "+
			"a sender's number X is account prefix+X, so the signals of a panel sending the shorter number with the prefix "+
			"go to the longer account; check which account each panel is meant to reach",
			zap.Int("receiver", receiver), zap.String("account_prefix", prefix), zap.Int("count", n), zap.Strings("accounts", pairs))
	}
	return nil
}

// namedAccounts runs a query of one text column and returns its first
// maxNamed values and how many rows it had.
func namedAccounts(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, int, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: prefix check: %w", err)
	}
	defer rows.Close()
	var names []string
	n := 0
	for rows.Next() {
		n++
		if len(names) == maxNamed {
			continue
		}
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, 0, fmt.Errorf("store: prefix check: %w", err)
		}
		names = append(names, v)
	}
	return names, n, rows.Err()
}

// Claim is what ClaimSignals did.
type Claim struct {
	// Signals is how many signals were attached to the account.
	Signals int64 `json:"claimed"`
	// Incidents are the unknown-account incidents of its number that now
	// name the account and its site.
	Incidents []int64 `json:"incidents"`
}

// ClaimSignals attaches to an account the signals its number sent, while it
// was unknown, since a time: a station adding a panel that already
// transmits keeps its history. The incidents those signals raised as an
// unknown account (those with a signal since then) now say which account
// and site they belong to: account_id, site_id and the title change, and
// their action log says who claimed them.
func (s *Store) ClaimSignals(ctx context.Context, accountID int64, since time.Time, by Actor) (Claim, error) {
	var c Claim
	var site int64
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c = Claim{Incidents: []int64{}}
		var receiver int
		var number, siteName string
		err := tx.QueryRowContext(ctx, `SELECT a.receiver, a.number, a.site_id, s.name FROM accounts a JOIN sites s ON s.id = a.site_id
			WHERE a.id = ?`, accountID).Scan(&receiver, &number, &site, &siteName)
		if errors.Is(err, sql.ErrNoRows) {
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
		if c.Signals, err = res.RowsAffected(); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM incidents WHERE account_key = ? AND account_id IS NULL AND last_signal_at >= ?
			ORDER BY id`, incidentKey(receiver, number, Resolution{}), since.UnixNano())
		if err != nil {
			return err
		}
		if c.Incidents, err = core.AppendRows(c.Incidents, rows, scanID); err != nil {
			return err
		}
		now := s.opts.Now().UTC().UnixNano()
		title := fmt.Sprintf("Unknown account %s on receiver %d, now of site %s (site %d, account %d)", number, receiver, siteName, site, accountID)
		for _, id := range c.Incidents {
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET account_id = ?, site_id = ?, title = ? WHERE id = ?`,
				accountID, site, title, id); err != nil {
				return err
			}
			detail, err := core.JSONText(map[string]any{"account_id": accountID, "account": number, "receiver": receiver,
				"site_id": site, "site_name": siteName, "signals_claimed": c.Signals, "since": since.UTC()})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO incident_actions (incident_id, at, user_id, user_name, action, detail)
				VALUES (?,?,?,?,?,?)`, id, now, nullID(by.ID), by.Name, "account_claimed", detail); err != nil {
				return err
			}
		}
		return nil
	}, func() {
		for _, id := range c.Incidents {
			s.queue.publish(QueueEvent{IncidentID: id, Action: "account_claimed"})
		}
		if c.Signals > 0 || len(c.Incidents) > 0 {
			s.sites.publish(SiteEvent{SiteID: site, Kind: "incident"})
		}
	})
	return c, err
}
