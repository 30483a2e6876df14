package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ImportColumns are the CSV columns ImportAccounts understands. receiver,
// number and one of site (the site's identifier) or site_id are required.
var ImportColumns = []string{"receiver", "number", "site", "site_id", "system_type",
	"supervision_interval", "test_interval", "dc09_key", "dc09_key_format", "notes"}

// RowError is one problem of an import, by CSV line (the header is line 1).
type RowError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// ImportReport says what an import did, or would have done.
type ImportReport struct {
	Rows      int        `json:"rows"`
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Errors    []RowError `json:"errors"`
	// Applied is true when the rows were written: there were no errors and
	// it was not a dry run.
	Applied bool `json:"applied"`
}

// errImportRejected rolls an import with row errors back.
var errImportRejected = errors.New("store: import has errors; nothing written")

// ImportLimit caps the rows of one import.
const ImportLimit = 200000

type importRow struct {
	line    int
	fields  map[string]string
	account Account
}

// ImportAccounts creates or updates accounts from CSV, keyed by receiver and
// account number, in one transaction: either every row is written or, when
// any row is bad, none is and the report lists every bad row. Importing the
// same file twice changes nothing the second time. dryRun checks and counts
// without writing.
func (s *Store) ImportAccounts(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	rows, report := parseImport(r)
	if len(report.Errors) > 0 {
		return report, nil
	}
	type change struct{ old, rec *Account }
	var changes []change
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changes = nil
		report.Created, report.Updated, report.Unchanged = 0, 0, 0
		for i := range rows {
			row := &rows[i]
			old, unchanged, err := s.importRow(ctx, tx, row)
			if err != nil {
				var fe *FieldError
				var ce *ConflictError
				switch {
				case errors.As(err, &fe):
					report.Errors = append(report.Errors, RowError{Line: row.line, Field: fe.Field, Error: fe.Msg})
				case errors.As(err, &ce):
					report.Errors = append(report.Errors, RowError{Line: row.line, Field: ce.Field, Error: ce.Msg})
				default:
					return err
				}
				continue
			}
			switch {
			case old == nil:
				report.Created++
			case unchanged:
				report.Unchanged++
				continue
			default:
				report.Updated++
			}
			changes = append(changes, change{old, &row.account})
		}
		if len(report.Errors) > 0 || dryRun {
			return errImportRejected
		}
		return nil
	}, func() {
		for _, c := range changes {
			s.accountChanged(c.old, c.rec)
		}
	})
	if errors.Is(err, errImportRejected) {
		return report, nil
	}
	if err != nil {
		return nil, err
	}
	report.Applied = true
	return report, nil
}

// importRow writes one row inside the import's transaction and returns the
// account as it was before (nil when created) and whether the row left it
// as it was (then nothing is written, not even updated_at).
func (s *Store) importRow(ctx context.Context, tx *sql.Tx, row *importRow) (old *Account, unchanged bool, err error) {
	old, err = s.prepareRow(ctx, tx, row)
	if err != nil {
		return nil, false, err
	}
	a := &row.account
	if old == nil {
		return nil, false, s.Accounts.create(ctx, tx, a)
	}
	probe := *a
	if err := checkAccount(ctx, tx, &probe, old); err != nil {
		return nil, false, err
	}
	if sameAccount(old, &probe) {
		return old, true, nil
	}
	_, err = s.Accounts.update(ctx, tx, a)
	return old, false, err
}

