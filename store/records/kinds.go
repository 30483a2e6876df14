package records

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // site time zones must resolve on machines without a zoneinfo database

	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store/core"
)

// Customer is who buys and is billed. Customers nest through ParentID: HQ →
// region → store (design.md §4).
type Customer struct {
	ID           int64  `json:"id"`
	ParentID     *int64 `json:"parent_id"`
	Name         string `json:"name"`
	BillingName  string `json:"billing_name"`
	BillingEmail string `json:"billing_email"`
	BillingPhone string `json:"billing_phone"`
	// Address is the postal address the customer is invoiced at.
	Address PostalAddress `json:"address"`
	// ReportEmail (addresses separated by commas) receives the morning
	// report only while no contact and no portal user of the customer is
	// marked as a recipient (ReportRecipients): it is kept for stations
	// that set it before recipients could be marked.
	ReportEmail string `json:"report_email"`
	// TimeZone (IANA) is when the customer's morning is; "" means the time
	// zone of its first site.
	TimeZone string `json:"time_zone"`
	// Identifier is what the customer's portal users type to log in (a
	// phone number, or a random number assigned when none is given). It is
	// kept as entered and compared without the punctuation of phone numbers
	// (IdentifierKey). Left out of an update, it stays.
	Identifier string    `json:"identifier"`
	Notes      string    `json:"notes"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	identKey string // Identifier as compared (IdentifierKey)
}

// Installer is an installing company; its technicians may put its sites on
// test.
type Installer struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	// Identifier is what the installer's technicians type to log in.
	Identifier string    `json:"identifier"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	identKey string
}

// Technician works for an installer.
type Technician struct {
	ID          int64     `json:"id"`
	InstallerID int64     `json:"installer_id"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"`
	Email       string    `json:"email"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Site is where systems are installed; its accounts are those systems.
type Site struct {
	ID          int64  `json:"id"`
	CustomerID  int64  `json:"customer_id"`
	InstallerID *int64 `json:"installer_id"`
	Name        string `json:"name"`
	Address     string `json:"address"`
	TimeZone    string `json:"time_zone"` // IANA name; default UTC
	Notes       string `json:"notes"`
	// Identifier is the site's main phone number, or a random number
	// assigned when none is given (design.md §9). Unique across sites,
	// customers and installers as IdentifierKey compares it; left out of
	// an update, it stays.
	Identifier string `json:"identifier"`
	// CreatedBy and UpdatedBy name the station or portal user who made
	// and last changed the site (its notes are editable in the portal).
	CreatedBy string    `json:"created_by"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	identKey string
}

// Account is a transmitter: an account number on a receiver, belonging to a
// site. Number is unique within its receiver.
type Account struct {
	ID       int64 `json:"id"`
	Receiver int   `json:"receiver"`
	// Number is, in answers, the account number as stored and shown to
	// operators and automation: normalised, the receiver's prefix applied.
	// Given on create or update, it is read as the receiver's senders send
	// it and the receiver's rule makes the stored number of it
	// (account_prefix_mode add: prefix 9, 123 → 9123, 9123 → 99123;
	// expect: taken as sent, and it must carry the prefix). Left out of an
	// update (with SentNumber), the number stays.
	Number string `json:"number"`
	// SentNumber is the number the receiver's senders send for the
	// account; in answers, null when none reaches it (add, and the account
	// lacks the prefix). Given on create or update, it is read as Number
	// is, and Number, if given too, must be the stored number it makes: a
	// record read with GET can be sent back as it is.
	SentNumber *string `json:"sent_number"`
	SiteID     int64   `json:"site_id"`
	// SystemType is one of SystemTypes.
	SystemType string `json:"system_type"`
	// InstallerID is the installer that installed the system, TechnicianID
	// the technician responsible for it, who works for that installer
	// (given alone, it names the installer). Both are optional; without an
	// installer, the site's stands for the system (SiteSystems).
	InstallerID  *int64 `json:"installer_id"`
	TechnicianID *int64 `json:"technician_id"`
	// Key is the DC-09 AES key. It is write-only: the store never returns
	// it. On update, nil keeps the stored key and "" removes it.
	Key *string `json:"dc09_key,omitempty"`
	// KeyFormat is hex or ascii (protocols.md §3.10); "" without a key.
	KeyFormat           string        `json:"dc09_key_format"`
	HasKey              bool          `json:"has_dc09_key"`
	SupervisionInterval core.Duration `json:"supervision_interval"`
	TestInterval        core.Duration `json:"test_interval"`
	Notes               string        `json:"notes"`
	CreatedAt           time.Time     `json:"created_at"`
	UpdatedAt           time.Time     `json:"updated_at"`
}

