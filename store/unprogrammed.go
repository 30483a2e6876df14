package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// UnprogrammedZone is a zone an account's signals name that has no zone
// record: the panel knows it, the station does not (seed 002: such zones
// are "listed out separately"). The station adds the zone with its number.
type UnprogrammedZone struct {
	AccountID int64 `json:"account_id"`
	// Zone is the number as zones store it (leading zeros dropped).
	Zone          string    `json:"zone"`
	FirstSignalAt time.Time `json:"first_signal_at"`
	LastSignalAt  time.Time `json:"last_signal_at"`
	Signals       int64     `json:"signals"`
	LastSignalID  int64     `json:"last_signal_id"`
}

// unprogrammedChunk is how many signal ids one folding transaction reads:
// the writer is never held long. A variable for the tests.
var unprogrammedChunk int64 = 20000

const (
	// unprogrammedReadChunks bounds the folding a read does first, so that
	// a list shows the signals just stored without waiting for the job,
	// and a backlog (an upgraded store's history) is left to the job.
	unprogrammedReadChunks = 5
	// maxUnprogrammedPerAccount bounds the rows of one account: a sender
	// cannot grow the table without limit by naming ever new zones.
	maxUnprogrammedPerAccount = 1000
)

// FoldUnprogrammedZones folds the signals stored since the last fold into
// the accounts' unprogrammed zones: signals of a known account with a zone
// whose description was empty when they were stored. Zone 0 (Contact ID's
// "no zone": the panel itself) is left out, and so is a zone programmed
// since. A batch is read on the read pool (stored signals do not change
// their zone or its description), and only its few rows and the cursor
// are written, in one transaction on the writer, so that the panels'
// commits hardly wait for it; the daemon calls it every second, off the
// acknowledgement path. It returns how many signal ids it covered and
// whether more are waiting.
func (s *Store) FoldUnprogrammedZones(ctx context.Context) (read int, more bool, err error) {
	cursor, top, err := s.unprogrammedCursor(ctx)
	if err != nil {
		return 0, false, err
	}
	upto := min(top, cursor+unprogrammedChunk)
	if upto <= cursor {
		return 0, false, nil
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT account_id, zone, min(received_at), max(received_at), count(*), max(id)
		FROM signals WHERE id > ? AND id <= ? AND zone_description = '' AND zone <> '' AND account_id IS NOT NULL
		GROUP BY account_id, zone`, cursor, upto)
	if err != nil {
		return 0, false, fmt.Errorf("store: unprogrammed zones: %w", err)
	}
	zones, err := core.AppendRows(nil, rows, scanUnprogrammed)
	if err != nil {
		return 0, false, fmt.Errorf("store: unprogrammed zones: %w", err)
	}
	var found []UnprogrammedZone
	for _, z := range zones {
		if z.Zone = NormaliseZone(z.Zone); z.Zone != "0" && z.Zone != "" {
			found = append(found, z)
		}
	}
	raced := false
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var now int64
		if err := tx.QueryRowContext(ctx, `SELECT signal_id FROM projections WHERE name = 'unprogrammed_zones'`).Scan(&now); err != nil {
			return err
		}
		if raced = now != cursor; raced {
			return nil // another fold took this batch: nothing twice
		}
		for _, z := range found {
			if err := foldZone(ctx, tx, s.db.Dialect(), z); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE projections SET signal_id = ? WHERE name = 'unprogrammed_zones'`, upto)
		return err
	})
	if err != nil || raced {
		return 0, raced, err
	}
	return int(upto - cursor), upto < top, nil
}

// foldZone adds one batch's signals of a zone to its row, unless the zone
// is programmed (now) or the account gone; a new row only while the
// account has fewer than maxUnprogrammedPerAccount.
func foldZone(ctx context.Context, tx *sql.Tx, d core.Dialect, z UnprogrammedZone) error {
	var programmed int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM zones WHERE account_id = ? AND number = ?`, z.AccountID, z.Zone).
		Scan(&programmed); err != nil || programmed > 0 {
		return err
	}
	first, last := z.FirstSignalAt.UnixNano(), z.LastSignalAt.UnixNano()
	res, err := tx.ExecContext(ctx, `UPDATE unprogrammed_zones SET first_at = `+d.Least("first_at", "?")+`, last_at = `+d.Greatest("last_at", "?")+`,
		signals = signals + ?, last_signal_id = `+d.Greatest("last_signal_id", "?")+` WHERE account_id = ? AND zone = ?`,
		first, last, z.Signals, z.LastSignalID, z.AccountID, z.Zone)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO unprogrammed_zones (account_id, zone, first_at, last_at, signals, last_signal_id)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?1)
		AND (SELECT count(*) FROM unprogrammed_zones WHERE account_id = ?1) < ?7`,
		z.AccountID, z.Zone, first, last, z.Signals, z.LastSignalID, maxUnprogrammedPerAccount)
	return err
}

// UnprogrammedZones lists the zones an account's signals name that have no
// zone record, in zone order, with their first and last signal and count.
// It folds the signals just stored first (a bounded amount: a backlog is
// the job's), so that a zone that signalled a moment ago is listed. It is
// read from the table's primary key: one account's rows, however many
// signals the store holds.
func (s *Store) UnprogrammedZones(ctx context.Context, accountID int64) ([]UnprogrammedZone, error) {
	if _, err := s.Accounts.Get(ctx, accountID); err != nil {
		return nil, err
	}
	for range unprogrammedReadChunks {
		_, more, err := s.FoldUnprogrammedZones(ctx)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT account_id, zone, first_at, last_at, signals, last_signal_id
		FROM unprogrammed_zones u WHERE account_id = ?
		AND NOT EXISTS (SELECT 1 FROM zones z WHERE z.account_id = u.account_id AND z.number = u.zone)
		ORDER BY length(zone), zone LIMIT ?`, accountID, maxUnprogrammedPerAccount)
	if err != nil {
		return nil, fmt.Errorf("store: unprogrammed zones: %w", err)
	}
	out, err := core.AppendRows([]UnprogrammedZone{}, rows, scanUnprogrammed)
	if err != nil {
		return nil, fmt.Errorf("store: unprogrammed zones: %w", err)
	}
	return out, nil
}

// scanUnprogrammed reads a row of account_id, zone, first and last
// signal times, signals and last signal id.
func scanUnprogrammed(sc core.RowScanner) (UnprogrammedZone, error) {
	var z UnprogrammedZone
	err := sc.Scan(&z.AccountID, &z.Zone, nanoTime{&z.FirstSignalAt}, nanoTime{&z.LastSignalAt}, &z.Signals, &z.LastSignalID)
	return z, err
}

// unprogrammedCursor is the last signal folded and the last stored (two
// lookups on the read pool).
func (s *Store) unprogrammedCursor(ctx context.Context) (cursor, top int64, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT (SELECT signal_id FROM projections WHERE name = 'unprogrammed_zones'),
		(SELECT coalesce(max(id), 0) FROM signals)`).Scan(&cursor, &top)
	if err != nil {
		return 0, 0, fmt.Errorf("store: unprogrammed zones: %w", err)
	}
	return cursor, top, nil
}

// zoneProgrammed drops a zone from its account's unprogrammed zones once a
// zone record has its number (inside the zone's own transaction).
func zoneProgrammed(ctx context.Context, tx *sql.Tx, _, z *Zone) error {
	if z == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM unprogrammed_zones WHERE account_id = ? AND zone = ?`, z.AccountID, z.Number)
	return err
}