// prepareRow fills row.account from the CSV fields and returns the stored
// account the row names, nil when there is none yet.
func (s *Store) prepareRow(ctx context.Context, tx *sql.Tx, row *importRow) (*Account, error) {
	a := &row.account
	f := row.fields
	n, err := strconv.Atoi(f["receiver"])
	if err != nil {
		return nil, invalid("receiver", "%q is not a receiver number", f["receiver"])
	}
	a.Receiver, a.Number, a.SystemType, a.KeyFormat, a.Notes = n, f["number"], f["system_type"], f["dc09_key_format"], f["notes"]
	if v, ok := f["dc09_key"]; ok {
		a.Key = &v
	}
	for _, d := range []struct {
		col string
		to  *Duration
	}{{"supervision_interval", &a.SupervisionInterval}, {"test_interval", &a.TestInterval}} {
		v, err := ParseDuration(f[d.col])
		if err != nil {
			return nil, invalid(d.col, "%v", err)
		}
		*d.to = Duration(v)
	}
	switch {
	case f["site_id"] != "":
		if a.SiteID, err = strconv.ParseInt(f["site_id"], 10, 64); err != nil {
			return nil, invalid("site_id", "%q is not a site id", f["site_id"])
		}
	case f["site"] != "":
		err := tx.QueryRowContext(ctx, `SELECT id FROM sites WHERE identifier = ?`, f["site"]).Scan(&a.SiteID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, invalid("site", "no site has the identifier %q", f["site"])
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, invalid("site", "give the site's identifier (site) or its id (site_id)")
	}
	// Find the account this row names, as checkAccount will store it.
	var prefix string
	if err := tx.QueryRowContext(ctx, `SELECT account_prefix FROM receivers WHERE number = ?`, a.Receiver).Scan(&prefix); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, invalid("receiver", "receiver %d is not configured", a.Receiver)
		}
		return nil, err
	}
	number, err := NormaliseAccount(a.Number)
	if err != nil {
		return nil, invalid("number", "%v", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE receiver = ? AND number = ?`,
		a.Receiver, WithPrefix(prefix, number)).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	a.ID = id
	return s.Accounts.get(ctx, tx, id)
}

// sameAccount reports whether an update changed nothing an operator sees.
func sameAccount(old, a *Account) bool {
	key := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return old.Receiver == a.Receiver && old.Number == a.Number && old.SiteID == a.SiteID &&
		old.SystemType == a.SystemType && key(old.Key) == key(a.Key) && old.KeyFormat == a.KeyFormat &&
		old.SupervisionInterval == a.SupervisionInterval && old.TestInterval == a.TestInterval && old.Notes == a.Notes
}

// parseImport reads the CSV. Structural problems (unknown or missing
// columns, ragged rows, duplicate accounts within the file) are reported
// before anything is looked up.
func parseImport(r io.Reader) ([]importRow, *ImportReport) {
	report := &ImportReport{Errors: []RowError{}}
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		report.Errors = append(report.Errors, RowError{Line: 1, Error: "no CSV header: " + err.Error()})
		return nil, report
	}
	for i, h := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(ImportColumns, header[i]) {
			report.Errors = append(report.Errors, RowError{Line: 1, Field: header[i],
				Error: "unknown column; known: " + strings.Join(ImportColumns, ", ")})
		}
	}
	for _, need := range []string{"receiver", "number"} {
		if !slices.Contains(header, need) {
			report.Errors = append(report.Errors, RowError{Line: 1, Field: need, Error: "required column missing"})
		}
	}
	if !slices.Contains(header, "site") && !slices.Contains(header, "site_id") {
		report.Errors = append(report.Errors, RowError{Line: 1, Field: "site", Error: "a site or site_id column is required"})
	}
	if len(report.Errors) > 0 {
		return nil, report
	}
	var rows []importRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			report.Errors = append(report.Errors, RowError{Line: line, Error: err.Error()})
			if !errors.Is(err, csv.ErrFieldCount) {
				return nil, report
			}
			continue
		}
		if len(rows) >= ImportLimit {
			report.Errors = append(report.Errors, RowError{Line: line, Error: fmt.Sprintf("more than %d rows; split the file", ImportLimit)})
			return nil, report
		}
		fields := make(map[string]string, len(header))
		for i, h := range header {
			fields[h] = strings.TrimSpace(rec[i])
		}
		key := fields["receiver"] + "/" + strings.ToUpper(fields["number"])
		if first, dup := seen[key]; dup {
			report.Errors = append(report.Errors, RowError{Line: line, Field: "number",
				Error: fmt.Sprintf("account %s on receiver %s is also on line %d", fields["number"], fields["receiver"], first)})
			continue
		}
		seen[key] = line
		rows = append(rows, importRow{line: line, fields: fields})
	}
	report.Rows = len(rows)
	return rows, report
}
