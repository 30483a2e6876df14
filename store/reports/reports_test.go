package reports_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/reports"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// fixture is the morning reports of a store (SQLite or PostgreSQL), with
// one customer.
type fixture struct {
	r        *reports.MorningReports
	clock    *storetest.Clock
	customer *store.Customer
}

func newFixture(t *testing.T, p storetest.Place) *fixture {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	st, err := store.Open(context.Background(), p.Path, store.Options{Driver: p.Driver, DSN: p.DSN,
		Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Now: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cust := &store.Customer{Name: "Northwind"}
	must(t, st.Customers.Create(context.Background(), cust))
	return &fixture{r: st.MorningReports, clock: c, customer: cust}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestReportsAreAnnotatedAndDeletedNotRewritten: a stored report takes an
// annotation (who, when) and can be deleted: content erased, a tombstone
// kept so the night is not reported again; each recipient's delivery is
// recorded.
func TestReportsAreAnnotatedAndDeletedNotRewritten(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, p storetest.Place) {
		f := newFixture(t, p)
		ctx := context.Background()
		c := f.customer
		to := []reports.ReportRecipient{{Kind: reports.RecipientContact, ID: 1, Name: "Dana", Email: "dana@x.example"}, {Kind: reports.RecipientReportEmail, Email: "noc@x.example"}}
		rep, created, err := f.r.SaveReport(ctx, &reports.Report{CustomerID: c.ID, Night: "2026-11-30", From: f.clock.Now(), To: f.clock.Now(),
			Recipients: "dana@x.example, noc@x.example", Subject: "Night report", HTML: "<html><body>all quiet</body></html>", Text: "all quiet"}, to)
		must(t, err)
		if !created || rep.CreatedBy != "station" || rep.UpdatedBy != "station" {
			t.Fatalf("saved %+v", rep)
		}
		pending, err := f.r.PendingDeliveries(ctx, rep)
		must(t, err)
		if len(pending) != 2 || pending[0].Recipient.Kind != reports.RecipientContact {
			t.Fatalf("deliveries %+v", pending)
		}
		must(t, f.r.MarkDelivery(ctx, pending[0].ID, nil))
		must(t, f.r.MarkDelivery(ctx, pending[1].ID, errors.New("451 try later")))
		if pending, _ = f.r.PendingDeliveries(ctx, rep); len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError != "451 try later" {
			t.Fatalf("pending after one failure %+v", pending)
		}
		clerk := core.WithActorName(ctx, "portal:customer:1/clerk")
		f.clock.Add(time.Hour)
		ann, err := f.r.AnnotateReport(clerk, rep.ID, "The 02:00 alarm was our cleaner", core.Actor{Name: "portal:customer:1/clerk"})
		must(t, err)
		if ann.Annotation != "The 02:00 alarm was our cleaner" || ann.UpdatedBy != "portal:customer:1/clerk" || !ann.UpdatedAt.Equal(f.clock.Now()) ||
			ann.HTML != rep.HTML {
			t.Fatalf("annotated %+v", ann)
		}
		must(t, f.r.DeleteReport(clerk, rep.ID, core.Actor{Name: "portal:customer:1/clerk"}))
		gone, err := f.r.Report(ctx, rep.ID)
		must(t, err)
		if gone.DeletedAt == nil || gone.DeletedBy != "portal:customer:1/clerk" || gone.HTML != "" || gone.Text != "" || gone.Annotation != "" {
			t.Fatalf("deleted %+v", gone)
		}
		if _, err := f.r.AnnotateReport(clerk, rep.ID, "x", core.Actor{}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("annotating a deleted report: %v", err)
		}
		if err := f.r.DeleteReport(clerk, rep.ID, core.Actor{}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		// The tombstone keeps the night: saving it again stores nothing.
		if _, created, err := f.r.SaveReport(ctx, &reports.Report{CustomerID: c.ID, Night: "2026-11-30", Subject: "again"}, to); err != nil || created {
			t.Fatalf("saved again: %v %v", created, err)
		}
		kept, err := f.r.KeptReports(ctx, c.ID, 10)
		must(t, err)
		all, err := f.r.Reports(ctx, c.ID, 10)
		must(t, err)
		if len(kept) != 0 || len(all) != 1 {
			t.Fatalf("kept %d, all %d", len(kept), len(all))
		}
	})
}

// TestDeliveriesAreClaimedBeforeTheyAreMailed: a claimed delivery is no
// longer pending and cannot be claimed twice; a claim found by the next
// look (its sender stopped before it recorded the outcome) marks the
// delivery unconfirmed and leaves it, so no one is mailed twice; a claim
// given back (not mailed) makes it pending again; a failed mail gives its
// claim back itself.
func TestDeliveriesAreClaimedBeforeTheyAreMailed(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, p storetest.Place) {
		f := newFixture(t, p)
		ctx := context.Background()
		to := []reports.ReportRecipient{{Kind: reports.RecipientReportEmail, Email: "a@x.example"}, {Kind: reports.RecipientReportEmail, Email: "b@x.example"}}
		rep, _, err := f.r.SaveReport(ctx, &reports.Report{CustomerID: f.customer.ID, Night: "2026-11-30", From: f.clock.Now(), To: f.clock.Now(),
			Subject: "Night report"}, to)
		must(t, err)
		pending, err := f.r.PendingDeliveries(ctx, rep)
		must(t, err)
		a, b := pending[0].ID, pending[1].ID
		claim, err := f.r.ClaimDelivery(ctx, a)
		must(t, err)
		if claim == 0 {
			t.Fatal("the first claim was not taken")
		}
		if again, err := f.r.ClaimDelivery(ctx, a); err != nil || again != 0 {
			t.Fatalf("a second claim: %d, %v; want none", again, err)
		}
		pending, err = f.r.PendingDeliveries(ctx, rep)
		must(t, err)
		if len(pending) != 1 || pending[0].ID != b {
			t.Fatalf("pending %+v, want b only", pending)
		}
		all, err := f.r.ReportDeliveries(ctx, rep.ID)
		must(t, err)
		if all[0].LastError != reports.UnconfirmedDelivery || all[0].SentAt != nil {
			t.Fatalf("the claimed delivery found again: %+v, want unconfirmed", all[0])
		}
		must(t, f.r.ReleaseDelivery(ctx, a, claim))
		pending, err = f.r.PendingDeliveries(ctx, rep)
		must(t, err)
		if len(pending) != 2 || pending[0].LastError != "" {
			t.Fatalf("pending after the claim was given back %+v, want both, a without an error", pending)
		}
		claim, err = f.r.ClaimDelivery(ctx, b)
		must(t, err)
		must(t, f.r.MarkDelivery(ctx, b, errors.New("451 try later")))
		if again, err := f.r.ClaimDelivery(ctx, b); err != nil || again == 0 {
			t.Fatalf("claim after a failed mail: %d, %v; want taken", again, err)
		}
	})
}
