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

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// ImportColumns are the CSV columns ImportAccounts understands. receiver,
// number (as the receiver's senders send it: its prefix rule applies, as
// for a signal; sent_number is the same, and with both, number must be the
// stored number sent_number makes), and one of site (the site's
// identifier) or site_id are required; move=yes lets a row move an account
// that belongs to another site; installer (the installer's identifier) or
// installer_id, and technician_id, name who installed the system and who
// looks after it.
var ImportColumns = []string{"receiver", "number", "sent_number", "site", "site_id", "system_type",
	"supervision_interval", "test_interval", "dc09_key", "dc09_key_format", "notes", "move",
	"installer", "installer_id", "technician_id"}

// SiteImportColumns are the CSV columns ImportSites understands.
// identifier and name are required, and for a new site one of customer
// (the customer's identifier) or customer_id; installer (the installer's
// identifier) or installer_id name its installer.
var SiteImportColumns = []string{"identifier", "name", "customer", "customer_id", "installer", "installer_id",
	"address", "time_zone", "notes"}

// CustomerImportColumns are the CSV columns ImportCustomers understands.
// identifier and name are required; parent (the parent's identifier) or
// parent_id place a customer below another, which must come earlier in the
// file or exist already. The address_ columns are the parts of the postal
// address (PostalAddress); a file with any of them gives the whole
// address, and the parts it lacks are empty.
var CustomerImportColumns = []string{"identifier", "name", "parent", "parent_id", "billing_name", "billing_email",
	"billing_phone", "report_email", "time_zone", "notes", "address_line1", "address_line2", "address_postal_code",
	"address_city", "address_region", "address_country"}

// RowError is one problem of an import, by CSV line (the header is line 1).
type RowError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// ImportReport says what an import did, or would have done.
type ImportReport struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Moved counts the updated accounts that moved to another site (rows
	// with move=yes).
	Moved  int        `json:"moved"`
	Errors []RowError `json:"errors"`
	// Applied is true when the rows were written: there were no errors and
	// it was not a dry run.
	Applied bool `json:"applied"`
}

// errImportRejected rolls an import with row errors back.
var errImportRejected = errors.New("store: import has errors; nothing written")

// ImportLimit caps the rows of one import.
const ImportLimit = 200000

type importRow struct {
	line   int
	fields map[string]string
}

// has reports whether the file has a column (then an empty value sets the
// field empty; a column the file lacks leaves the stored field as it is).
func (r *importRow) has(col string) bool {
	_, ok := r.fields[col]
	return ok
}

// rowOutcome is what one row did.
type rowOutcome int

const (
	rowCreated rowOutcome = iota
	rowUpdated
	rowUnchanged
	rowMoved // updated, and moved to another site
)

// importKind is one kind of record an import writes.
type importKind struct {
	label   string
	columns []string
	// need lists groups of columns of which the header must hold one.
	need [][]string
	// row writes one row inside the import's transaction. It passes the
	// record's key to claim before it writes (claim refuses a key an
	// earlier line of the file had); after runs once the import committed.
	row func(ctx context.Context, tx *sql.Tx, r *importRow, claim func(key string) error) (out rowOutcome, after func(), err error)
}

// ImportAccounts creates or updates accounts from CSV, keyed by receiver and
// account number, in one transaction: either every row is written or, when
// any row is bad, none is and the report lists every bad row. Importing the
// same file twice changes nothing the second time. dryRun checks and counts
// without writing.
func (s *Store) ImportAccounts(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	return s.importCSV(ctx, r, dryRun, importKind{label: "account", columns: ImportColumns,
		need: [][]string{{"receiver"}, {"number", "sent_number"}, {"site", "site_id"}}, row: s.importAccount})
}

// ImportSites creates or updates sites from CSV, keyed by identifier
// (compared as IdentifierKey does), all rows or none, as ImportAccounts.
func (s *Store) ImportSites(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	return s.importCSV(ctx, r, dryRun, importKind{label: "site", columns: SiteImportColumns,
		need: [][]string{{"identifier"}, {"name"}}, row: s.importSite})
}

