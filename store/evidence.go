package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// pruneChunk is the most rows one pruning transaction deletes: the writer
// is shared with the ACK path, and a short transaction keeps it free.
const pruneChunk = 5000

// PruneEvidence deletes the oldest rejected frames until the raw bytes of
// those left fit maxBytes, and the oldest failed-login audit rows past
// maxLoginRows. Both are refused input that anyone can send; the daemon
// calls this every minute, off the ACK path. It returns the rows deleted.
func (s *Store) PruneEvidence(ctx context.Context, maxBytes int64, maxLoginRows int) (frames, logins int, err error) {
	cutoff, err := s.evidenceCutoff(ctx, maxBytes)
	if err != nil {
		return 0, 0, err
	}
	if cutoff > 0 {
		if frames, err = s.deleteChunks(ctx, `DELETE FROM frames WHERE id IN
			(SELECT id FROM frames WHERE status = 'rejected' AND id <= ? ORDER BY id LIMIT ?)`, cutoff); err != nil {
			return frames, 0, err
		}
	}
	var loginCutoff int64
	err = s.rdb.QueryRowContext(ctx, `SELECT id FROM audit_log WHERE action IN ('login.failed', 'portal.login.failed')
		ORDER BY id DESC LIMIT 1 OFFSET ?`, maxLoginRows).Scan(&loginCutoff)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return frames, 0, nil
	case err != nil:
		return frames, 0, fmt.Errorf("store: prune evidence: %w", err)
	}
	logins, err = s.deleteChunks(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE action IN ('login.failed', 'portal.login.failed') AND id <= ? ORDER BY id LIMIT ?)`, loginCutoff)
	return frames, logins, err
}

// evidenceCutoff is the newest rejected frame that no longer fits maxBytes
// counting from the newest, 0 when they all fit.
func (s *Store) evidenceCutoff(ctx context.Context, maxBytes int64) (int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, length(raw) FROM frames WHERE status = 'rejected' ORDER BY id DESC`)
	if err != nil {
		return 0, fmt.Errorf("store: prune evidence: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return 0, fmt.Errorf("store: prune evidence: %w", err)
		}
		if total += n; total > maxBytes {
			return id, nil
		}
	}
	return 0, rows.Err()
}

// deleteChunks runs a DELETE taking (cutoff, limit) until it deletes
// fewer than a chunk.
func (s *Store) deleteChunks(ctx context.Context, query string, cutoff int64) (int, error) {
	deleted := 0
	for {
		var n int64
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, cutoff, pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		deleted += int(n)
		if err != nil {
			return deleted, fmt.Errorf("store: prune evidence: %w", err)
		}
		if n < pruneChunk {
			return deleted, nil
		}
	}
}

// Setting returns the station setting name, creating it with size random
// bytes the first time: keys the station makes for itself and must keep
// across restarts (and share between nodes).
func (s *Store) Setting(ctx context.Context, name string, size int) ([]byte, error) {
	var v []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: setting %s: %w", name, err)
	}
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, created_at) VALUES (?,?,?)
			ON CONFLICT (name) DO NOTHING`, name, fresh, s.opts.Now().UnixNano()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("store: setting %s: %w", name, err)
	}
	return v, nil
}
