package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Instruction is a temporary instruction for a site, or one of its
// accounts, until a time: shown above the action plan of their incidents.
type Instruction struct {
	ID        int64     `json:"id"`
	SiteID    int64     `json:"site_id"`
	AccountID *int64    `json:"account_id"`
	Text      string    `json:"text"`
	Until     time.Time `json:"until"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxInstructionTime bounds how long an instruction lasts: it is
// temporary; what stays belongs in the site's notes.
const MaxInstructionTime = 92 * 24 * time.Hour

// maxInstructionsPerSite bounds a site's open instructions.
const maxInstructionsPerSite = 50

// CreateInstruction checks and stores an instruction: a site's, or an
// account's (its site taken from it); until in the future, within
// MaxInstructionTime. Audited as instruction.create.
func (s *Store) CreateInstruction(ctx context.Context, in *Instruction, by Actor) error {
	now := s.opts.Now().UTC()
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.Text == "" || len(in.Text) > 500:
		return core.Invalid("text", "is required, up to 500 characters")
	case !in.Until.After(now):
		return core.Invalid("until", "is required, and in the future")
	case in.Until.Sub(now) > MaxInstructionTime:
		return core.Invalid("until", "an instruction lasts at most %d days; what stays goes in the site's notes", int(MaxInstructionTime.Hours()/24))
	}
	in.Until, in.CreatedBy, in.CreatedAt = in.Until.UTC(), by.Name, now
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if in.AccountID != nil {
			var site int64
			err := tx.QueryRowContext(ctx, `SELECT site_id FROM accounts WHERE id = ?`, *in.AccountID).Scan(&site)
			if errors.Is(err, sql.ErrNoRows) {
				return core.Invalid("account_id", "account %d does not exist", *in.AccountID)
			}
			if err != nil {
				return err
			}
			if in.SiteID != 0 && in.SiteID != site {
				return core.Invalid("site_id", "account %d is a system of site %d", *in.AccountID, site)
			}
			in.SiteID = site
		}
		// The site's expired instructions go (the audit log keeps them).
		if _, err := tx.ExecContext(ctx, `DELETE FROM instructions WHERE site_id = ? AND until_at <= ?`, in.SiteID, now.UnixNano()); err != nil {
			return err
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sites WHERE id = ?`, in.SiteID).Scan(&n)
		if err == nil && n == 0 {
			return core.Invalid("site_id", "site %d does not exist", in.SiteID)
		}
		if err == nil {
			err = tx.QueryRowContext(ctx, `SELECT count(*) FROM instructions WHERE site_id = ? AND until_at > ?`, in.SiteID, now.UnixNano()).Scan(&n)
		}
		if err != nil {
			return err
		}
		if n >= maxInstructionsPerSite {
			return core.Invalid("site_id", "the site has %d instructions in force, the most kept", n)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO instructions (site_id, account_id, text, until_at, created_by, created_at)
			VALUES (?,?,?,?,?,?) RETURNING id`, in.SiteID, in.AccountID, in.Text, in.Until.UnixNano(), in.CreatedBy, now.UnixNano()).Scan(&in.ID); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, by, "instruction.create", fmt.Sprintf("instruction:%d", in.ID), in)
	})
}

// DeleteInstruction ends an instruction before its time; audited as
// instruction.delete.
func (s *Store) DeleteInstruction(ctx context.Context, id int64, by Actor) error {
	return s.deleteAudited(ctx, by, "instructions", id, "instruction", func(q core.Reader) (any, error) {
		return firstOf(queryInstructions(ctx, q, `WHERE id = ?`, id))
	})
}

// Instructions lists the instructions in force for a site (all of its
// accounts' too) or, with accountID, for that account: its own and its
// site's; newest first.
func (s *Store) Instructions(ctx context.Context, siteID, accountID int64) ([]Instruction, error) {
	now := s.opts.Now().UnixNano()
	if accountID != 0 {
		return queryInstructions(ctx, s.rdb, `WHERE site_id = (SELECT site_id FROM accounts WHERE id = ?) AND until_at > ?
			AND (account_id IS NULL OR account_id = ?)`, accountID, now, accountID)
	}
	return queryInstructions(ctx, s.rdb, `WHERE site_id = ? AND until_at > ?`, siteID, now)
}

func queryInstructions(ctx context.Context, q core.Reader, where string, args ...any) ([]Instruction, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, site_id, account_id, text, until_at, created_by, created_at FROM instructions `+
		where+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: instructions: %w", err)
	}
	return core.AppendRows([]Instruction{}, rows, func(sc core.RowScanner) (Instruction, error) {
		var in Instruction
		var acct sql.NullInt64
		var until, at int64
		err := sc.Scan(&in.ID, &in.SiteID, &acct, &in.Text, &until, &in.CreatedBy, &at)
		if acct.Valid {
			in.AccountID = &acct.Int64
		}
		in.Until, in.CreatedAt = fromNanos(until), fromNanos(at)
		return in, err
	})
}