// ImportCustomers creates or updates customers from CSV, keyed by
// identifier, all rows or none, as ImportAccounts.
func (s *Store) ImportCustomers(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	return s.importCSV(ctx, r, dryRun, importKind{label: "customer", columns: CustomerImportColumns,
		need: [][]string{{"identifier"}, {"name"}}, row: s.importCustomer})
}

// importCSV runs an import: every row is checked (a malformed line, a
// duplicate key, a bad field, a conflict with a stored record), every bad
// row reported, and the rows are written in one transaction only when none
// is bad and it is not a dry run.
func (s *Store) importCSV(ctx context.Context, r io.Reader, dryRun bool, kind importKind) (*ImportReport, error) {
	rows, report := parseImport(r, kind)
	if rows == nil && len(report.Errors) > 0 {
		return report, nil // the header is unusable
	}
	parseErrors := report.Errors
	carry := core.CarryActor(ctx) // the writer runs on its own context
	var afters []func()
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ctx = carry(ctx)
		afters = nil
		report.Created, report.Updated, report.Unchanged, report.Moved = 0, 0, 0, 0
		report.Errors = slices.Clone(parseErrors)
		seen := map[string]int{}
		for i := range rows {
			row := &rows[i]
			out, after, err := kind.row(ctx, tx, row, func(key string) error {
				if first, dup := seen[key]; dup {
					return &ConflictError{Msg: fmt.Sprintf("the same %s as line %d", kind.label, first)}
				}
				seen[key] = row.line
				return nil
			})
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
			switch out {
			case rowCreated:
				report.Created++
			case rowUpdated:
				report.Updated++
			case rowMoved:
				report.Updated++
				report.Moved++
			case rowUnchanged:
				report.Unchanged++
			}
			if after != nil {
				afters = append(afters, after)
			}
		}
		slices.SortStableFunc(report.Errors, func(a, b RowError) int { return a.Line - b.Line })
		if len(report.Errors) > 0 || dryRun {
			return errImportRejected
		}
		return nil
	}, func() {
		for _, f := range afters {
			f()
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

// parseImport reads the CSV. Problems of the header (unknown or missing
// columns) end the import at once; problems of a line (a malformed line, a
// wrong number of fields) are reported and the line skipped, and reading
// goes on, so that one run reports every bad line.
func parseImport(r io.Reader, kind importKind) ([]importRow, *ImportReport) {
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
		switch {
		case !slices.Contains(kind.columns, header[i]):
			report.Errors = append(report.Errors, RowError{Line: 1, Field: header[i],
				Error: "unknown column; known: " + strings.Join(kind.columns, ", ")})
		case slices.Contains(header[:i], header[i]):
			report.Errors = append(report.Errors, RowError{Line: 1, Field: header[i], Error: "column given twice"})
		}
	}
	for _, group := range kind.need {
		if !slices.ContainsFunc(group, func(c string) bool { return slices.Contains(header, c) }) {
			msg := "required column missing"
			if len(group) > 1 {
				msg = "one of the columns " + strings.Join(group, ", ") + " is required"
			}
			report.Errors = append(report.Errors, RowError{Line: 1, Field: group[0], Error: msg})
		}
	}
	if len(report.Errors) > 0 {
		return nil, report
	}
	rows := []importRow{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			report.Errors = append(report.Errors, RowError{Line: line, Error: err.Error()})
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
		rows = append(rows, importRow{line: line, fields: fields})
	}
	report.Rows = len(rows) + len(report.Errors)
	return rows, report
}

// importDuration reads a duration field: a number with a unit. A bare
// number is refused, as in the configuration file: "25" could be hours or
// seconds, and a test interval read as 25 s raises a false "fail to test"
// within a minute.
func importDuration(f map[string]string, col string, to *Duration) error {
	v, err := ParseDuration(f[col])
	if err != nil {
		return core.Invalid(col, "%v", err)
	}
	*to = Duration(v)
	return nil
}

// yes reads a yes/no field: yes or true, no, false or empty.
func yes(f map[string]string, col string) (bool, error) {
	switch strings.ToLower(f[col]) {
	case "yes", "true":
		return true, nil
	case "", "no", "false":
		return false, nil
	}
	return false, core.Invalid(col, "%q: give yes or no", f[col])
}

// importAccount writes one account row.
func (s *Store) importAccount(ctx context.Context, tx *sql.Tx, row *importRow, claim func(string) error) (rowOutcome, func(), error) {
	f := row.fields
	receiver, err := strconv.Atoi(f["receiver"])
	if err != nil {
		return 0, nil, core.Invalid("receiver", "%q is not a receiver number", f["receiver"])
	}
	var prefix string
	var mode PrefixMode
	if err := tx.QueryRowContext(ctx, `SELECT account_prefix, account_prefix_mode FROM receivers WHERE number = ?`, receiver).
		Scan(&prefix, &mode); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, core.Invalid("receiver", "receiver %d is not configured", receiver)
		}
		return 0, nil, err
	}
	// The account this row names, as records.CheckAccount will store it.
	probe := &Account{Receiver: receiver, Number: f["number"]}
	if row.has("sent_number") {
		v := f["sent_number"]
		probe.SentNumber = &v
	}
	number, err := records.AccountNumber(probe, nil, prefix, mode)
	if err != nil {
		return 0, nil, err
	}
	if err := claim(strconv.Itoa(receiver) + "/" + number); err != nil {
		return 0, nil, err
	}
	move, err := yes(f, "move")
	if err != nil {
		return 0, nil, err
	}
	var old *Account
	var id int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE receiver = ? AND number = ?`, receiver, number).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, nil, err
	default:
		if old, err = s.Accounts.GetTx(ctx, tx, id); err != nil {
			return 0, nil, err
		}
	}
	// A new account gets its number from the row as given; a stored one
	// keeps its number (the row named it by that number).
	a := &Account{Receiver: receiver, Number: probe.Number, SentNumber: probe.SentNumber}
	if old != nil {
		a = old.Clone()
		a.Number = ""
	}
	if row.has("system_type") {
		a.SystemType = f["system_type"]
	}
	if row.has("dc09_key_format") {
		a.KeyFormat = f["dc09_key_format"]
	}
	if row.has("notes") {
		a.Notes = f["notes"]
	}
	if row.has("dc09_key") {
		v := f["dc09_key"]
		a.Key = &v
	}
	for _, d := range []struct {
		col string
		to  *Duration
	}{{"supervision_interval", &a.SupervisionInterval}, {"test_interval", &a.TestInterval}} {
		if row.has(d.col) {
			if err := importDuration(f, d.col, d.to); err != nil {
				return 0, nil, err
			}
		}
	}
	if err := reference(ctx, tx, row, "installer", "installers", &a.InstallerID, true); err != nil {
		return 0, nil, err
	}
	if row.has("technician_id") {
		a.TechnicianID = nil
		if v := f["technician_id"]; v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 1 {
				return 0, nil, core.Invalid("technician_id", "%q is not a technician id", v)
			}
			a.TechnicianID = &id
		}
	}
	switch {
	case f["site_id"] != "":
		if a.SiteID, err = strconv.ParseInt(f["site_id"], 10, 64); err != nil {
			return 0, nil, core.Invalid("site_id", "%q is not a site id", f["site_id"])
		}
	case f["site"] != "":
		err := tx.QueryRowContext(ctx, `SELECT id FROM sites WHERE identifier_key = ? AND identifier_key <> ''`, IdentifierKey(f["site"])).Scan(&a.SiteID)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, core.Invalid("site", "no site has the identifier %q", f["site"])
		}
		if err != nil {
			return 0, nil, err
		}
	default:
		return 0, nil, core.Invalid("site", "give the site's identifier (site) or its id (site_id)")
	}
	if old == nil {
		if err := s.Accounts.CreateTx(ctx, tx, a); err != nil {
			return 0, nil, err
		}
		return rowCreated, func() { s.accountChanged(nil, a) }, nil
	}
	if a.SiteID != old.SiteID && !move {
		var site string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM sites WHERE id = ?`, old.SiteID).Scan(&site); err != nil {
			return 0, nil, err
		}
		return 0, nil, &ConflictError{Field: "site", Msg: fmt.Sprintf(
			"account %s on receiver %d belongs to site %d (%s); to move it to site %d, set move=yes on this line",
			number, receiver, old.SiteID, site, a.SiteID)}
	}
	probe = a.Clone()
	if err := s.Kinds.CheckAccount(ctx, tx, probe, old); err != nil {
		return 0, nil, err
	}
	if sameAccount(old, probe) {
		return rowUnchanged, nil, nil
	}
	if _, err := s.Accounts.UpdateTx(ctx, tx, a); err != nil {
		return 0, nil, err
	}
	out := rowUpdated
	if a.SiteID != old.SiteID {
		out = rowMoved
	}
	return out, func() { s.accountChanged(old, a) }, nil
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
		old.SupervisionInterval == a.SupervisionInterval && old.TestInterval == a.TestInterval && old.Notes == a.Notes &&
		equalID(old.InstallerID, a.InstallerID) && equalID(old.TechnicianID, a.TechnicianID)
}

