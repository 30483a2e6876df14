package records_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/records"
)

// zonePeriod is an on-test period of some zones, open until a time.
type zonePeriod struct {
	zones []string
	until time.Time
}

func (p zonePeriod) Covers(_ protocols.Category, zone string, at time.Time) bool {
	for _, z := range p.zones {
		if z == zone && at.Before(p.until) {
			return true
		}
	}
	return false
}

// firePeriod covers fire events, by the category the account's system type
// makes of them.
type firePeriod struct{}

func (firePeriod) Covers(cat protocols.Category, _ string, _ time.Time) bool {
	return cat == protocols.CategoryFire
}

// TestIndexResolvesAndFollowsChanges: the index loads every account with
// its key opened through Secrets (a key that does not parse is told and
// its account still resolves), resolves by receiver and stored number
// with the system type and the normalised zone, finds the first open
// period that covers an event (a generic alarm of a fire system counts as
// fire), and follows account changes and periods started and ended.
func TestIndexResolvesAndFollowsChanges(t *testing.T) {
	storetest.ForEachDialect(t, testIndexResolvesAndFollowsChanges)
}

func testIndexResolvesAndFollowsChanges(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	const key = "000102030405060708090A0B0C0D0E0F"
	a := &records.Account{Receiver: 1, Number: "1234", SiteID: f.site.ID, Key: ptr(key)}
	must(t, f.k.Accounts.Create(ctx, a))
	b := &records.Account{Receiver: 2, Number: "1234", SiteID: f.site2.ID, SystemType: "fire"}
	must(t, f.k.Accounts.Create(ctx, b))
	c := &records.Account{Receiver: 1, Number: "9999", SiteID: f.site.ID}
	must(t, f.k.Accounts.Create(ctx, c))
	// A key written by hand, past the checks.
	must(t, f.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET dc09_key = ?, dc09_key_format = 'hex' WHERE id = ?`, mark+"0:0011", c.ID)
		return err
	}))
	var unusable []int64
	idx, err := f.k.LoadIndex(ctx, func(id int64, err error) { unusable = append(unusable, id) })
	must(t, err)
	if idx.AccountCount() != 3 || len(unusable) != 1 || unusable[0] != c.ID {
		t.Fatalf("loaded %d accounts, unusable keys %v", idx.AccountCount(), unusable)
	}
	if k, ok := idx.AccountKey(1, "1234"); !ok || k.IsZero() {
		t.Fatal("the key of 1/1234 is not in the index")
	}
	if _, ok := idx.AccountKey(1, "9999"); ok {
		t.Fatal("an unusable key is in the index")
	}
	if !idx.Resolve(1, "9999", nil, f.clock.Now()).Known() {
		t.Fatal("an account with an unusable key does not resolve")
	}
	now := f.clock.Now()
	burglary := &protocols.Event{Code: "BA", Zone: "017", Category: protocols.CategoryBurglary}
	if r := idx.Resolve(1, "1234", burglary, now); r.AccountID != a.ID || r.SiteID != f.site.ID || r.Zone != "17" ||
		r.SystemType != "intrusion" || r.OnTestID != 0 {
		t.Fatalf("resolve 1/1234 = %+v", r)
	}
	if r := idx.Resolve(2, "1234", nil, now); r.Known() {
		t.Fatalf("2/1234 resolves, but the account is ABC1234: %+v", r)
	}
	idx.TestStarted(a.ID, 7, zonePeriod{zones: []string{"18"}, until: now.Add(time.Hour)})
	idx.TestStarted(a.ID, 8, zonePeriod{zones: []string{"17"}, until: now.Add(time.Hour)})
	idx.TestStarted(b.ID, 9, firePeriod{})
	if r := idx.Resolve(1, "1234", burglary, now); r.OnTestID != 8 {
		t.Fatalf("zone 017 on test: %+v", r)
	}
	if r := idx.Resolve(1, "1234", burglary, now.Add(2*time.Hour)); r.OnTestID != 0 {
		t.Fatalf("after its period: %+v", r)
	}
	if r := idx.Resolve(2, "ABC1234", burglary, now); r.OnTestID != 9 || r.SystemType != "fire" {
		t.Fatalf("a generic alarm of a fire system is fire: %+v", r)
	}
	idx.TestEnded(a.ID, 8)
	if r := idx.Resolve(1, "1234", burglary, now); r.OnTestID != 0 {
		t.Fatalf("ended period still covers: %+v", r)
	}
	// Renumbered, the account moves; deleted, it is gone with its periods.
	old := *a
	moved := old
	moved.Number, moved.Key = "1235", nil
	idx.AccountChanged(&old, &moved)
	if idx.Resolve(1, "1234", nil, now).Known() || !idx.Resolve(1, "1235", nil, now).Known() {
		t.Fatal("renumbered account not moved")
	}
	if _, ok := idx.AccountKey(1, "1235"); ok {
		t.Fatal("the account lost its key, the index did not")
	}
	idx.AccountChanged(&moved, nil)
	if idx.Resolve(1, "1235", nil, now).Known() || idx.AccountCount() != 2 {
		t.Fatal("deleted account still resolves")
	}
	idx.AccountChanged(nil, &moved)
	if r := idx.Resolve(1, "1235", &protocols.Event{Zone: "18"}, now); r.OnTestID != 0 {
		t.Fatalf("a deleted account's periods came back with it: %+v", r)
	}
}
