package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// fakeClock is a settable clock for on-test expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordsFixture is a store with two receivers (2 has prefix ABC), a
// customer tree HQ → region → store and one site.
type recordsFixture struct {
	s     *Store
	clock *fakeClock
	site  *Site
	site2 *Site
}

func newRecordsFixture(t *testing.T, edits ...func(*Options)) *recordsFixture {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	opts := Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Now: clock.Now}
	for _, e := range edits {
		e(&opts)
	}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP 1"}, {Number: 2, Name: "Cloud", AccountPrefix: "ABC"}}))
	hq := &Customer{Name: "Bank HQ"}
	must(t, s.Customers.Create(ctx, hq))
	region := &Customer{Name: "Bank North", ParentID: &hq.ID}
	must(t, s.Customers.Create(ctx, region))
	branch := &Customer{Name: "Branch 7", ParentID: &region.ID}
	must(t, s.Customers.Create(ctx, branch))
	site := &Site{CustomerID: branch.ID, Name: "Branch 7 Main St", TimeZone: "Europe/Berlin", Identifier: "+4930123456"}
	must(t, s.Sites.Create(ctx, site))
	site2 := &Site{CustomerID: region.ID, Name: "North depot"}
	must(t, s.Sites.Create(ctx, site2))
	return &recordsFixture{s: s, clock: clock, site: site, site2: site2}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccountNumbersAreUniquePerReceiver(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	a := &Account{Receiver: 1, Number: " 1234 ", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, a))
	if a.Number != "1234" || a.SystemType != "intrusion" {
		t.Fatalf("stored %+v", a)
	}
	// The same number on receiver 1 again, for another site: refused, and
	// the error names the site that holds it.
	err := f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "1234", SiteID: f.site2.ID})
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Field != "number" {
		t.Fatalf("duplicate on receiver 1: %v", err)
	}
	if !strings.Contains(ce.Msg, "Branch 7 Main St") || !strings.Contains(ce.Msg, "receiver 1") {
		t.Fatalf("conflict does not name the site: %q", ce.Msg)
	}
	// Lower case normalises to the same number.
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "beef", SiteID: f.site.ID}))
	if err := f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "BEEF", SiteID: f.site2.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("BEEF after beef: %v", err)
	}
	// On receiver 2 the prefix rule applies (add, the default): 1234 is
	// account ABC1234, and abc1234, as a panel would send it, is account
	// ABCABC1234: the prefix is put in front by rule, not guessed from the
	// number.
	b := &Account{Receiver: 2, Number: "1234", SiteID: f.site2.ID}
	must(t, f.s.Accounts.Create(ctx, b))
	if b.Number != "ABC1234" || b.SentNumber == nil || *b.SentNumber != "1234" {
		t.Fatalf("receiver 2 number %q (sent %v), want ABC1234 (1234)", b.Number, b.SentNumber)
	}
	c := &Account{Receiver: 2, Number: "abc1234", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, c))
	if c.Number != "ABCABC1234" {
		t.Fatalf("abc1234 on receiver 2 is %q, want ABCABC1234", c.Number)
	}
	// The same number sent again is the same account.
	if err := f.s.Accounts.Create(ctx, &Account{Receiver: 2, SentNumber: ptr("1234"), SiteID: f.site.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("1234 twice on receiver 2: %v", err)
	}
	// Resolution finds each on its own receiver only.
	if r := f.s.Resolve(1, "1234", nil, f.clock.Now()); r.AccountID != a.ID || r.SiteID != f.site.ID {
		t.Fatalf("resolve 1/1234 = %+v", r)
	}
	if r := f.s.Resolve(2, "ABC1234", nil, f.clock.Now()); r.AccountID != b.ID {
		t.Fatalf("resolve 2/ABC1234 = %+v", r)
	}
	if r := f.s.Resolve(2, "1234", nil, f.clock.Now()); r.Known() {
		t.Fatalf("2/1234 must not resolve (prefix is applied before lookup): %+v", r)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAccountKeyIsWriteOnlyAndIndexed(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	const key = "000102030405060708090A0B0C0D0E0F"
	a := &Account{Receiver: 1, Number: "5678", SiteID: f.site.ID, Key: ptr(key)}
	must(t, f.s.Accounts.Create(ctx, a))
	if a.Key != nil || !a.HasKey || a.KeyFormat != "hex" {
		t.Fatalf("create returned %+v", a)
	}
	got, err := f.s.Accounts.Get(ctx, a.ID)
	must(t, err)
	if got.Key != nil || !got.HasKey {
		t.Fatalf("get returned the key: %+v", got)
	}
	if _, ok := f.s.AccountKey(1, "5678"); !ok {
		t.Fatal("key not in the index")
	}
	// Update without a key keeps it; with "" removes it.
	got.Notes = "rear door panel"
	must(t, f.s.Accounts.Update(ctx, got.ID, got))
	if _, ok := f.s.AccountKey(1, "5678"); !ok || !got.HasKey {
		t.Fatal("update without key dropped the key")
	}
	got.Key = ptr("")
	must(t, f.s.Accounts.Update(ctx, got.ID, got))
	if _, ok := f.s.AccountKey(1, "5678"); ok || got.HasKey {
		t.Fatal("key not removed")
	}
	// Renumbering moves the index entry; deleting removes it.
	got.Number = "5679"
	must(t, f.s.Accounts.Update(ctx, got.ID, got))
	if f.s.Resolve(1, "5678", nil, f.clock.Now()).Known() || !f.s.Resolve(1, "5679", nil, f.clock.Now()).Known() {
		t.Fatal("renumbered account not moved in the index")
	}
	must(t, f.s.Accounts.Delete(ctx, got.ID))
	if f.s.Resolve(1, "5679", nil, f.clock.Now()).Known() {
		t.Fatal("deleted account still resolves")
	}
	if err := f.s.Accounts.Delete(ctx, got.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func burglary(zone string) *protocols.Event {
	return &protocols.Event{Code: "BA", Zone: zone, Category: protocols.CategoryBurglary}
}

func TestOnTestScopesAndExpiry(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	a := &Account{Receiver: 1, Number: "1234", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, a))
	now := f.clock.Now()

	zones := &OnTest{AccountID: a.ID, Scope: ScopeZones, Zones: Strings{"017"}, EndsAt: now.Add(time.Hour),
		Reason: "detector swap", AuthorisedBy: "tech Jones"}
	must(t, f.s.StartTest(ctx, zones, 0))
	if r := f.s.Resolve(1, "1234", burglary("17"), now); r.OnTestID != zones.ID {
		t.Fatalf("zone 17 while zone 017 on test: %+v", r)
	}
	if r := f.s.Resolve(1, "1234", burglary("018"), now); r.OnTestID != 0 {
		t.Fatalf("zone 018 is live: %+v", r)
	}
	cats := &OnTest{AccountID: a.ID, Scope: ScopeCategories, Categories: Strings{"fire"},
		StartsAt: now.Add(10 * time.Minute), EndsAt: now.Add(2 * time.Hour), Reason: "fire test", AuthorisedBy: "dealer"}
	must(t, f.s.StartTest(ctx, cats, 0))
	fire := &protocols.Event{Code: "FA", Category: protocols.CategoryFire}
	if r := f.s.Resolve(1, "1234", fire, now); r.OnTestID != 0 {
		t.Fatal("fire test scheduled for later already in force")
	}
	if r := f.s.Resolve(1, "1234", fire, now.Add(11*time.Minute)); r.OnTestID != cats.ID {
		t.Fatal("fire test not in force after its start")
	}

	// Bad periods are refused with the field named.
	for _, bad := range []OnTest{
		{AccountID: a.ID, Scope: "everything", EndsAt: now.Add(time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: a.ID, Scope: ScopeAccount, EndsAt: now.Add(-time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: a.ID, Scope: ScopeAccount, EndsAt: now.Add(time.Hour), AuthorisedBy: "b"},
		{AccountID: a.ID, Scope: ScopeCategories, Categories: Strings{"nonsense"}, EndsAt: now.Add(time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: a.ID, Scope: ScopeAccount, EndsAt: now.Add(48 * time.Hour), Reason: "r", AuthorisedBy: "b"},
	} {
		if err := f.s.StartTest(ctx, &bad, 24*time.Hour); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}

	// 50 minutes on: zone test ends within the 15-minute warning window.
	f.clock.Add(50 * time.Minute)
	warned, expired, err := f.s.ExpireTests(ctx, f.clock.Now(), 15*time.Minute)
	must(t, err)
	if warned != 1 || expired != 0 {
		t.Fatalf("at +50m warned %d expired %d, want 1 0", warned, expired)
	}
	// Warned once only.
	if warned, _, _ = f.s.ExpireTests(ctx, f.clock.Now(), 15*time.Minute); warned != 0 {
		t.Fatal("warning repeated")
	}
	f.clock.Add(10 * time.Minute)
	_, expired, err = f.s.ExpireTests(ctx, f.clock.Now(), 15*time.Minute)
	must(t, err)
	if expired != 1 {
		t.Fatalf("at +60m expired %d, want 1", expired)
	}
	if r := f.s.Resolve(1, "1234", burglary("017"), f.clock.Now()); r.OnTestID != 0 {
		t.Fatal("zone still on test after expiry")
	}
	// Take the rest off by hand.
	ended, err := f.s.EndTests(ctx, a.ID, 0, "operator Ann")
	must(t, err)
	if len(ended) != 1 || ended[0].ID != cats.ID {
		t.Fatalf("ended %+v", ended)
	}
	if _, err := f.s.EndTests(ctx, a.ID, 0, "operator Ann"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("nothing left to end: %v", err)
	}

	// Every transition is a station event, in order.
	evs, err := f.s.StationEvents(ctx, StationEventFilter{AccountID: a.ID})
	must(t, err)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := "test_on test_on test_expiring test_off test_off"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("transitions %q, want %q", strings.Join(kinds, " "), want)
	}
	hist, err := f.s.TestHistory(ctx, a.ID, now.Add(-time.Hour), now.Add(3*time.Hour))
	must(t, err)
	if len(hist) != 2 || hist[0].EndReason != EndExpired || hist[1].EndReason != EndEnded {
		t.Fatalf("history %+v", hist)
	}

	// The index is rebuilt from the store after a restart: open periods only.
	path := f.s.Path()
	must(t, f.s.StartTest(ctx, &OnTest{AccountID: a.ID, Scope: ScopeAccount, EndsAt: f.clock.Now().Add(time.Hour),
		Reason: "service", AuthorisedBy: "tech"}, 0))
	must(t, f.s.Close())
	s2, err := Open(ctx, path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Now: f.clock.Now})
	must(t, err)
	defer s2.Close()
	if r := s2.Resolve(1, "1234", burglary("3"), f.clock.Now()); !r.Known() || r.OnTestID == 0 {
		t.Fatalf("after reopen: %+v", r)
	}
}

func TestSignalsCarryResolutionAndClaim(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	msg := testMessage("7777", "0001")
	rec := testReceipt("raw-1")
	rec.ReceivedAt = f.clock.Now()
	rec.UnknownAccounts = []string{"7777"}
	_, err := f.s.Commit(ctx, msg, rec)
	must(t, err)
	sigs, err := f.s.Signals(ctx, SignalFilter{Account: "7777"})
	must(t, err)
	if len(sigs) != 1 || sigs[0].Resolution != ResolutionUnknown || sigs[0].AccountID != nil {
		t.Fatalf("unknown signal stored as %+v", sigs)
	}
	evs, err := f.s.StationEvents(ctx, StationEventFilter{Kind: EventUnknownAccount})
	must(t, err)
	if len(evs) != 1 || evs[0].Account != "7777" || evs[0].Receiver != 1 {
		t.Fatalf("unknown-account events %+v", evs)
	}

	a := &Account{Receiver: 1, Number: "7777", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, a))
	must(t, f.s.Zones.Create(ctx, &Zone{AccountID: a.ID, Number: "012", Description: "Front door"}))
	claim, err := f.s.ClaimSignals(ctx, a.ID, f.clock.Now().Add(-time.Hour), Actor{ID: 0, Name: "ann"})
	must(t, err)
	if claim.Signals != 1 || len(claim.Incidents) != 1 {
		t.Fatalf("claimed %+v, want 1 signal and its unknown-account incident", claim)
	}
	// The unknown-account incident now says which account and site it
	// belongs to, and who claimed it.
	in, err := f.s.Incident(ctx, claim.Incidents[0])
	must(t, err)
	if in.Kind != IncidentUnknownAccount || in.AccountID == nil || *in.AccountID != a.ID || in.SiteID == nil || *in.SiteID != f.site.ID ||
		in.SiteName != f.site.Name || !strings.Contains(in.Title, "Unknown account 7777 on receiver 1, now of site "+f.site.Name) {
		t.Fatalf("claimed incident %+v", in)
	}
	acts, err := f.s.IncidentActions(ctx, in.ID)
	must(t, err)
	last := acts[len(acts)-1]
	if last.Action != "account_claimed" || last.UserName != "ann" || !strings.Contains(string(last.Detail), `"account_id":`+strconv.FormatInt(a.ID, 10)) ||
		!strings.Contains(string(last.Detail), `"site_name":"`+f.site.Name+`"`) {
		t.Fatalf("action log %+v", acts)
	}
	// A second claim finds nothing more and leaves the incident alone.
	if again, err := f.s.ClaimSignals(ctx, a.ID, f.clock.Now().Add(-time.Hour), Actor{Name: "ann"}); err != nil || again.Signals != 0 || len(again.Incidents) != 0 {
		t.Fatalf("second claim %+v %v", again, err)
	}
	sigs, err = f.s.Signals(ctx, SignalFilter{AccountID: a.ID})
	must(t, err)
	if len(sigs) != 1 || sigs[0].Resolution != ResolutionClaimed || *sigs[0].SiteID != f.site.ID ||
		sigs[0].ZoneDescription != "Front door" {
		t.Fatalf("claimed signal %+v", sigs)
	}

	// A resolved signal gets its zone description at commit.
	msg2 := testMessage("7777", "0002")
	rec2 := testReceipt("raw-2")
	ev := msg2.Events[0]
	rec2.Resolutions = []Resolution{f.s.Resolve(1, "7777", &ev, f.clock.Now())}
	_, err = f.s.Commit(ctx, msg2, rec2)
	must(t, err)
	sigs, err = f.s.Signals(ctx, SignalFilter{AccountID: a.ID, Resolution: ResolutionResolved})
	must(t, err)
	if len(sigs) != 1 || sigs[0].ZoneDescription != "Front door" || sigs[0].Test {
		t.Fatalf("resolved signal %+v", sigs)
	}
}

func TestPrefixAddedLaterIsReported(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{
		Logger: zap.New(core), Registerer: prometheus.NewRegistry(),
	})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP"}}))
	c := &Customer{Name: "C"}
	must(t, s.Customers.Create(ctx, c))
	site := &Site{CustomerID: c.ID, Name: "S"}
	must(t, s.Sites.Create(ctx, site))
	must(t, s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "1234", SiteID: site.ID}))
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP", AccountPrefix: "XYZ"}}))
	got := logs.FilterMessageSnippet("lack its account prefix").All()
	if len(got) != 1 || got[0].ContextMap()["count"] != int64(1) || fmt.Sprint(got[0].ContextMap()["accounts"]) != "[1234]" {
		t.Fatalf("warnings: %+v", got)
	}
}