// byIdentifier returns the id of the site, customer or installer (table)
// with an identifier, 0 when there is none.
func byIdentifier(ctx context.Context, tx *sql.Tx, table, ident string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE identifier_key = ? AND identifier_key <> ''`, IdentifierKey(ident)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// reference reads a reference given as an identifier (column col) or an id
// (col_id) into to: an empty cell of a present column clears it when
// clearable; neither column leaves it.
func reference(ctx context.Context, tx *sql.Tx, row *importRow, col, table string, to **int64, clearable bool) error {
	f := row.fields
	switch {
	case f[col+"_id"] != "":
		id, err := strconv.ParseInt(f[col+"_id"], 10, 64)
		if err != nil || id < 1 {
			return core.Invalid(col+"_id", "%q is not an id", f[col+"_id"])
		}
		*to = &id
	case f[col] != "":
		id, err := byIdentifier(ctx, tx, table, f[col])
		if err != nil {
			return err
		}
		if id == 0 {
			return core.Invalid(col, "no %s has the identifier %q", strings.TrimSuffix(table, "s"), f[col])
		}
		*to = &id
	case clearable && (row.has(col) || row.has(col+"_id")):
		*to = nil
	}
	return nil
}

// importSite writes one site row.
func (s *Store) importSite(ctx context.Context, tx *sql.Tx, row *importRow, claim func(string) error) (rowOutcome, func(), error) {
	f := row.fields
	if err := claimIdentifier(f, "sites", claim); err != nil {
		return 0, nil, err
	}
	id, err := byIdentifier(ctx, tx, "sites", f["identifier"])
	if err != nil {
		return 0, nil, err
	}
	var old *Site
	x := &Site{}
	if id != 0 {
		if old, err = s.Sites.GetTx(ctx, tx, id); err != nil {
			return 0, nil, err
		}
		c := *old
		x = &c
	}
	x.Identifier = f["identifier"]
	x.Name = f["name"]
	for col, to := range map[string]*string{"address": &x.Address, "time_zone": &x.TimeZone, "notes": &x.Notes} {
		if row.has(col) {
			*to = f[col]
		}
	}
	var customer *int64
	if old != nil {
		customer = &old.CustomerID
	}
	if err := reference(ctx, tx, row, "customer", "customers", &customer, false); err != nil {
		return 0, nil, err
	}
	if customer == nil {
		return 0, nil, core.Invalid("customer", "give the customer's identifier (customer) or its id (customer_id)")
	}
	x.CustomerID = *customer
	if err := reference(ctx, tx, row, "installer", "installers", &x.InstallerID, true); err != nil {
		return 0, nil, err
	}
	if old == nil {
		return rowCreated, nil, s.Sites.CreateTx(ctx, tx, x)
	}
	probe := *x
	if err := records.CheckSite(ctx, tx, &probe, old); err != nil {
		return 0, nil, err
	}
	if probe.CustomerID == old.CustomerID && equalID(probe.InstallerID, old.InstallerID) && probe.Name == old.Name &&
		probe.Address == old.Address && probe.TimeZone == old.TimeZone && probe.Notes == old.Notes && probe.Identifier == old.Identifier {
		return rowUnchanged, nil, nil
	}
	_, err = s.Sites.UpdateTx(ctx, tx, x)
	return rowUpdated, nil, err
}

// importCustomer writes one customer row.
func (s *Store) importCustomer(ctx context.Context, tx *sql.Tx, row *importRow, claim func(string) error) (rowOutcome, func(), error) {
	f := row.fields
	if err := claimIdentifier(f, "customers", claim); err != nil {
		return 0, nil, err
	}
	id, err := byIdentifier(ctx, tx, "customers", f["identifier"])
	if err != nil {
		return 0, nil, err
	}
	var old *Customer
	c := &Customer{}
	if id != 0 {
		if old, err = s.Customers.GetTx(ctx, tx, id); err != nil {
			return 0, nil, err
		}
		cp := *old
		c = &cp
	}
	c.Identifier = f["identifier"]
	c.Name = f["name"]
	for col, to := range map[string]*string{"billing_name": &c.BillingName, "billing_email": &c.BillingEmail,
		"billing_phone": &c.BillingPhone, "report_email": &c.ReportEmail, "time_zone": &c.TimeZone, "notes": &c.Notes} {
		if row.has(col) {
			*to = f[col]
		}
	}
	if err := reference(ctx, tx, row, "parent", "customers", &c.ParentID, true); err != nil {
		return 0, nil, err
	}
	if addr, ok := importAddress(row); ok {
		c.Address = addr
	}
	if old == nil {
		return rowCreated, nil, s.Customers.CreateTx(ctx, tx, c)
	}
	probe := *c
	if err := s.Customers.Check(ctx, tx, &probe, old); err != nil {
		return 0, nil, err
	}
	if equalID(probe.ParentID, old.ParentID) && probe.Name == old.Name && probe.BillingName == old.BillingName &&
		probe.BillingEmail == old.BillingEmail && probe.BillingPhone == old.BillingPhone && probe.ReportEmail == old.ReportEmail &&
		probe.TimeZone == old.TimeZone && probe.Notes == old.Notes && probe.Identifier == old.Identifier && probe.Address == old.Address {
		return rowUnchanged, nil, nil
	}
	_, err = s.Customers.UpdateTx(ctx, tx, c)
	return rowUpdated, nil, err
}

// importAddress reads a customer row's postal address; ok is false when
// the file has no address column (the stored address stays).
func importAddress(row *importRow) (PostalAddress, bool) {
	f := row.fields
	var a PostalAddress
	ok := false
	for col, to := range map[string]*string{"address_line1": &a.Line1, "address_line2": &a.Line2, "address_postal_code": &a.PostalCode,
		"address_city": &a.City, "address_region": &a.Region, "address_country": &a.Country} {
		if row.has(col) {
			*to, ok = f[col], true
		}
	}
	return a, ok
}

func equalID(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// claimIdentifier claims a row's identifier as its key.
func claimIdentifier(f map[string]string, table string, claim func(string) error) error {
	key := IdentifierKey(f["identifier"])
	if key == "" {
		return core.Invalid("identifier", "is required: the import finds %s by it", table)
	}
	return claim(key)
}