// Zone is a zone of an account: "017 Front door".
type Zone struct {
	ID          int64     `json:"id"`
	AccountID   int64     `json:"account_id"`
	Number      string    `json:"number"`
	Description string    `json:"description"`
	Type        string    `json:"type"`
	CreatedBy   string    `json:"created_by"`
	UpdatedBy   string    `json:"updated_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// RespondingParty is one entry of a site's ordered call list.
type RespondingParty struct {
	ID       int64        `json:"id"`
	SiteID   int64        `json:"site_id"`
	Position int          `json:"position"` // 1 is called first
	Name     string       `json:"name"`
	Role     string       `json:"role"` // keyholder (the default), contact, guard (RoleGuard), …
	Phones   core.Strings `json:"phones"`
	// Passcode is write-only, like an account's key: nil keeps, "" removes.
	Passcode    *string `json:"passcode,omitempty"`
	HasPasscode bool    `json:"has_passcode"`
	// DuressPasscode, given to the operator, answers like the passcode and
	// raises a hold-up alarm; write-only as the passcode is.
	DuressPasscode    *string   `json:"duress_passcode,omitempty"`
	HasDuressPasscode bool      `json:"has_duress_passcode"`
	CreatedBy         string    `json:"created_by"`
	UpdatedBy         string    `json:"updated_by"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// AuthorityKinds are the agencies a site may have: police, fire and
// medical services, and guard (a guard or patrol company that responds to
// the site's alarms). The operator dispatches any of them with the
// incident step "dispatched".
var AuthorityKinds = []string{"police", "fire", "medical", "guard"}

// RoleGuard is the call-list role of a guard or patrol company the
// operator may send to the site (seed 000: "the operator sends the
// security guard or law enforcement officials").
const RoleGuard = "guard"

// Authority is the police, fire, medical or guard service for a site.
type Authority struct {
	ID        int64        `json:"id"`
	SiteID    int64        `json:"site_id"`
	Kind      string       `json:"kind"`
	Name      string       `json:"name"`
	Phones    core.Strings `json:"phones"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// NormaliseAccount trims and upper-cases an account number and checks it:
// 3–16 characters of 0-9 A-Z (design.md §4).
func NormaliseAccount(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 3 || len(s) > 16 {
		return "", errors.New("an account number has 3 to 16 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return "", fmt.Errorf("an account number has only 0-9 and A-Z, not %q", c)
		}
	}
	return s, nil
}

func (k *Kinds) newTables(db Engine, o Options) {
	k.Customers = New(db, o.Now, &Table[Customer]{
		Name: "customers", Label: "customer",
		Columns: []string{"parent_id", "name", "billing_name", "billing_email", "billing_phone", "report_email", "time_zone", "identifier",
			"identifier_key", "notes", "address"},
		Values: func(c *Customer) []any {
			return []any{c.ParentID, c.Name, c.BillingName, c.BillingEmail, c.BillingPhone, c.ReportEmail, c.TimeZone, c.Identifier,
				c.identKey, c.Notes, c.Address}
		},
		Scan: func(c *Customer) []any {
			return []any{&c.ID, &c.ParentID, &c.Name, &c.BillingName, &c.BillingEmail, &c.BillingPhone,
				&c.ReportEmail, &c.TimeZone, &c.Identifier, &c.identKey, &c.Notes, &c.Address, core.NanoTime{T: &c.CreatedAt}, core.NanoTime{T: &c.UpdatedAt}}
		},
		ID: func(c *Customer) *int64 { return &c.ID },
		Check: func(ctx context.Context, tx *sql.Tx, c, old *Customer) error {
			if err := core.Required("name", c.Name); err != nil {
				return err
			}
			var was *identFields
			if old != nil {
				was = &identFields{&old.Identifier, &old.identKey}
			}
			if err := assignIdentifier(ctx, tx, "customers", c.ID, identFields{&c.Identifier, &c.identKey}, was); err != nil {
				return err
			}
			if c.TimeZone != "" {
				if _, err := loadLocation(c.TimeZone); err != nil {
					return core.Invalid("time_zone", "%q is not an IANA time zone such as Europe/Berlin", c.TimeZone)
				}
			}
			if err := c.Address.normalise(); err != nil {
				return err
			}
			for _, addr := range strings.Split(c.ReportEmail, ",") {
				if addr = strings.TrimSpace(addr); addr != "" {
					if _, err := mail.ParseAddress(addr); err != nil {
						return core.Invalid("report_email", "%q is not an e-mail address", addr)
					}
				}
			}
			if c.ParentID == nil {
				return nil
			}
			if err := core.Exists(ctx, tx, "customers", *c.ParentID, "parent_id", "customer"); err != nil {
				return err
			}
			if old != nil {
				// A customer may not sit below itself: walk up from the new
				// parent and refuse if we meet the customer.
				var loops int
				err := tx.QueryRowContext(ctx, `WITH RECURSIVE up(id) AS (
					SELECT CAST(? AS bigint) UNION SELECT c.parent_id FROM customers c JOIN up ON c.id = up.id WHERE c.parent_id IS NOT NULL)
					SELECT count(*) FROM up WHERE id = ?`, *c.ParentID, c.ID).Scan(&loops)
				if err != nil {
					return err
				}
				if loops > 0 {
					return core.Invalid("parent_id", "customer %d cannot be placed below itself or its own descendant", c.ID)
				}
			}
			return nil
		},
		Filters: []string{"parent_id", "identifier"},
		FilterAs: map[string]func(string) (string, any){"identifier": identifierFilter,
			// parent_id=none lists the customers at the top of their trees.
			"parent_id": func(v string) (string, any) {
				if v == "none" {
					return "parent_id IS NULL AND ? = 0", 0
				}
				return "parent_id = ?", v
			}},
		Search: core.LikeAny("name", "billing_name", "identifier", "billing_email"),
		Stamps: func(c *Customer) (*time.Time, *time.Time) { return &c.CreatedAt, &c.UpdatedAt },
	})
	k.Installers = New(db, o.Now, &Table[Installer]{
		Name: "installers", Label: "installer",
		Columns: []string{"name", "phone", "email", "identifier", "identifier_key"},
		Values:  func(i *Installer) []any { return []any{i.Name, i.Phone, i.Email, i.Identifier, i.identKey} },
		Scan: func(i *Installer) []any {
			return []any{&i.ID, &i.Name, &i.Phone, &i.Email, &i.Identifier, &i.identKey, core.NanoTime{T: &i.CreatedAt}, core.NanoTime{T: &i.UpdatedAt}}
		},
		ID: func(i *Installer) *int64 { return &i.ID },
		Check: func(ctx context.Context, tx *sql.Tx, i, old *Installer) error {
			if err := core.Required("name", i.Name); err != nil {
				return err
			}
			var was *identFields
			if old != nil {
				was = &identFields{&old.Identifier, &old.identKey}
			}
			return assignIdentifier(ctx, tx, "installers", i.ID, identFields{&i.Identifier, &i.identKey}, was)
		},
		Filters:  []string{"identifier"},
		FilterAs: map[string]func(string) (string, any){"identifier": identifierFilter},
		Search:   core.LikeAny("name", "identifier", "phone", "email"),
		Stamps:   func(i *Installer) (*time.Time, *time.Time) { return &i.CreatedAt, &i.UpdatedAt },
	})
	k.Technicians = New(db, o.Now, &Table[Technician]{
		Name: "technicians", Label: "technician",
		Columns: []string{"installer_id", "name", "phone", "email"},
		Values:  func(t *Technician) []any { return []any{t.InstallerID, t.Name, t.Phone, t.Email} },
		Scan: func(t *Technician) []any {
			return []any{&t.ID, &t.InstallerID, &t.Name, &t.Phone, &t.Email, core.NanoTime{T: &t.CreatedAt}, core.NanoTime{T: &t.UpdatedAt}}
		},
		ID: func(t *Technician) *int64 { return &t.ID },
		Check: func(ctx context.Context, tx *sql.Tx, t, _ *Technician) error {
			if err := core.Required("name", t.Name); err != nil {
				return err
			}
			return core.Exists(ctx, tx, "installers", t.InstallerID, "installer_id", "installer")
		},
		Filters: []string{"installer_id"},
		Search:  core.LikeAny("name", "phone", "email"),
		Stamps:  func(t *Technician) (*time.Time, *time.Time) { return &t.CreatedAt, &t.UpdatedAt },
	})
	k.Sites = New(db, o.Now, &Table[Site]{
		Name: "sites", Label: "site",
		Columns: []string{"customer_id", "installer_id", "name", "address", "time_zone", "notes", "identifier", "identifier_key"},
		Values: func(x *Site) []any {
			return []any{x.CustomerID, x.InstallerID, x.Name, x.Address, x.TimeZone, x.Notes, x.Identifier, x.identKey}
		},
		Scan: func(x *Site) []any {
			return []any{&x.ID, &x.CustomerID, &x.InstallerID, &x.Name, &x.Address, &x.TimeZone, &x.Notes,
				&x.Identifier, &x.identKey, &x.CreatedBy, &x.UpdatedBy, core.NanoTime{T: &x.CreatedAt}, core.NanoTime{T: &x.UpdatedAt}}
		},
		By:       func(x *Site) (*string, *string) { return &x.CreatedBy, &x.UpdatedBy },
		ID:       func(x *Site) *int64 { return &x.ID },
		Check:    CheckSite,
		Filters:  []string{"customer_id", "installer_id", "identifier"},
		FilterAs: map[string]func(string) (string, any){"identifier": identifierFilter},
		// A site is found by its own fields, its customer's name and its
		// accounts' numbers: a clerk searching "Acme" wants Acme's stores.
		Search: core.LikeAny("name", "address", "identifier") +
			" OR customer_id IN (SELECT id FROM customers WHERE " + core.LikeAny("name") + ")" +
			" OR id IN (SELECT site_id FROM accounts WHERE " + core.LikeAny("number") + ")",
		Stamps: func(x *Site) (*time.Time, *time.Time) { return &x.CreatedAt, &x.UpdatedAt },
	})
	k.Accounts = New(db, o.Now, &Table[Account]{
		Name: "accounts", Label: "account",
		Columns: []string{"receiver", "number", "site_id", "system_type", "dc09_key", "dc09_key_format",
			"supervision_seconds", "test_seconds", "notes", "installer_id", "technician_id"},
		Values: func(a *Account) []any {
			key := ""
			if a.Key != nil {
				key = *a.Key
			}
			return []any{a.Receiver, a.Number, a.SiteID, a.SystemType, o.Secrets.Seal(AccountKey, key), a.KeyFormat,
				seconds(a.SupervisionInterval), seconds(a.TestInterval), a.Notes, a.InstallerID, a.TechnicianID}
		},
		Scan: func(a *Account) []any {
			a.Key = new(string)
			return []any{&a.ID, &a.Receiver, &a.Number, &a.SiteID, &a.SystemType, o.Secrets.Open(AccountKey, a.Key), &a.KeyFormat,
				secondsDuration{&a.SupervisionInterval}, secondsDuration{&a.TestInterval}, &a.Notes, &a.InstallerID, &a.TechnicianID,
				core.NanoTime{T: &a.CreatedAt}, core.NanoTime{T: &a.UpdatedAt}}
		},
		ID:      func(a *Account) *int64 { return &a.ID },
		Check:   k.CheckAccount,
		Filters: []string{"receiver", "number", "site_id", "system_type", "installer_id", "technician_id"},
		Search:  core.LikeAny("number") + " OR site_id IN (SELECT id FROM sites WHERE " + core.LikeAny("name") + ")",
		Redact: func(a *Account) {
			a.HasKey = a.Key != nil && *a.Key != ""
			a.Key = nil
			k.sentNumber(a)
		},
		Secrets:     []string{"dc09_key"},
		AfterCommit: o.AccountCommitted,
		Stamps:      func(a *Account) (*time.Time, *time.Time) { return &a.CreatedAt, &a.UpdatedAt },
	})
	k.Zones = New(db, o.Now, &Table[Zone]{
		Name: "zones", Label: "zone",
		Columns: []string{"account_id", "number", "description", "type"},
		Values:  func(z *Zone) []any { return []any{z.AccountID, z.Number, z.Description, z.Type} },
		Scan: func(z *Zone) []any {
			return []any{&z.ID, &z.AccountID, &z.Number, &z.Description, &z.Type, &z.CreatedBy, &z.UpdatedBy,
				core.NanoTime{T: &z.CreatedAt}, core.NanoTime{T: &z.UpdatedAt}}
		},
		By: func(z *Zone) (*string, *string) { return &z.CreatedBy, &z.UpdatedBy },
		ID: func(z *Zone) *int64 { return &z.ID },
		Check: func(ctx context.Context, tx *sql.Tx, z, old *Zone) error {
			z.Number = core.NormaliseZone(z.Number)
			if z.Number == "" {
				return core.Invalid("number", "is required")
			}
			if err := core.Required("description", z.Description); err != nil {
				return err
			}
			if err := core.Exists(ctx, tx, "accounts", z.AccountID, "account_id", "account"); err != nil {
				return err
			}
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM zones WHERE account_id = ? AND number = ? AND id <> ?`,
				z.AccountID, z.Number, z.ID).Scan(&other)
			if err == nil {
				return &core.ConflictError{Field: "number", Msg: fmt.Sprintf("zone %s of account %d already exists (zone id %d)", z.Number, z.AccountID, other)}
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			return nil
		},
		Filters: []string{"account_id"},
		Search:  core.LikeAny("number", "description"),
		Written: o.ZoneWritten,
		Stamps:  func(z *Zone) (*time.Time, *time.Time) { return &z.CreatedAt, &z.UpdatedAt },
	})
	k.RespondingParties = New(db, o.Now, &Table[RespondingParty]{
		Name: "responding_parties", Label: "responding party",
		Columns: []string{"site_id", "position", "name", "role", "phones", "passcode", "duress_passcode"},
		Values: func(p *RespondingParty) []any {
			code, duress := "", ""
			if p.Passcode != nil {
				code = *p.Passcode
			}
			if p.DuressPasscode != nil {
				duress = *p.DuressPasscode
			}
			return []any{p.SiteID, p.Position, p.Name, p.Role, p.Phones, o.Secrets.Seal(Passcode, code), o.Secrets.Seal(DuressPasscode, duress)}
		},
		Scan: func(p *RespondingParty) []any {
			p.Passcode, p.DuressPasscode = new(string), new(string)
			return []any{&p.ID, &p.SiteID, &p.Position, &p.Name, &p.Role, &p.Phones, o.Secrets.Open(Passcode, p.Passcode),
				o.Secrets.Open(DuressPasscode, p.DuressPasscode),
				&p.CreatedBy, &p.UpdatedBy, core.NanoTime{T: &p.CreatedAt}, core.NanoTime{T: &p.UpdatedAt}}
		},
		By: func(p *RespondingParty) (*string, *string) { return &p.CreatedBy, &p.UpdatedBy },
		ID: func(p *RespondingParty) *int64 { return &p.ID },
		Check: func(ctx context.Context, tx *sql.Tx, p, old *RespondingParty) error {
			if err := core.Required("name", p.Name); err != nil {
				return err
			}
			if p.Position < 1 {
				return core.Invalid("position", "must be 1 or more (1 is called first)")
			}
			if p.Role == "" {
				p.Role = "keyholder"
			}
			if err := o.Secrets.CheckNotSealed("passcode", p.Passcode); err != nil {
				return err
			}
			if err := o.Secrets.CheckNotSealed("duress_passcode", p.DuressPasscode); err != nil {
				return err
			}
			if old != nil && p.Passcode == nil {
				p.Passcode = old.Passcode
			}
			if old != nil && p.DuressPasscode == nil {
				p.DuressPasscode = old.DuressPasscode
			}
			if p.DuressPasscode != nil && *p.DuressPasscode != "" && p.Passcode != nil && *p.Passcode == *p.DuressPasscode {
				return core.Invalid("duress_passcode", "must differ from the passcode")
			}
			return core.Exists(ctx, tx, "sites", p.SiteID, "site_id", "site")
		},
		Filters: []string{"site_id"},
		Search:  core.LikeAny("name", "role"),
		Secrets: []string{"passcode", "duress_passcode"},
		Redact: func(p *RespondingParty) {
			p.HasPasscode = p.Passcode != nil && *p.Passcode != ""
			p.HasDuressPasscode = p.DuressPasscode != nil && *p.DuressPasscode != ""
			p.Passcode, p.DuressPasscode = nil, nil
		},
		Stamps: func(p *RespondingParty) (*time.Time, *time.Time) { return &p.CreatedAt, &p.UpdatedAt },
	})
	k.Authorities = New(db, o.Now, &Table[Authority]{
		Name: "authorities", Label: "authority",
		Columns: []string{"site_id", "kind", "name", "phones"},
		Values:  func(a *Authority) []any { return []any{a.SiteID, a.Kind, a.Name, a.Phones} },
		Scan: func(a *Authority) []any {
			return []any{&a.ID, &a.SiteID, &a.Kind, &a.Name, &a.Phones, core.NanoTime{T: &a.CreatedAt}, core.NanoTime{T: &a.UpdatedAt}}
		},
		ID: func(a *Authority) *int64 { return &a.ID },
		Check: func(ctx context.Context, tx *sql.Tx, a, _ *Authority) error {
			if err := core.OneOf("kind", a.Kind, AuthorityKinds); err != nil {
				return err
			}
			if err := core.Required("name", a.Name); err != nil {
				return err
			}
			return core.Exists(ctx, tx, "sites", a.SiteID, "site_id", "site")
		},
		Filters: []string{"site_id", "kind"},
		Search:  core.LikeAny("name"),
		Stamps:  func(a *Authority) (*time.Time, *time.Time) { return &a.CreatedAt, &a.UpdatedAt },
	})
}

