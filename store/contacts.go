package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// ContactImportColumns are the CSV columns ImportContacts understands:
// customer (the customer's identifier) or customer_id, and name, are
// required; roles are separated by semicolons or spaces; report is yes or
// no.
var ContactImportColumns = []string{"customer", "customer_id", "name", "email", "phone", "roles", "report", "notes"}

// ImportContacts creates or updates customers' contacts from CSV, all rows
// or none, as ImportAccounts. A row is keyed by its customer and the
// contact's e-mail address (compared case-insensitively), or, for a
// contact without one, its name: what a billing system exports as a
// customer's contact list. A column the file lacks leaves that field as it
// is.
func (s *Store) ImportContacts(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	return s.importCSV(ctx, r, dryRun, importKind{label: "contact", columns: ContactImportColumns,
		need: [][]string{{"customer", "customer_id"}, {"name"}}, row: s.importContact})
}

func (s *Store) importContact(ctx context.Context, tx *sql.Tx, row *importRow, claim func(string) error) (rowOutcome, func(), error) {
	f := row.fields
	var customer *int64
	if err := reference(ctx, tx, row, "customer", "customers", &customer, false); err != nil {
		return 0, nil, err
	}
	if customer == nil {
		return 0, nil, core.Invalid("customer", "give the customer's identifier (customer) or its id (customer_id)")
	}
	if strings.TrimSpace(f["name"]) == "" {
		return 0, nil, core.Invalid("name", "is required")
	}
	email := strings.ToLower(f["email"])
	key := fmt.Sprintf("%d/email:%s", *customer, email)
	q := `SELECT id FROM customer_contacts WHERE customer_id = ? AND lower(email) = ? AND email <> ''`
	arg := email
	if email == "" {
		key = fmt.Sprintf("%d/name:%s", *customer, strings.ToLower(f["name"]))
		q = `SELECT id FROM customer_contacts WHERE customer_id = ? AND email = '' AND lower(name) = ? ORDER BY id LIMIT 1`
		arg = strings.ToLower(f["name"])
	}
	if err := claim(key); err != nil {
		return 0, nil, err
	}
	var id int64
	var old *CustomerContact
	switch err := tx.QueryRowContext(ctx, q, *customer, arg).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, nil, err
	default:
		if old, err = s.CustomerContacts.GetTx(ctx, tx, id); err != nil {
			return 0, nil, err
		}
	}
	c := &CustomerContact{CustomerID: *customer, Roles: Strings{}}
	if old != nil {
		cp := *old
		c = &cp
	}
	c.Name = f["name"]
	for col, to := range map[string]*string{"email": &c.Email, "phone": &c.Phone, "notes": &c.Notes} {
		if row.has(col) {
			*to = f[col]
		}
	}
	if row.has("roles") {
		c.Roles = Strings(strings.FieldsFunc(f["roles"], func(r rune) bool { return r == ';' || r == ',' || unicode.IsSpace(r) }))
	}
	if row.has("report") {
		on, err := yes(f, "report")
		if err != nil {
			return 0, nil, err
		}
		c.Report = on
	}
	if old == nil {
		return rowCreated, nil, s.CustomerContacts.CreateTx(ctx, tx, c)
	}
	probe := *c
	if err := records.CheckContact(ctx, tx, &probe, old); err != nil {
		return 0, nil, err
	}
	if probe.Name == old.Name && probe.Email == old.Email && probe.Phone == old.Phone && probe.Notes == old.Notes &&
		probe.Report == old.Report && slices.Equal(probe.Roles, old.Roles) {
		return rowUnchanged, nil, nil
	}
	_, err := s.CustomerContacts.UpdateTx(ctx, tx, c)
	return rowUpdated, nil, err
}