// TestScopeFollowsTheCustomerTree: a contact of HQ sees every site below
// it, a region's contact its region, a store's contact its store only.
func TestScopeFollowsTheCustomerTree(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	list, err := f.s.Customers.List(ctx, ListOptions{})
	must(t, err)
	hq, region, branch := list[0], list[1], list[2]
	names := func(id int64) string {
		sites, err := f.s.ScopeSites(ctx, id)
		must(t, err)
		var out []string
		for _, s := range sites {
			out = append(out, s.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct {
		id   int64
		want string
	}{
		{hq.ID, "Branch 7 Main St, North depot"},
		{region.ID, "Branch 7 Main St, North depot"},
		{branch.ID, "Branch 7 Main St"},
	} {
		if got := names(c.id); got != c.want {
			t.Errorf("scope of customer %d: %q, want %q", c.id, got, c.want)
		}
	}
	other := &Customer{Name: "Other chain"}
	must(t, f.s.Customers.Create(ctx, other))
	if got := names(other.ID); got != "" {
		t.Errorf("an unrelated customer sees %q", got)
	}
}

// TestPortalLoginIsScopedByIdentifier: two clients whose users have the
// same name and password each reach only their own data.
func TestPortalLoginIsScopedByIdentifier(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	for _, site := range []*Site{f.site, f.site2} {
		must(t, f.s.CreatePortalUser(ctx, &PortalUser{Scope: ScopeOf("site", site.ID), Kind: PortalManager, Username: "boss"},
			"the same password", Actor{Name: "admin"}))
	}
	_, a, err := f.s.PortalLogin(ctx, f.site.Identifier, "boss", "the same password", "127.0.0.1", time.Hour)
	must(t, err)
	_, b, err := f.s.PortalLogin(ctx, f.site2.Identifier, "boss", "the same password", "127.0.0.1", time.Hour)
	must(t, err)
	if a.User.ID == b.User.ID || a.User.Scope == b.User.Scope {
		t.Fatalf("both logins reached the same user: %+v %+v", a.User, b.User)
	}
	sites, err := f.s.PortalSites(ctx, a.User.Scope)
	must(t, err)
	if len(sites) != 1 || sites[0].ID != f.site.ID {
		t.Fatalf("site manager sees %+v", sites)
	}
	if _, _, err := f.s.PortalLogin(ctx, "000000000", "boss", "the same password", "127.0.0.1", time.Hour); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown identifier: %v", err)
	}
	if _, _, err := f.s.PortalLogin(ctx, f.site.Identifier, "boss", "wrong password!", "127.0.0.1", time.Hour); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	// A customer's manager (HQ) sees every site below it.
	list, err := f.s.Customers.List(ctx, ListOptions{})
	must(t, err)
	hq := list[0]
	if hq.Identifier == "" {
		t.Fatal("customer without identifier")
	}
	must(t, f.s.CreatePortalUser(ctx, &PortalUser{Scope: ScopeOf("customer", hq.ID), Kind: PortalManager, Username: "cso"},
		"hq password here", Actor{Name: "admin"}))
	_, h, err := f.s.PortalLogin(ctx, hq.Identifier, "cso", "hq password here", "127.0.0.1", time.Hour)
	must(t, err)
	if sites, _ := f.s.PortalSites(ctx, h.User.Scope); len(sites) != 2 {
		t.Fatalf("HQ manager sees %d sites, want 2", len(sites))
	}
	// Emulation is audited.
	_, e, err := f.s.EmulatePortalUser(ctx, a.User.ID, Actor{Name: "ann"}, time.Hour)
	must(t, err)
	if e.EmulatedBy != "ann" {
		t.Fatalf("emulated session %+v", e)
	}
	audit, err := f.s.Audit(ctx, 0, 100)
	must(t, err)
	if audit[0].Action != "portal.emulate" || audit[0].UserName != "ann" {
		t.Fatalf("audit %+v", audit[0])
	}
}

// TestRecordSearchFindsSitesByCustomerAndAccount: the record pages search
// on the server. A site is found by its name, its customer's name and its
// accounts' numbers, in any case; % and _ are only themselves; the roots
// of the customer tree and a page's referenced ids are one request each.
func TestRecordSearchFindsSitesByCustomerAndAccount(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	acct := &Account{Receiver: 1, Number: "4711", SiteID: f.site2.ID, SystemType: "intrusion"}
	must(t, f.s.Accounts.Create(ctx, acct))
	odd := &Site{CustomerID: f.site.CustomerID, Name: "100% Fitness_club"}
	must(t, f.s.Sites.Create(ctx, odd))
	siteNames := func(o ListOptions) string {
		t.Helper()
		list, err := f.s.Sites.List(ctx, o)
		must(t, err)
		var out []string
		for _, s := range list {
			out = append(out, s.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct{ q, want string }{
		{"main st", "Branch 7 Main St"},
		{"BANK NORTH", "North depot"},                       // the customer's name
		{"branch 7", "Branch 7 Main St, 100% Fitness_club"}, // the site's, and its customer's
		{"4711", "North depot"},                             // an account's number
		{"100%", "100% Fitness_club"},
		{"0% f", "100% Fitness_club"},
		{"%", "100% Fitness_club"}, // a literal %, not every site
		{"n_st", ""},               // _ is not any character ("Main St")
		{"s_c", "100% Fitness_club"},
		{"nowhere", ""},
	} {
		if got := siteNames(ListOptions{Search: c.q}); got != c.want {
			t.Errorf("sites q=%q: %q, want %q", c.q, got, c.want)
		}
	}
	if got := siteNames(ListOptions{Search: "branch", Limit: 1}); got != "Branch 7 Main St" {
		t.Errorf("first page of one: %q", got)
	}
	if got := siteNames(ListOptions{Search: "branch", AfterID: f.site.ID}); got != "100% Fitness_club" {
		t.Errorf("the page after the first: %q", got)
	}
	if got := siteNames(ListOptions{IDs: []int64{odd.ID, f.site2.ID}}); got != "North depot, 100% Fitness_club" {
		t.Errorf("by ids: %q", got)
	}
	roots, err := f.s.Customers.List(ctx, ListOptions{Where: map[string]any{"parent_id": "none"}})
	must(t, err)
	if len(roots) != 1 || roots[0].Name != "Bank HQ" {
		t.Errorf("roots of the customer tree: %+v", roots)
	}
	below, err := f.s.Customers.List(ctx, ListOptions{Where: map[string]any{"parent_id": strconv.FormatInt(roots[0].ID, 10)}})
	must(t, err)
	if len(below) != 1 || below[0].Name != "Bank North" {
		t.Errorf("below the HQ: %+v", below)
	}
	accts, err := f.s.Accounts.List(ctx, ListOptions{Search: "depot"})
	must(t, err)
	if len(accts) != 1 || accts[0].Number != "4711" {
		t.Errorf("accounts by their site's name: %+v", accts)
	}
	var fe *FieldError
	if _, err := f.s.Sites.List(ctx, ListOptions{Search: strings.Repeat("x", MaxSearch+1)}); !errors.As(err, &fe) || fe.Field != "q" {
		t.Errorf("an over-long search: %v", err)
	}
}