// CheckSite validates and normalises a site inside the change's
// transaction (the import probes a row with it, as CheckContact).
func CheckSite(ctx context.Context, tx *sql.Tx, x, old *Site) error {
	if err := core.Required("name", x.Name); err != nil {
		return err
	}
	if x.TimeZone == "" {
		x.TimeZone = "UTC"
	}
	if _, err := loadLocation(x.TimeZone); err != nil {
		return core.Invalid("time_zone", "%q is not an IANA time zone such as Europe/Berlin", x.TimeZone)
	}
	if err := core.Exists(ctx, tx, "customers", x.CustomerID, "customer_id", "customer"); err != nil {
		return err
	}
	if x.InstallerID != nil {
		if err := core.Exists(ctx, tx, "installers", *x.InstallerID, "installer_id", "installer"); err != nil {
			return err
		}
	}
	var was *identFields
	if old != nil {
		was = &identFields{&old.Identifier, &old.identKey}
	}
	return assignIdentifier(ctx, tx, "sites", x.ID, identFields{&x.Identifier, &x.identKey}, was)
}

// IdentifierKey is the form identifiers are compared in: without space,
// tab, + - . ( ) and /, and upper-cased (ASCII letters only), so that
// "+1 312 555 0101", "1 (312) 555-0101" and "13125550101" are one
// identifier. Migration 0012 computes the same form in SQL.
func IdentifierKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(" \t+-.()/", c) >= 0:
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// identifierFilter makes a list filter on identifier compare keys. The
// term saying the key is not empty lets SQLite use the partial unique
// index on it (a bound value alone does not prove that).
func identifierFilter(v string) (string, any) {
	return "identifier_key = ? AND identifier_key <> ''", IdentifierKey(v)
}

