package records

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/store/core"
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
	b, err := core.TextColumn(v, "address")
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
			return core.Invalid("address."+p.name, "is longer than %d characters", maxAddressPart)
		}
	}
	if a.IsZero() {
		return nil
	}
	a.Country = strings.ToUpper(a.Country)
	switch {
	case a.Line1 == "":
		return core.Invalid("address.line1", "is required in an address: the street and number")
	case a.City == "":
		return core.Invalid("address.city", "is required in an address")
	case a.Country != "" && (len(a.Country) != 2 || a.Country[0] < 'A' || a.Country[0] > 'Z' || a.Country[1] < 'A' || a.Country[1] > 'Z'):
		return core.Invalid("address.country", "%q is not a two-letter ISO 3166-1 country code such as DE or US", a.Country)
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
	ID         int64        `json:"id"`
	CustomerID int64        `json:"customer_id"`
	Name       string       `json:"name"`
	Roles      core.Strings `json:"roles"`
	Email      string       `json:"email"`
	Phone      string       `json:"phone"`
	// Report marks the contact as a recipient of the morning report (an
	// e-mail notification contact); it needs Email.
	Report    bool      `json:"report"`
	Notes     string    `json:"notes"`
	CreatedBy string    `json:"created_by"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (k *Kinds) newContactTable(db Engine, o Options) {
	k.CustomerContacts = New(db, o.Now, &Table[CustomerContact]{
		Name: "customer_contacts", Label: "customer contact",
		Columns: []string{"customer_id", "name", "roles", "email", "phone", "report", "notes"},
		Values: func(c *CustomerContact) []any {
			return []any{c.CustomerID, c.Name, c.Roles, c.Email, c.Phone, boolInt(c.Report), c.Notes}
		},
		Scan: func(c *CustomerContact) []any {
			return []any{&c.ID, &c.CustomerID, &c.Name, &c.Roles, &c.Email, &c.Phone, &c.Report, &c.Notes,
				&c.CreatedBy, &c.UpdatedBy, core.NanoTime{T: &c.CreatedAt}, core.NanoTime{T: &c.UpdatedAt}}
		},
		By:      func(c *CustomerContact) (*string, *string) { return &c.CreatedBy, &c.UpdatedBy },
		ID:      func(c *CustomerContact) *int64 { return &c.ID },
		Check:   CheckContact,
		Filters: []string{"customer_id", "email"},
		Search:  core.LikeAny("name", "email", "phone"),
		FilterAs: map[string]func(string) (string, any){
			"email": func(v string) (string, any) {
				return "lower(email) = ? AND email <> ''", strings.ToLower(strings.TrimSpace(v))
			},
		},
		Stamps: func(c *CustomerContact) (*time.Time, *time.Time) { return &c.CreatedAt, &c.UpdatedAt },
	})
}

// CheckContact validates and normalises a customer contact inside the
// change's transaction: the import checks a row with it before it decides
// whether the row changes anything.
func CheckContact(ctx context.Context, tx *sql.Tx, c, _ *CustomerContact) error {
	c.Name, c.Email, c.Phone = strings.TrimSpace(c.Name), strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone)
	if err := core.Required("name", c.Name); err != nil {
		return err
	}
	if c.Email != "" {
		if err := core.CheckEmail("email", c.Email); err != nil {
			return err
		}
	}
	if c.Report && c.Email == "" {
		return core.Invalid("email", "is required for a recipient of the morning report (report: true)")
	}
	roles := core.Strings{}
	for _, r := range c.Roles {
		r = strings.ToLower(strings.TrimSpace(r))
		if !slices.Contains(ContactRoles, r) {
			return core.Invalid("roles", "unknown role %q (known: %s; the morning report is report: true)", r, strings.Join(ContactRoles, ", "))
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	c.Roles = roles
	if err := core.Exists(ctx, tx, "customers", c.CustomerID, "customer_id", "customer"); err != nil {
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
		return &core.ConflictError{Field: "email", Msg: fmt.Sprintf("customer %d already has a contact with the e-mail address %s: %s (contact id %d)",
			c.CustomerID, c.Email, name, other)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}
