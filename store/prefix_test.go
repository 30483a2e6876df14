package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestStartupWarnsAboutAccountsTheRuleLeavesInDoubt: accounts stored
// before the rule (by the guess that put the prefix in front of numbers
// lacking it, or under another prefix) are named at start-up: 9123 and
// 99123 both stored with add and prefix 9, and accounts without the prefix.
func TestStartupWarnsAboutAccountsTheRuleLeavesInDoubt(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Logger: zap.New(core), Registerer: prometheus.NewRegistry()})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP"}}))
	c := &Customer{Name: "C"}
	must(t, s.Customers.Create(ctx, c))
	site := &Site{CustomerID: c.ID, Name: "S"}
	must(t, s.Sites.Create(ctx, site))
	for _, n := range []string{"9123", "99123", "9555", "1234", "5678"} {
		must(t, s.Accounts.Create(ctx, &Account{Receiver: 1, Number: n, SiteID: site.ID}))
	}
	logs.TakeAll()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP", AccountPrefix: "9", AccountPrefixMode: PrefixAdd}}))
	lack := logs.FilterMessageSnippet("lack its account prefix").All()
	if len(lack) != 1 || fmt.Sprint(lack[0].ContextMap()["accounts"]) != "[1234 5678]" || lack[0].ContextMap()["count"] != int64(2) {
		t.Fatalf("accounts without the prefix: %+v", lack)
	}
	pairs := logs.FilterMessageSnippet("repeated account prefix").All()
	if len(pairs) != 1 || fmt.Sprint(pairs[0].ContextMap()["accounts"]) != "[9123 and 99123]" {
		t.Fatalf("pairs: %+v", pairs)
	}
	// With expect the pair is no doubt (each number is taken as sent);
	// accounts without the prefix still are.
	logs.TakeAll()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP", AccountPrefix: "9", AccountPrefixMode: PrefixExpect}}))
	if n := logs.FilterMessageSnippet("repeated account prefix").Len(); n != 0 {
		t.Fatalf("pair warning with expect: %d", n)
	}
	if all := logs.FilterMessageSnippet("lack its account prefix").All(); len(all) != 1 ||
		all[0].ContextMap()["account_prefix_mode"] != "expect" {
		t.Fatalf("expect: %+v", all)
	}
	rs, err := s.Receivers(ctx)
	must(t, err)
	if rs[0].AccountPrefixMode != PrefixExpect {
		t.Fatalf("receivers %+v", rs)
	}
}

// TestAccountsAPIFollowsThePrefixRule: at the store, a number given is
// read as sent and the receiver's rule makes the stored number; the key
// lookup of the daemon finds the account by the same rule.
func TestAccountsAPIFollowsThePrefixRule(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	must(t, f.s.SyncReceivers(ctx, []Receiver{{Number: 3, Name: "Panels", AccountPrefix: "9", AccountPrefixMode: PrefixAdd},
		{Number: 4, Name: "Cloud", AccountPrefix: "9", AccountPrefixMode: PrefixExpect}}))
	const key = "000102030405060708090A0B0C0D0E0F"
	a := &Account{Receiver: 3, Number: "123", SiteID: f.site.ID, Key: ptr(key)}
	b := &Account{Receiver: 3, Number: "9123", SiteID: f.site2.ID}
	must(t, f.s.Accounts.Create(ctx, a))
	must(t, f.s.Accounts.Create(ctx, b))
	if a.Number != "9123" || b.Number != "99123" {
		t.Fatalf("add: %s, %s", a.Number, b.Number)
	}
	if _, ok := f.s.AccountKey(3, ApplyPrefix("9", PrefixAdd, "123")); !ok {
		t.Fatal("panel 123's key not found by the rule")
	}
	if _, ok := f.s.AccountKey(3, ApplyPrefix("9", PrefixAdd, "9123")); ok {
		t.Fatal("panel 9123 found panel 123's key")
	}
	for sent, want := range map[string]int64{"123": a.ID, "9123": b.ID} {
		got, err := f.s.FindAccount(ctx, 3, sent)
		must(t, err)
		if got.ID != want {
			t.Errorf("FindAccount(3, %s) = %d, want %d", sent, got.ID, want)
		}
	}
	c := &Account{Receiver: 4, Number: "9123", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, c))
	if c.Number != "9123" {
		t.Fatalf("expect: %s", c.Number)
	}
	err := f.s.Accounts.Create(ctx, &Account{Receiver: 4, Number: "123", SiteID: f.site.ID})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "number" {
		t.Fatalf("123 on expect: %v", err)
	}
	// An update that leaves the number out keeps it.
	got, err := f.s.Accounts.Get(ctx, a.ID)
	must(t, err)
	got.Number, got.SentNumber, got.Notes = "", nil, "note"
	must(t, f.s.Accounts.Update(ctx, a.ID, got))
	if got.Number != "9123" || *got.SentNumber != "123" {
		t.Fatalf("update without number: %+v", got)
	}
}
