package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// PostalAddress is where a customer is invoiced, in the parts billing
// systems import an address in (Stripe, Xero and QuickBooks all take
// these): one or two street lines, postal code, city, region (state,
// county or province) and country (ISO 3166-1 alpha-2, "DE", "US").
type PostalAddress struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
	Region     string `json:"region"`
	Country    string `json:"country"`
}

// maxAddressPart caps each part of an address.
const maxAddressPart = 200

// IsZero reports whether no part of the address is given.
func (a PostalAddress) IsZero() bool { return a == PostalAddress{} }

// Value stores the address as a JSON object, "" when it is empty.
func (a PostalAddress) Value() (driver.Value, error) {
	if a.IsZero() {
		return "", nil
	}
	b, err := json.Marshal(a)
	return string(b), err
}

// Scan reads what Value stored.
func (a *PostalAddress) Scan(v any) error {
	*a = PostalAddress{}
	b, err := textColumn(v, "address")
	if err != nil || len(b) == 0 {
		return err
	}
	if err := json.Unmarshal(b, a); err != nil {
		return fmt.Errorf("store: address column: %w", err)
	}
	return nil
}

// normalise trims the parts and checks them: an address that is given at
// all has a street line and a city, and its country is two letters.
func (a *PostalAddress) normalise() error {
	parts := []struct {
		name string
		v    *string
	}{{"line1", &a.Line1}, {"line2", &a.Line2}, {"postal_code", &a.PostalCode}, {"city", &a.City},
		{"region", &a.Region}, {"country", &a.Country}}
	for _, p := range parts {
		*p.v = strings.TrimSpace(*p.v)
		if utf8.RuneCountInString(*p.v) > maxAddressPart {
			return invalid("address."+p.name, "is longer than %d characters", maxAddressPart)
		}
	}
	if a.IsZero() {
		return nil
	}
	a.Country = strings.ToUpper(a.Country)
	switch {
	case a.Line1 == "":
		return invalid("address.line1", "is required in an address: the street and number")
	case a.City == "":
		return invalid("address.city", "is required in an address")
	case a.Country != "" && (len(a.Country) != 2 || a.Country[0] < 'A' || a.Country[0] > 'Z' || a.Country[1] < 'A' || a.Country[1] > 'Z'):
		return invalid("address.country", "%q is not a two-letter ISO 3166-1 country code such as DE or US", a.Country)
	}
	return nil
}

// ContactRoles are the roles a customer's contact may have: primary (the
// customer's main contact), billing (invoices and payment go to it), viewer
// (an HQ contact who follows the alarms of the customer and those below
// it), technical (the systems). Whether a contact receives the morning
// report is CustomerContact.Report, not a role: unsubscribing turns it off
// and leaves the roles as they are.
var ContactRoles = []string{"primary", "billing", "viewer", "technical"}

// CustomerContact is a person of a customer's, with roles, an e-mail
// address and a phone number; marked Report, it receives the customer's
// morning report at Email.
type CustomerContact struct {
	ID         int64   `json:"id"`
	CustomerID int64   `json:"customer_id"`
	Name       string  `json:"name"`
	Roles      Strings `json:"roles"`
	Email      string  `json:"email"`
	Phone      string  `json:"phone"`
	// Report marks the contact as a recipient of the morning report (an
	// e-mail notification contact); it needs Email.
	Report    bool      `json:"report"`
	Notes     string    `json:"notes"`
	CreatedBy string    `json:"created_by"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Store) newContactTable() {
	s.CustomerContacts = records.New(s.db, s.opts.Now, &records.Table[CustomerContact]{
		Name: "customer_contacts", Label: "customer contact",
		Columns: []string{"customer_id", "name", "roles", "email", "phone", "report", "notes"},
		Values: func(c *CustomerContact) []any {
			return []any{c.CustomerID, c.Name, c.Roles, c.Email, c.Phone, boolInt(c.Report), c.Notes}
		},
		Scan: func(c *CustomerContact) []any {
			return []any{&c.ID, &c.CustomerID, &c.Name, &c.Roles, &c.Email, &c.Phone, &c.Report, &c.Notes,
				&c.CreatedBy, &c.UpdatedBy, nanoTime{&c.CreatedAt}, nanoTime{&c.UpdatedAt}}
		},
		By:      func(c *CustomerContact) (*string, *string) { return &c.CreatedBy, &c.UpdatedBy },
		ID:      func(c *CustomerContact) *int64 { return &c.ID },
		Check:   checkContact,
		Filters: []string{"customer_id", "email"},
		FilterAs: map[string]func(string) (string, any){
			"email": func(v string) (string, any) {
				return "lower(email) = ? AND email <> ''", strings.ToLower(strings.TrimSpace(v))
			},
		},
		Stamps: func(c *CustomerContact) (*time.Time, *time.Time) { return &c.CreatedAt, &c.UpdatedAt },
	})
}

// checkEmail checks a bare e-mail address ("dana@example.com", not "Dana
// <dana@example.com>").
func checkEmail(field, v string) error { return core.CheckEmail(field, v) }

func checkContact(ctx context.Context, tx *sql.Tx, c, _ *CustomerContact) error {
	c.Name, c.Email, c.Phone = strings.TrimSpace(c.Name), strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone)
	if err := required("name", c.Name); err != nil {
		return err
	}
	if c.Email != "" {
		if err := checkEmail("email", c.Email); err != nil {
			return err
		}
	}
	if c.Report && c.Email == "" {
		return invalid("email", "is required for a recipient of the morning report (report: true)")
	}
	roles := Strings{}
	for _, r := range c.Roles {
		r = strings.ToLower(strings.TrimSpace(r))
		if !slices.Contains(ContactRoles, r) {
			return invalid("roles", "unknown role %q (known: %s; the morning report is report: true)", r, strings.Join(ContactRoles, ", "))
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	c.Roles = roles
	if err := exists(ctx, tx, "customers", c.CustomerID, "customer_id", "customer"); err != nil {
		return err
	}
	if c.Email == "" {
		return nil
	}
	var other int64
	var name string
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM customer_contacts WHERE customer_id = ? AND lower(email) = ? AND email <> ''
		AND id <> ?`, c.CustomerID, strings.ToLower(c.Email), c.ID).Scan(&other, &name)
	if err == nil {
		return &ConflictError{Field: "email", Msg: fmt.Sprintf("customer %d already has a contact with the e-mail address %s: %s (contact id %d)",
			c.CustomerID, c.Email, name, other)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

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
		return 0, nil, invalid("customer", "give the customer's identifier (customer) or its id (customer_id)")
	}
	if strings.TrimSpace(f["name"]) == "" {
		return 0, nil, invalid("name", "is required")
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
	if err := checkContact(ctx, tx, &probe, old); err != nil {
		return 0, nil, err
	}
	if probe.Name == old.Name && probe.Email == old.Email && probe.Phone == old.Phone && probe.Notes == old.Notes &&
		probe.Report == old.Report && slices.Equal(probe.Roles, old.Roles) {
		return rowUnchanged, nil, nil
	}
	_, err := s.CustomerContacts.UpdateTx(ctx, tx, c)
	return rowUpdated, nil, err
}
