package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// DirectoryAuthority is an agency of the station's authority directory
// and the postal (zip) codes it serves [seeds: COPS "add authority by zip
// code"].
type DirectoryAuthority struct {
	ID          int64        `json:"id"`
	Kind        string       `json:"kind"` // police, fire, medical, guard
	Name        string       `json:"name"`
	Phones      core.Strings `json:"phones"`
	PostalCodes core.Strings `json:"postal_codes"`
	UpdatedBy   string       `json:"updated_by"`
}

// postalKey is a postal code as compared: upper case, without spaces
// (SW1A 1AA is SW1A1AA).
func postalKey(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }

func checkDirectoryAuthority(a *DirectoryAuthority) error {
	if err := core.OneOf("kind", a.Kind, records.AuthorityKinds); err != nil {
		return err
	}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || len(a.Name) > 200 {
		return core.Invalid("name", "is required, up to 200 characters")
	}
	if len(a.PostalCodes) == 0 || len(a.PostalCodes) > 2000 {
		return core.Invalid("postal_codes", "give the 1 to 2000 postal codes the agency serves")
	}
	seen := map[string]bool{}
	codes := core.Strings{}
	for i, c := range a.PostalCodes {
		k := postalKey(c)
		if k == "" || len(k) > 16 {
			return core.Invalid(fmt.Sprintf("postal_codes[%d]", i), "%q is not a postal code", c)
		}
		if !seen[k] {
			seen[k] = true
			codes = append(codes, k)
		}
	}
	slices.Sort(codes)
	a.PostalCodes = codes
	if a.Phones == nil {
		a.Phones = core.Strings{}
	}
	return nil
}

// SaveDirectoryAuthority creates (ID 0) or replaces an agency of the
// directory; audited as directory.save.
func (s *Store) SaveDirectoryAuthority(ctx context.Context, a *DirectoryAuthority, by Actor) error {
	if err := checkDirectoryAuthority(a); err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	a.UpdatedBy = by.Name
	phones, _ := json.Marshal(a.Phones)
	codes, _ := json.Marshal(a.PostalCodes)
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if a.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO authority_directory (kind, name, phones, postal_codes, updated_by, updated_at)
				VALUES (?,?,?,?,?,?) RETURNING id`, a.Kind, a.Name, string(phones), string(codes), a.UpdatedBy, now.UnixNano()).Scan(&a.ID); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE authority_directory SET kind = ?, name = ?, phones = ?, postal_codes = ?, updated_by = ?,
				updated_at = ? WHERE id = ?`, a.Kind, a.Name, string(phones), string(codes), a.UpdatedBy, now.UnixNano(), a.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("%w: directory authority %d", ErrNotFound, a.ID)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM authority_postal_codes WHERE directory_id = ?`, a.ID); err != nil {
				return err
			}
		}
		for _, c := range a.PostalCodes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO authority_postal_codes (directory_id, postal_code) VALUES (?,?)`, a.ID, c); err != nil {
				return err
			}
		}
		return core.Audit(ctx, tx, now, by, "directory.save", fmt.Sprintf("directory_authority:%d", a.ID), a)
	})
}

// DeleteDirectoryAuthority removes an agency from the directory (the
// sites' authorities copied from it stay); audited as directory.delete.
func (s *Store) DeleteDirectoryAuthority(ctx context.Context, id int64, by Actor) error {
	now := s.opts.Now().UTC()
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM authority_directory WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: directory authority %d", ErrNotFound, id)
		}
		return core.Audit(ctx, tx, now, by, "directory.delete", fmt.Sprintf("directory_authority:%d", id), nil)
	})
}

// DirectoryAuthorities lists the agencies serving a postal code (all when
// it is empty), of a kind (all when empty), by kind and name.
func (s *Store) DirectoryAuthorities(ctx context.Context, postalCode, kind string) ([]DirectoryAuthority, error) {
	where, args := `WHERE 1 = 1`, []any{}
	if postalCode != "" {
		where += ` AND id IN (SELECT directory_id FROM authority_postal_codes WHERE postal_code = ?)`
		args = append(args, postalKey(postalCode))
	}
	if kind != "" {
		where += ` AND kind = ?`
		args = append(args, kind)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, kind, name, phones, postal_codes, updated_by FROM authority_directory `+where+
		` ORDER BY kind, name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: authority directory: %w", err)
	}
	return core.AppendRows([]DirectoryAuthority{}, rows, func(sc core.RowScanner) (DirectoryAuthority, error) {
		var a DirectoryAuthority
		err := sc.Scan(&a.ID, &a.Kind, &a.Name, &a.Phones, &a.PostalCodes, &a.UpdatedBy)
		return a, err
	})
}

// AssignDirectoryAuthority adds a directory agency to a site's
// authorities (the record audited as any authority's create).
func (s *Store) AssignDirectoryAuthority(ctx context.Context, id, siteID int64) (*Authority, error) {
	list, err := s.DirectoryAuthorities(ctx, "", "")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(a DirectoryAuthority) bool { return a.ID == id })
	if i < 0 {
		return nil, fmt.Errorf("%w: directory authority %d", ErrNotFound, id)
	}
	a := &Authority{SiteID: siteID, Kind: list[i].Kind, Name: list[i].Name, Phones: list[i].Phones}
	if err := s.Authorities.Create(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}
