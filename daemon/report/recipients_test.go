package report

import (
	"context"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap/zaptest"
)

// TestMorningReportToEachRecipient: the report goes to the customer's
// marked contacts and portal users, one mail each with its own signed
// unsubscribe link (in the body and in List-Unsubscribe); report_email
// then receives nothing; a recipient the server refused gets the report on
// the next pass and the others not again; a recipient who followed its
// link is left out the next night; each logged event carries its
// operators' notes.
func TestMorningReportToEachRecipient(t *testing.T) {
	box, port := startMailbox(t)
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	st := reportStore(t, clock)
	c := &store.Customer{Name: "Northwind", ReportEmail: "legacy@northwind.example", TimeZone: "Europe/London"}
	must(t, st.Customers.Create(ctx, c))
	site := &store.Site{CustomerID: c.ID, Name: "Northwind Main St", TimeZone: "Europe/London"}
	must(t, st.Sites.Create(ctx, site))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	must(t, st.CustomerContacts.Create(ctx, &store.CustomerContact{CustomerID: c.ID, Name: "Dana", Roles: store.Strings{"billing"},
		Email: "dana@northwind.example", Report: true}))
	must(t, st.CustomerContacts.Create(ctx, &store.CustomerContact{CustomerID: c.ID, Name: "Not marked", Email: "erin@northwind.example"}))
	boss := &store.PortalUser{Scope: store.ScopeOf("customer", c.ID), Kind: store.PortalManager, Username: "boss"}
	must(t, st.CreatePortalUser(ctx, boss, "boss's long password", store.Actor{Name: "admin"}))
	_, err := st.SetPortalReport(ctx, boss.ID, true, "boss@northwind.example", store.Actor{Name: "admin"})
	must(t, err)

	// A closing at 22:10, logged; the operator notes it.
	now = time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC)
	ev := protocols.Event{Format: protocols.FormatSIA, Account: "2345", Code: "CL", User: "3", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryOpenClose, Known: true, Description: "Closing Report"}
	at := time.Date(2026, 11, 29, 22, 10, 0, 0, time.UTC)
	_, err = st.Commit(ctx, &protocols.Message{Protocol: "dc09", Account: "2345", Sequence: "1", Events: []protocols.Event{ev}},
		store.Receipt{ReceivedAt: at, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("CL"),
			Resolutions: []store.Resolution{st.Resolve(1, "2345", &ev, at)}, Handling: []store.Handling{{Mode: store.HandlingLog, Priority: 9}}})
	must(t, err)
	sigs, err := st.Signals(ctx, store.SignalFilter{Account: "2345"})
	must(t, err)
	op := &store.User{Username: "ann", Role: store.RoleOperator}
	must(t, st.CreateUser(ctx, op, "a long password here", store.Actor{Name: "setup"}))
	now = time.Date(2026, 11, 29, 22, 15, 0, 0, time.UTC)
	_, err = st.AddSignalNote(ctx, sigs[0].ID, store.Actor{ID: op.ID, Name: "ann"}, "Manager phoned: closing late, stock count")
	must(t, err)
	now = time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC)

	box.mu.Lock()
	box.refuse = map[string]bool{"boss@northwind.example": true}
	box.mu.Unlock()
	opts := Options{Store: st, Customers: st.Customers, SMTP: SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "noc@station.example"},
		SendAt: "07:00", WindowStart: "18:00", PortalURL: "https://portal.example", Logger: zaptest.NewLogger(t), Now: clock}
	if n, err := New(opts).RunOnce(ctx); n != 0 || err == nil || !strings.Contains(err.Error(), "boss@northwind.example") {
		t.Fatalf("with one recipient refused: %d, %v", n, err)
	}
	if got := box.all(); len(got) != 1 || strings.Join(got[0].to, ",") != "dana@northwind.example" {
		t.Fatalf("first pass mailed %+v, want Dana only", got)
	}
	box.mu.Lock()
	box.refuse = nil
	box.mu.Unlock()
	if n, err := New(opts).RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("second pass: %d, %v", n, err)
	}
	got := box.all()
	if len(got) != 2 || strings.Join(got[1].to, ",") != "boss@northwind.example" {
		t.Fatalf("second pass mailed %+v, want the manager only", got)
	}
	links := map[string]string{}
	for _, m := range got {
		msg, err := mail.ReadMessage(strings.NewReader(m.data))
		must(t, err)
		to := m.to[0]
		if msg.Header.Get("To") != to || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("headers of the mail to %s: %v", to, msg.Header)
		}
		h := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
		u, err := url.Parse(h)
		if err != nil || !strings.HasPrefix(h, "https://portal.example/portal/unsubscribe?token=") || u.Query().Get("token") == "" {
			t.Fatalf("List-Unsubscribe of the mail to %s: %q", to, h)
		}
		links[to] = u.Query().Get("token")
		body := decode(t, m.data)
		for _, want := range []string{"This report went to " + to, "Closed by user 3", "Note by ann at 22:15: Manager phoned: closing late, stock count"} {
			if !strings.Contains(body, want) {
				t.Errorf("the mail to %s lacks %q", to, want)
			}
		}
	}
	if links["dana@northwind.example"] == links["boss@northwind.example"] {
		t.Fatal("both recipients got the same unsubscribe link")
	}
	reps, err := st.Reports(ctx, c.ID, 10)
	must(t, err)
	stored := reps[0]
	if stored.SentAt == nil || stored.Recipients != "dana@northwind.example, boss@northwind.example" {
		t.Fatalf("stored report %+v", stored)
	}
	// The stored copy (the portal's) carries nobody's unsubscribe link.
	if strings.Contains(stored.HTML, "unsubscribe") || !strings.Contains(stored.HTML, "Note by ann at 22:15") {
		t.Fatalf("stored HTML: %s", stored.HTML)
	}
	ds, err := st.ReportDeliveries(ctx, stored.ID)
	must(t, err)
	if len(ds) != 2 || ds[1].Attempts != 2 || ds[1].SentAt == nil || ds[0].Attempts != 1 {
		t.Fatalf("deliveries %+v", ds)
	}

	// Dana follows her link; the next night's report goes to the manager
	// only (not to report_email: the manager is still marked).
	if _, err := st.Unsubscribe(ctx, links["dana@northwind.example"], "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	now = now.AddDate(0, 0, 1)
	if n, err := New(opts).RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("next night: %d, %v", n, err)
	}
	got = box.all()
	if len(got) != 3 || strings.Join(got[2].to, ",") != "boss@northwind.example" {
		t.Fatalf("next night mailed %+v", got[2:])
	}
	// The manager unmarks itself: nobody is marked, report_email receives
	// the report again, as before recipients could be marked.
	_, err = st.SetPortalReport(ctx, boss.ID, false, "", store.Actor{Name: "portal:boss"})
	must(t, err)
	now = now.AddDate(0, 0, 1)
	if n, err := New(opts).RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("third night: %d, %v", n, err)
	}
	got = box.all()
	if len(got) != 4 || strings.Join(got[3].to, ",") != "legacy@northwind.example" {
		t.Fatalf("third night mailed %+v", got[3:])
	}
	// A report deleted by the client before it went out is not mailed.
	now = now.AddDate(0, 0, 1)
	box.mu.Lock()
	box.down = true
	box.mu.Unlock()
	if _, err := New(opts).RunOnce(ctx); err == nil {
		t.Fatal("with the server down: no error")
	}
	reps, _ = st.Reports(ctx, c.ID, 1)
	must(t, st.DeleteReport(ctx, reps[0].ID, store.Actor{Name: "portal:clerk"}))
	box.mu.Lock()
	box.down = false
	box.mu.Unlock()
	if n, err := New(opts).RunOnce(ctx); n != 0 || err != nil || len(box.all()) != 4 {
		t.Fatalf("a deleted report: sent %d, %v, mailbox %d", n, err, len(box.all()))
	}
}
