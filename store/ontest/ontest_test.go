package ontest_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/ontest"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

type noBatches struct{}

func (noBatches) Statements() []string { return nil }
func (noBatches) WriteBatch(context.Context, *engine.Tx, []any, []int64) error {
	return errors.New("no batches here")
}
func (noBatches) Committed([]any) {}
func (noBatches) Released([]any)  {}

// fixture is on-test on an engine over a real SQLite file with the
// store's schema and one account, its hooks recorded.
type fixture struct {
	tests           *ontest.Tests
	now             time.Time
	account         int64
	storetest.Calls // the hooks: "started", "ended <reason>", "visits"
}

func newFixture(t *testing.T, d core.Dialect) *fixture {
	t.Helper()
	ctx := context.Background()
	place := storetest.NewPlace(t, d)
	// The account comes from the store's own records, as in a station.
	st, err := store.Open(ctx, place.Path, store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Driver: place.Driver, DSN: place.DSN})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.SyncReceivers(ctx, []store.Receiver{{Number: 1, Name: "IP 1"}}))
	c := &store.Customer{Name: "Bank"}
	must(t, st.Customers.Create(ctx, c))
	site := &store.Site{CustomerID: c.ID, Name: "Main St"}
	must(t, st.Sites.Create(ctx, site))
	a := &store.Account{Receiver: 1, Number: "1234", SiteID: site.ID}
	must(t, st.Accounts.Create(ctx, a))
	must(t, st.Close())

	db := storetest.StartEngine(t, place, d, store.MigrationsFor(d), noBatches{})
	f := &fixture{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), account: a.ID}
	f.tests = ontest.New(db, ontest.Options{
		Now:     func() time.Time { return f.now },
		Started: func(t ontest.OnTest) { f.Hook("started") },
		Ended:   func(t ontest.OnTest) { f.Hook("ended " + t.EndReason) },
		ExpireVisits: func(context.Context, *sql.Tx, time.Time) ([]int64, error) {
			return []int64{7}, nil
		},
		VisitsEnded: func(sites []int64) {
			if len(sites) == 1 && sites[0] == 7 {
				f.Hook("visits")
			}
		},
	})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPeriodsAreCheckedLoggedAndExpire: a period is checked before it is
// stored, covers its scope only while in force, warns once before its
// end, expires, and every transition is a station event; the hooks run
// after each commit.
func TestPeriodsAreCheckedLoggedAndExpire(t *testing.T) {
	storetest.ForEachDialect(t, testPeriodsAreCheckedLoggedAndExpire)
}

func testPeriodsAreCheckedLoggedAndExpire(t *testing.T, d core.Dialect) {
	f := newFixture(t, d)
	ctx := context.Background()
	for _, bad := range []ontest.OnTest{
		{AccountID: f.account, Scope: "everything", EndsAt: f.now.Add(time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: f.account, Scope: ontest.ScopeZones, EndsAt: f.now.Add(time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: f.account, Scope: ontest.ScopeAccount, EndsAt: f.now.Add(-time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: f.account, Scope: ontest.ScopeAccount, EndsAt: f.now.Add(48 * time.Hour), Reason: "r", AuthorisedBy: "b"},
		{AccountID: f.account + 99, Scope: ontest.ScopeAccount, EndsAt: f.now.Add(time.Hour), Reason: "r", AuthorisedBy: "b"},
	} {
		if err := f.tests.StartTest(ctx, &bad, 24*time.Hour); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
	zones := &ontest.OnTest{AccountID: f.account, Scope: ontest.ScopeZones, Zones: core.Strings{"017"},
		EndsAt: f.now.Add(time.Hour), Reason: "detector swap", AuthorisedBy: "tech Jones"}
	must(t, f.tests.StartTest(ctx, zones, 0))
	if zones.Zones[0] != "17" || !zones.Covers(protocols.CategoryBurglary, "17", f.now) || zones.Covers(protocols.CategoryBurglary, "18", f.now) {
		t.Fatalf("zone period %+v", zones)
	}
	open, err := f.tests.OpenTests(ctx, f.account)
	must(t, err)
	if len(open) != 1 || open[0].ID != zones.ID {
		t.Fatalf("open %+v", open)
	}

	f.now = f.now.Add(50 * time.Minute)
	warned, expired, err := f.tests.ExpireTests(ctx, f.now, 15*time.Minute)
	must(t, err)
	if warned != 1 || expired != 0 {
		t.Fatalf("at +50m warned %d expired %d", warned, expired)
	}
	if warned, _, _ = f.tests.ExpireTests(ctx, f.now, 15*time.Minute); warned != 0 {
		t.Fatal("warning repeated")
	}
	f.now = f.now.Add(10 * time.Minute)
	if _, expired, err = f.tests.ExpireTests(ctx, f.now, 15*time.Minute); err != nil || expired != 1 {
		t.Fatalf("at +60m expired %d, %v", expired, err)
	}
	if _, err := f.tests.EndTests(ctx, f.account, 0, "operator Ann"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("nothing left to end: %v", err)
	}
	evs, err := f.tests.StationEvents(ctx, ontest.StationEventFilter{AccountID: f.account})
	must(t, err)
	var kinds []string
	for _, e := range evs {
		if e.Account != "1234" || e.Receiver != 1 {
			t.Errorf("event %+v names another account", e)
		}
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); got != "test_on test_expiring test_off" {
		t.Fatalf("transitions %q", got)
	}
	if got := strings.Join(f.Called(), ", "); got != "started, visits, visits, ended expired, visits" {
		t.Fatalf("hooks %q", got)
	}
}
