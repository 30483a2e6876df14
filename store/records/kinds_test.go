package records_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/records"
)

// markedSecrets stands for secrets at rest: a value is stored with a mark
// in front, which Open takes off, so that a test sees that the kinds write
// and read their secret columns only through the hook.
type markedSecrets struct{}

const mark = "sealed:"

func (markedSecrets) Seal(c records.Secret, v string) string {
	if v == "" {
		return v
	}
	return fmt.Sprintf("%s%d:%s", mark, c, v)
}

func (markedSecrets) Open(c records.Secret, dst *string) sql.Scanner { return openMarked{c, dst} }

func (markedSecrets) CheckNotSealed(field string, v *string) error {
	if v != nil && strings.HasPrefix(*v, mark) {
		return core.Invalid(field, "must not begin with %q", mark)
	}
	return nil
}

type openMarked struct {
	c   records.Secret
	dst *string
}

func (o openMarked) Scan(v any) error {
	s, _ := v.(string)
	if b, ok := v.([]byte); ok {
		s = string(b)
	}
	*o.dst = strings.TrimPrefix(s, fmt.Sprintf("%s%d:", mark, o.c))
	return nil
}

// kindsFixture is the record kinds on an engine with two receivers (2 has
// prefix ABC), a customer tree HQ → region → branch and two sites, as the
// store's own record tests have them.
type kindsFixture struct {
	db          storetest.Engine
	k           *records.Kinds
	clock       *storetest.Clock
	site, site2 *records.Site
	storetest.Calls
}