// identFields points at a record's identifier and its key.
type identFields struct{ ident, key *string }

// assignIdentifier checks a record's identifier, unique across sites,
// customers and installers as IdentifierKey compares it (a portal log-in
// names exactly one of them), and sets its key. On create an empty
// identifier draws a random one; on update (was is the stored record) an
// empty one keeps the stored identifier, so that a change that leaves it
// out never locks the client's portal users out, and an unchanged one is
// not checked again.
func assignIdentifier(ctx context.Context, tx *sql.Tx, table string, id int64, rec identFields, was *identFields) error {
	*rec.ident = strings.TrimSpace(*rec.ident)
	if was != nil && (*rec.ident == "" || *rec.ident == *was.ident) && *was.ident != "" {
		*rec.ident, *rec.key = *was.ident, *was.key
		return nil
	}
	if *rec.ident == "" {
		v, err := freeIdentifier(ctx, tx)
		if err != nil {
			return err
		}
		*rec.ident = v
	}
	*rec.key = IdentifierKey(*rec.ident)
	if *rec.key == "" {
		return core.Invalid("identifier", "%q has no letter or digit", *rec.ident)
	}
	for _, t := range []string{"sites", "customers", "installers"} {
		var other int64
		var name, ident string
		err := tx.QueryRowContext(ctx, `SELECT id, name, identifier FROM `+t+` WHERE ((identifier_key = ? AND identifier_key <> '')
			OR (identifier = ? AND identifier <> '')) AND NOT (? = ? AND id = ?)`, *rec.key, *rec.ident, t, table, id).Scan(&other, &name, &ident)
		if err == nil {
			same := ""
			if ident != *rec.ident {
				same = fmt.Sprintf(" as %s (identifiers are compared without spaces and + - . ( ) /)", ident)
			}
			return &core.ConflictError{Field: "identifier", Msg: fmt.Sprintf("identifier %s is already used by %s %d (%s)%s",
				*rec.ident, strings.TrimSuffix(t, "s"), other, name, same)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// freeIdentifier draws a random 9-digit identifier no record holds yet.
func freeIdentifier(ctx context.Context, tx *sql.Tx) (string, error) {
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(900_000_000))
		if err != nil {
			return "", err
		}
		id := fmt.Sprint(100_000_000 + n.Int64())
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM sites WHERE identifier_key = ? AND identifier_key <> ''
			UNION SELECT 1 FROM customers WHERE identifier_key = ? AND identifier_key <> ''
			UNION SELECT 1 FROM installers WHERE identifier_key = ? AND identifier_key <> ''`, id, id, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("store: no free site identifier found")
}

// locations caches time zones: an import of thousands of sites names the
// same few.
var locations sync.Map

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// CheckAccount validates and normalises an account inside the change's
// transaction: its number by the receiver's prefix rule, its key, its
// site, installer and technician, and its uniqueness on the receiver.
func (k *Kinds) CheckAccount(ctx context.Context, tx *sql.Tx, a, old *Account) error {
	var prefix string
	var mode PrefixMode
	err := tx.QueryRowContext(ctx, `SELECT account_prefix, account_prefix_mode FROM receivers WHERE number = ?`, a.Receiver).
		Scan(&prefix, &mode)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Invalid("receiver", "receiver %d is not configured", a.Receiver)
	}
	if err != nil {
		return err
	}
	if a.Number, err = AccountNumber(a, old, prefix, mode); err != nil {
		return err
	}
	a.SentNumber = nil
	if a.SystemType == "" {
		a.SystemType = "intrusion"
	}
	if err := core.OneOf("system_type", a.SystemType, SystemTypes); err != nil {
		return err
	}
	if a.SupervisionInterval < 0 {
		return core.Invalid("supervision_interval", "must not be negative")
	}
	if a.TestInterval < 0 {
		return core.Invalid("test_interval", "must not be negative")
	}
	if old != nil && a.Key == nil {
		a.Key, a.KeyFormat = old.Key, old.KeyFormat
	}
	if err := k.secrets.CheckNotSealed("dc09_key", a.Key); err != nil {
		return err
	}
	if a.Key != nil && *a.Key != "" {
		if a.KeyFormat == "" {
			a.KeyFormat = "hex"
		}
		if _, err := dc09.ParseKey(*a.Key, a.KeyFormat); err != nil {
			// The message says what is wrong with the key, never the key.
			return core.Invalid("dc09_key", "%v", err)
		}
	} else {
		a.KeyFormat = ""
	}
	if err := core.Exists(ctx, tx, "sites", a.SiteID, "site_id", "site"); err != nil {
		return err
	}
	if err := checkInstaller(ctx, tx, a); err != nil {
		return err
	}
	var otherID, siteID int64
	var site string
	err = tx.QueryRowContext(ctx, `SELECT a.id, s.id, s.name FROM accounts a JOIN sites s ON s.id = a.site_id
		WHERE a.receiver = ? AND a.number = ? AND a.id <> ?`, a.Receiver, a.Number, a.ID).Scan(&otherID, &siteID, &site)
	if err == nil {
		return &core.ConflictError{Field: "number", Msg: fmt.Sprintf(
			"account %s is already in use on receiver %d by site %d (%s), account id %d", a.Number, a.Receiver, siteID, site, otherID)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// AccountNumber is the number an account is stored under, from Number or
// SentNumber as given (see Account), by the receiver's prefix rule.
func AccountNumber(a, old *Account, prefix string, mode PrefixMode) (string, error) {
	rule := fmt.Sprintf("receiver %d (prefix %s, account_prefix_mode %s)", a.Receiver, prefix, mode)
	hasSent := a.SentNumber != nil && strings.TrimSpace(*a.SentNumber) != ""
	hasNumber := strings.TrimSpace(a.Number) != ""
	sameReceiver := old != nil && a.Receiver == old.Receiver
	switch {
	case !hasSent && !hasNumber:
		if old == nil {
			return "", core.Invalid("number", "is required: the number as the receiver's senders send it")
		}
		if !sameReceiver && LacksPrefix(prefix, old.Number) {
			return "", core.Invalid("number", "account %s lacks the prefix %s of receiver %d: give its number as that receiver's senders send it",
				old.Number, prefix, a.Receiver)
		}
		return old.Number, nil // left out: unchanged
	case hasSent:
		number, err := bySentNumber("sent_number", *a.SentNumber, prefix, mode, rule)
		if err != nil || !hasNumber {
			return number, err
		}
		given, err := NormaliseAccount(a.Number)
		switch {
		case err != nil:
			return "", core.Invalid("number", "%v", err)
		case given == number:
			return number, nil
		case sameReceiver && number == old.Number:
			// A record read, its number changed and written back: the
			// changed number is the stored one, sent_number the old one.
			return storedNumber(given, prefix, mode, rule)
		}
		return "", core.Invalid("number", "number %s and sent_number %s disagree: on %s, sent_number %s is account %s",
			a.Number, *a.SentNumber, rule, *a.SentNumber, number)
	}
	number, err := bySentNumber("number", a.Number, prefix, mode, rule)
	if err != nil {
		return "", err
	}
	if sent, _ := NormaliseAccount(a.Number); sameReceiver && sent == old.Number && number != sent {
		// The account's stored number sent back alone (a record read and
		// written again), which the rule would prefix once more.
		return "", core.Invalid("number", "%s is this account's number as stored; read as its senders send it, on %s it would "+
			"become %s. Leave number out to keep it, or send sent_number with it", sent, rule, number)
	}
	return number, nil
}

// bySentNumber makes the stored number of a number as senders send it.
func bySentNumber(field, given, prefix string, mode PrefixMode, rule string) (string, error) {
	sent, err := NormaliseAccount(given)
	if err != nil {
		return "", core.Invalid(field, "%v", err)
	}
	number := ApplyPrefix(prefix, mode, sent)
	switch {
	case len(number) > 16:
		return "", core.Invalid(field, "on %s, %s is account %s: more than 16 characters", rule, sent, number)
	case LacksPrefix(prefix, number):
		return "", core.Invalid(field, "the senders of receiver %s send its prefix with their numbers: %s lacks %s, and no signal would carry it",
			rule, sent, prefix)
	}
	return number, nil
}

// storedNumber checks a number given as stored: it carries the prefix and,
// with add, what follows it is a number senders can send.
func storedNumber(number, prefix string, mode PrefixMode, rule string) (string, error) {
	if LacksPrefix(prefix, number) {
		return "", core.Invalid("number", "on %s every account starts with the prefix: %s lacks %s", rule, number, prefix)
	}
	if mode == PrefixAdd && prefix != "" {
		if _, err := NormaliseAccount(number[len(prefix):]); err != nil {
			return "", core.Invalid("number", "on %s, account %s would be reached by senders sending %q: %v", rule, number, number[len(prefix):], err)
		}
	}
	return number, nil
}
