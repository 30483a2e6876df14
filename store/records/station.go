package records

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Kinds are the station's record kinds (design.md §4), each a Records of
// its table, and the receivers' prefix rules that accounts are numbered by.
type Kinds struct {
	Customers         *Records[Customer]
	Installers        *Records[Installer]
	Technicians       *Records[Technician]
	Sites             *Records[Site]
	Accounts          *Records[Account]
	Zones             *Records[Zone]
	RespondingParties *Records[RespondingParty]
	Authorities       *Records[Authority]
	// CustomerContacts are the people of a customer: billing, HQ viewers,
	// morning report recipients.
	CustomerContacts *Records[CustomerContact]

	db      Engine
	rdb     core.Reader
	now     func() time.Time
	secrets Secrets
	rules   atomic.Pointer[map[int]prefixRule] // receivers' account prefix rules
}

// Secret names a column of write-only secrets, which the store may seal at
// rest.
type Secret int

// The secret columns.
const (
	AccountKey     Secret = iota // accounts.dc09_key
	Passcode                     // responding_parties.passcode
	DuressPasscode               // responding_parties.duress_passcode
)

// Secrets seal and open the secret columns as the store keeps them at
// rest: the kinds write what Seal returns and scan through Open.
type Secrets interface {
	// Seal returns v as it is stored in column c.
	Seal(c Secret, v string) string
	// Open returns the scan destination that opens a stored value of
	// column c into dst.
	Open(c Secret, dst *string) sql.Scanner
	// CheckNotSealed refuses a value given for field that would read as
	// sealed.
	CheckNotSealed(field string, v *string) error
}

// Options are what the kinds are told by the assembly.
type Options struct {
	Now     func() time.Time // required
	Secrets Secrets          // required
	// AccountCommitted (nil: nothing) runs on the writer after an account
	// change committed, in commit order: the account index follows it.
	AccountCommitted func(old, a *Account)
	// ZoneWritten (nil: nothing) runs in a zone change's transaction once
	// the row is written: a programmed zone leaves the unprogrammed ones.
	ZoneWritten func(ctx context.Context, tx *sql.Tx, old, z *Zone) error
}

// NewKinds returns the record kinds kept by db.
func NewKinds(db Engine, o Options) *Kinds {
	k := &Kinds{db: db, rdb: db.Read(), now: o.Now, secrets: o.Secrets}
	k.newTables(db, o)
	k.newContactTable(db, o)
	return k
}

// Clone copies an account, its key included, without its sent number.
func (a *Account) Clone() *Account {
	c := *a
	if a.Key != nil {
		k := *a.Key
		c.Key = &k
	}
	c.SentNumber = nil
	return &c
}

// secondsDuration scans an integer seconds column into a Duration.
type secondsDuration struct{ d *core.Duration }

func (s secondsDuration) Scan(v any) error {
	x, ok := v.(int64)
	if !ok {
		return fmt.Errorf("store: seconds column holds %T", v)
	}
	*s.d = core.Duration(time.Duration(x) * time.Second)
	return nil
}

func seconds(d core.Duration) int64 { return int64(time.Duration(d) / time.Second) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