func newKindsFixture(t *testing.T, d core.Dialect) *kindsFixture {
	t.Helper()
	ctx := context.Background()
	f := &kindsFixture{clock: storetest.NewClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))}
	f.db = storetest.StartEngine(t, storetest.NewPlace(t, d), d, store.MigrationsFor(d), noBatches{})
	f.k = records.NewKinds(f.db, records.Options{
		Now: f.clock.Now, Secrets: markedSecrets{},
		AccountCommitted: func(old, a *records.Account) {
			switch {
			case old == nil:
				f.Hook("account created " + a.Number)
			case a == nil:
				f.Hook("account deleted " + old.Number)
			default:
				f.Hook("account " + old.Number + " → " + a.Number)
			}
		},
		ZoneWritten: func(_ context.Context, tx *sql.Tx, _, z *records.Zone) error {
			if z != nil {
				f.Hook("zone written " + z.Number)
			}
			return nil
		},
	})
	// The receivers as the store's SyncReceivers writes them.
	must(t, f.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO receivers (number, name, account_prefix, account_prefix_mode) VALUES (?,?,?,?), (?,?,?,?)`,
			1, "IP 1", "", records.PrefixAdd, 2, "Cloud", "ABC", records.PrefixAdd)
		return err
	}))
	must(t, f.k.LoadRules(ctx))
	hq := &records.Customer{Name: "Bank HQ"}
	must(t, f.k.Customers.Create(ctx, hq))
	region := &records.Customer{Name: "Bank North", ParentID: &hq.ID}
	must(t, f.k.Customers.Create(ctx, region))
	branch := &records.Customer{Name: "Branch 7", ParentID: &region.ID}
	must(t, f.k.Customers.Create(ctx, branch))
	f.site = &records.Site{CustomerID: branch.ID, Name: "Branch 7 Main St", TimeZone: "Europe/Berlin", Identifier: "+4930123456"}
	must(t, f.k.Sites.Create(ctx, f.site))
	f.site2 = &records.Site{CustomerID: region.ID, Name: "North depot"}
	must(t, f.k.Sites.Create(ctx, f.site2))
	return f
}

func ptr[T any](v T) *T { return &v }

func TestApplyPrefixIsARule(t *testing.T) {
	for _, c := range []struct {
		prefix string
		mode   records.PrefixMode
		sent   string
		want   string
	}{
		{"9", records.PrefixAdd, "123", "9123"},
		{"9", records.PrefixAdd, "9123", "99123"}, // never guessed from the first characters
		{"9", "", "9123", "99123"},                // add is the default
		{"9", records.PrefixExpect, "9123", "9123"},
		{"9", records.PrefixExpect, "123", "123"}, // stored as sent; matches no account
		{"", records.PrefixAdd, "123", "123"},
		{"ABC", records.PrefixAdd, "", ""},
	} {
		if got := records.ApplyPrefix(c.prefix, c.mode, c.sent); got != c.want {
			t.Errorf("ApplyPrefix(%q, %q, %q) = %q, want %q", c.prefix, c.mode, c.sent, got, c.want)
		}
		if sent, ok := records.SentNumber(c.prefix, c.mode, c.want); c.want != "" && (!ok || sent != c.sent) {
			t.Errorf("SentNumber(%q, %q, %q) = %q %v, want %q", c.prefix, c.mode, c.want, sent, ok, c.sent)
		}
	}
	if _, ok := records.SentNumber("9", records.PrefixAdd, "123"); ok {
		t.Error("with add, no sent number reaches an account without the prefix")
	}
	if _, err := records.ParsePrefixMode("guess"); err == nil {
		t.Error("a mode that is neither add nor expect")
	}
}

// TestIdentifierKeyMatchesTheMigration: the key Go computes is the key
// migration 0012 computed in SQL for identifiers stored before it.
func TestIdentifierKeyMatchesTheMigration(t *testing.T) {
	storetest.ForEachDialect(t, testIdentifierKeyMatchesTheMigration)
}

func testIdentifierKeyMatchesTheMigration(t *testing.T, d core.Dialect) {
	if storetest.IsPostgres(d) {
		t.Skip("migration 0012 is SQLite's: a PostgreSQL database starts at the baseline, with no identifiers to convert")
	}
	f := newKindsFixture(t, d)
	for _, v := range []string{"+1 312 555 0101", "1 (312) 555-0101", "1.312.555/0101", "acme-01", "Ünïcode 1", "\t42 ", "a_b#c"} {
		var sqlKey string
		err := f.db.Read().QueryRowContext(context.Background(), `SELECT upper(replace(replace(replace(replace(replace(replace(replace(replace(
			?, ' ', ''), char(9), ''), '+', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''))`, v).Scan(&sqlKey)
		must(t, err)
		if got := records.IdentifierKey(v); got != sqlKey {
			t.Errorf("IdentifierKey(%q) = %q, SQL %q", v, got, sqlKey)
		}
	}
	if records.IdentifierKey("+1 312 555 0101") != "13125550101" {
		t.Fatal("punctuation kept")
	}
}

// TestUpdateWithoutIdentifierKeepsIt: an update that leaves the identifier
// out keeps it, for sites, customers and installers.
func TestUpdateWithoutIdentifierKeepsIt(t *testing.T) {
	storetest.ForEachDialect(t, testUpdateWithoutIdentifierKeepsIt)
}

func testUpdateWithoutIdentifierKeepsIt(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	site := *f.site
	site.Identifier, site.Notes = "", "new notes"
	must(t, f.k.Sites.Update(ctx, site.ID, &site))
	if site.Identifier != f.site.Identifier {
		t.Fatalf("site identifier %q, was %q", site.Identifier, f.site.Identifier)
	}
	cs, err := f.k.Customers.List(ctx, records.ListOptions{})
	must(t, err)
	c := cs[0]
	c.Identifier = ""
	must(t, f.k.Customers.Update(ctx, c.ID, &c))
	if c.Identifier != cs[0].Identifier {
		t.Fatalf("customer identifier %q, was %q", c.Identifier, cs[0].Identifier)
	}
	inst := &records.Installer{Name: "Secure Ltd", Identifier: "555 0100"}
	must(t, f.k.Installers.Create(ctx, inst))
	inst.Identifier = ""
	must(t, f.k.Installers.Update(ctx, inst.ID, inst))
	if inst.Identifier != "555 0100" {
		t.Fatalf("installer identifier %q", inst.Identifier)
	}
	// A punctuation-only identifier names nothing.
	if err := f.k.Installers.Create(ctx, &records.Installer{Name: "X", Identifier: "+ - ()"}); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("punctuation only: %v", err)
	}
}

func TestAccountValidation(t *testing.T) { storetest.ForEachDialect(t, testAccountValidation) }

func testAccountValidation(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	cases := []struct {
		name  string
		acct  records.Account
		field string
	}{
		{"too short", records.Account{Receiver: 1, Number: "12", SiteID: f.site.ID}, "number"},
		{"too long", records.Account{Receiver: 1, Number: "12345678901234567", SiteID: f.site.ID}, "number"},
		{"bad char", records.Account{Receiver: 1, Number: "12-34", SiteID: f.site.ID}, "number"},
		{"prefix makes it too long", records.Account{Receiver: 2, Number: "1234567890123456", SiteID: f.site.ID}, "number"},
		{"no receiver", records.Account{Receiver: 9, Number: "1234", SiteID: f.site.ID}, "receiver"},
		{"no site", records.Account{Receiver: 1, Number: "1234", SiteID: 999}, "site_id"},
		{"system type", records.Account{Receiver: 1, Number: "1234", SiteID: f.site.ID, SystemType: "toaster"}, "system_type"},
		{"bad key", records.Account{Receiver: 1, Number: "1234", SiteID: f.site.ID, Key: ptr("00112233")}, "dc09_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := f.k.Accounts.Create(ctx, &c.acct)
			var fe *core.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("got %v, want a field error on %s", err, c.field)
			}
		})
	}
}

func TestCustomersNestWithoutLoopsAndReferencesHold(t *testing.T) {
	storetest.ForEachDialect(t, testCustomersNestWithoutLoopsAndReferencesHold)
}

func testCustomersNestWithoutLoopsAndReferencesHold(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	list, err := f.k.Customers.List(ctx, records.ListOptions{})
	must(t, err)
	hq, branch := list[0], list[2]
	hq.ParentID = &branch.ID
	var fe *core.FieldError
	if err := f.k.Customers.Update(ctx, hq.ID, &hq); !errors.As(err, &fe) || fe.Field != "parent_id" {
		t.Fatalf("HQ below its own branch: %v", err)
	}
	if err := f.k.Customers.Delete(ctx, branch.ID); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("deleting a customer with a site: %v", err)
	}
	children, err := f.k.Customers.List(ctx, records.ListOptions{Where: map[string]any{"parent_id": hq.ID}})
	must(t, err)
	if len(children) != 1 || children[0].Name != "Bank North" {
		t.Fatalf("children of HQ: %+v", children)
	}
	if f.site2.Identifier == "" || len(f.site2.Identifier) != 9 {
		t.Fatalf("site without phone got identifier %q, want 9 random digits", f.site2.Identifier)
	}
	dup := &records.Site{CustomerID: hq.ID, Name: "Copy", Identifier: f.site.Identifier}
	if err := f.k.Sites.Create(ctx, dup); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("duplicate identifier: %v", err)
	}
	if err := f.k.Sites.Create(ctx, &records.Site{CustomerID: hq.ID, Name: "X", TimeZone: "Mars/Olympus"}); !errors.As(err, &fe) || fe.Field != "time_zone" {
		t.Fatalf("bad time zone: %v", err)
	}
}

// TestKindsFollowTheirHooks: the account key and the passcode are stored
// as Secrets seals them and read back through it, a value that would read
// as sealed is refused, the sent number follows the receiver's rule, and
// every committed account change reaches AccountCommitted, in commit
// order, as a written zone reaches ZoneWritten.
func TestKindsFollowTheirHooks(t *testing.T) { storetest.ForEachDialect(t, testKindsFollowTheirHooks) }

func testKindsFollowTheirHooks(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	const key = "000102030405060708090A0B0C0D0E0F"
	a := &records.Account{Receiver: 2, Number: "1234", SiteID: f.site.ID, Key: ptr(key)}
	must(t, f.k.Accounts.Create(ctx, a))
	if a.Key != nil || !a.HasKey || a.Number != "ABC1234" || a.SentNumber == nil || *a.SentNumber != "1234" {
		t.Fatalf("created %+v", a)
	}
	var stored string
	must(t, f.db.Read().QueryRowContext(context.Background(), `SELECT dc09_key FROM accounts WHERE id = ?`, a.ID).Scan(&stored))
	if stored != mark+"0:"+key {
		t.Fatalf("stored key %q, want it sealed by the hook", stored)
	}
	var fe *core.FieldError
	if err := f.k.Accounts.Create(ctx, &records.Account{Receiver: 1, Number: "777", SiteID: f.site.ID, Key: ptr(mark + key)}); !errors.As(err, &fe) || fe.Field != "dc09_key" {
		t.Fatalf("a key that reads as sealed: %v", err)
	}
	a.Number, a.SentNumber = "", ptr("1235")
	must(t, f.k.Accounts.Update(ctx, a.ID, a))
	must(t, f.k.Accounts.Delete(ctx, a.ID))
	p := &records.RespondingParty{SiteID: f.site.ID, Position: 1, Name: "Dana", Passcode: ptr("4711")}
	must(t, f.k.RespondingParties.Create(ctx, p))
	must(t, f.db.Read().QueryRowContext(context.Background(), `SELECT passcode FROM responding_parties WHERE id = ?`, p.ID).Scan(&stored))
	if stored != mark+"1:4711" || p.Passcode != nil || !p.HasPasscode {
		t.Fatalf("stored passcode %q, party %+v", stored, p)
	}
	b := &records.Account{Receiver: 1, Number: "5678", SiteID: f.site.ID}
	must(t, f.k.Accounts.Create(ctx, b))
	must(t, f.k.Zones.Create(ctx, &records.Zone{AccountID: b.ID, Number: "017", Description: "Front door"}))
	want := []string{"account created ABC1234", "account ABC1234 → ABC1235", "account deleted ABC1235", "account created 5678", "zone written 17"}
	if got := f.Called(); !slices.Equal(got, want) {
		t.Fatalf("hooks %q, want %q", got, want)
	}
}
