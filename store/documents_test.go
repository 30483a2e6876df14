package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestCustomersHaveAnAddressAndContacts: a customer is a complete record
// for billing: a postal address in the parts billing systems import, and
// contacts with roles, through the records and through the imports.
func TestCustomersHaveAnAddressAndContacts(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	c := &Customer{Name: "Northwind", Address: PostalAddress{Line1: " 12 Main St ", PostalCode: "62701", City: "Springfield", Region: "IL", Country: "us"}}
	must(t, f.s.Customers.Create(ctx, c))
	got, err := f.s.Customers.Get(ctx, c.ID)
	must(t, err)
	if want := (PostalAddress{Line1: "12 Main St", PostalCode: "62701", City: "Springfield", Region: "IL", Country: "US"}); got.Address != want {
		t.Fatalf("address %+v, want %+v", got.Address, want)
	}
	for _, bad := range []struct {
		a     PostalAddress
		field string
	}{
		{PostalAddress{City: "Springfield"}, "address.line1"},
		{PostalAddress{Line1: "12 Main St"}, "address.city"},
		{PostalAddress{Line1: "12 Main St", City: "Springfield", Country: "USA"}, "address.country"},
	} {
		var fe *FieldError
		if err := f.s.Customers.Create(ctx, &Customer{Name: "X", Address: bad.a}); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("%+v: %v, want a %s error", bad.a, err, bad.field)
		}
	}

	dana := &CustomerContact{CustomerID: c.ID, Name: "Dana Billing", Roles: Strings{"Billing", "primary", "billing"}, Email: "dana@northwind.example",
		Report: true}
	must(t, createAsAnn(ctx, f.s, dana))
	if !slicesEqual(dana.Roles, Strings{"billing", "primary"}) || dana.CreatedBy != "station:ann" {
		t.Fatalf("contact %+v", dana)
	}
	var fe *FieldError
	if err := f.s.CustomerContacts.Create(ctx, &CustomerContact{CustomerID: c.ID, Name: "X", Roles: Strings{"janitor"}}); !errors.As(err, &fe) || fe.Field != "roles" {
		t.Fatalf("unknown role: %v", err)
	}
	if err := f.s.CustomerContacts.Create(ctx, &CustomerContact{CustomerID: c.ID, Name: "X", Report: true}); !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("report without an address: %v", err)
	}
	if err := f.s.CustomerContacts.Create(ctx, &CustomerContact{CustomerID: c.ID, Name: "X", Email: "Dana <d@x.example>"}); !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("an address with a name: %v", err)
	}
	var ce *ConflictError
	if err := f.s.CustomerContacts.Create(ctx, &CustomerContact{CustomerID: c.ID, Name: "Other", Email: "DANA@northwind.example"}); !errors.As(err, &ce) ||
		!strings.Contains(ce.Msg, "Dana Billing") {
		t.Fatalf("the same address twice: %v", err)
	}

	// The customers import carries the address; the contacts import is
	// keyed by customer and e-mail address, or name without one.
	customers := "identifier,name,address_line1,address_postal_code,address_city,address_country\n" +
		"5550100,Contoso HQ,1 Harbour Rd,10115,Berlin,de\n"
	rep, err := f.s.ImportCustomers(ctx, strings.NewReader(customers), false)
	must(t, err)
	if !rep.Applied || rep.Created != 1 {
		t.Fatalf("customers import %+v", rep)
	}
	list, err := f.s.Customers.List(ctx, ListOptions{Where: map[string]any{"identifier": "5550100"}})
	must(t, err)
	if len(list) != 1 || list[0].Address != (PostalAddress{Line1: "1 Harbour Rd", PostalCode: "10115", City: "Berlin", Country: "DE"}) {
		t.Fatalf("imported customer %+v", list)
	}
	if rep, _ := f.s.ImportCustomers(ctx, strings.NewReader(customers), false); rep.Unchanged != 1 {
		t.Fatalf("customers import again: %+v", rep)
	}
	contacts := "customer,name,email,roles,report,phone\n" +
		"5550100,Erin Accounts,erin@contoso.example,billing;viewer,yes,+49 30 1\n" +
		"5550100,Frank Facilities,,technical,no,+49 30 2\n" +
		"5550100,Gail,gail@contoso.example,nobody,no,\n" +
		"5550100,Erin again,ERIN@contoso.example,,,\n"
	rep, err = f.s.ImportContacts(ctx, strings.NewReader(contacts), false)
	must(t, err)
	if rep.Applied || len(rep.Errors) != 2 || rep.Errors[0].Line != 4 || rep.Errors[0].Field != "roles" || rep.Errors[1].Line != 5 ||
		!strings.Contains(rep.Errors[1].Error, "line 2") {
		t.Fatalf("bad contacts import: %+v", rep)
	}
	good := strings.Join(strings.Split(contacts, "\n")[:3], "\n") + "\n"
	rep, err = f.s.ImportContacts(ctx, strings.NewReader(good), false)
	must(t, err)
	if !rep.Applied || rep.Created != 2 {
		t.Fatalf("contacts import %+v", rep)
	}
	// The billing system exports again: Erin's phone changed, the name
	// keys Frank (no address); nothing else changes.
	again := strings.Replace(good, "+49 30 1", "+49 30 9", 1)
	rep, err = f.s.ImportContacts(ctx, strings.NewReader(again), false)
	must(t, err)
	if rep.Updated != 1 || rep.Unchanged != 1 || rep.Created != 0 {
		t.Fatalf("contacts import again: %+v", rep)
	}
	cs, err := f.s.CustomerContacts.List(ctx, ListOptions{Where: map[string]any{"customer_id": list[0].ID}})
	must(t, err)
	if len(cs) != 2 || cs[0].Phone != "+49 30 9" || !cs[0].Report || !slicesEqual(cs[0].Roles, Strings{"billing", "viewer"}) || cs[1].Report {
		t.Fatalf("imported contacts %+v", cs)
	}
	byMail, err := f.s.CustomerContacts.List(ctx, ListOptions{Where: map[string]any{"email": "ERIN@contoso.example"}})
	must(t, err)
	if len(byMail) != 1 || byMail[0].Name != "Erin Accounts" {
		t.Fatalf("by e-mail %+v", byMail)
	}
}

// createAsAnn creates a contact as station user ann.
func createAsAnn(ctx context.Context, s *Store, c *CustomerContact) error {
	return s.CustomerContacts.Create(WithActorName(ctx, "station:ann"), c)
}

func slicesEqual(a, b Strings) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// logged commits one logged-only closing of account 1234 and returns its
// signal id.
func logged(t *testing.T, f *recordsFixture, seq string, mode string) int64 {
	t.Helper()
	ctx := context.Background()
	msg := testMessage("1234", seq)
	msg.Events[0].Code, msg.Events[0].Category, msg.Events[0].Description = "CL", protocols.CategoryOpenClose, "Closing Report"
	rec := testReceipt("raw-" + seq)
	rec.ReceivedAt = f.clock.Now()
	ev := msg.Events[0]
	rec.Resolutions = []Resolution{f.s.Resolve(1, "1234", &ev, f.clock.Now())}
	rec.Handling = []Handling{{Mode: mode, Priority: 9}}
	_, err := f.s.Commit(ctx, msg, rec)
	must(t, err)
	sigs, err := f.s.Signals(ctx, SignalFilter{Account: "1234", Desc: true, Limit: 1})
	must(t, err)
	return sigs[0].ID
}

// TestNotesOnLoggedSignals: an operator notes a logged signal, with who
// and when, audited; the note comes with the signal; a signal of an
// incident takes its notes on the incident.
func TestNotesOnLoggedSignals(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "1234", SiteID: f.site.ID}))
	closing := logged(t, f, "0001", HandlingLog)
	ann := Actor{ID: 7, Name: "ann", RemoteAddr: "10.0.0.7"}
	events, cancel := f.s.SubscribeSites()
	defer cancel()
	n, err := f.s.AddSignalNote(ctx, closing, ann, "  Late closing: the manager called ahead  ")
	must(t, err)
	if n.Note != "Late closing: the manager called ahead" || n.UserName != "ann" || !n.At.Equal(f.clock.Now()) {
		t.Fatalf("note %+v", n)
	}
	// The portal's live view of the site hears of the note (the signal's
	// own event may come first).
	for heard := false; !heard; {
		select {
		case e := <-events:
			if heard = e.Kind == "note"; heard && e.SiteID != f.site.ID {
				t.Fatalf("site event %+v", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no site event for the note")
		}
	}
	sigs, err := f.s.Signals(ctx, SignalFilter{IDs: []int64{closing}})
	must(t, err)
	if len(sigs) != 1 || len(sigs[0].Notes) != 1 || sigs[0].Notes[0].Note != n.Note || sigs[0].Notes[0].UserName != "ann" {
		t.Fatalf("signal with notes %+v", sigs)
	}
	audit, err := f.s.Audit(ctx, 0, 10)
	must(t, err)
	if audit[0].Action != "signal.note" || audit[0].UserName != "ann" || audit[0].Target != "signal:"+strconv.FormatInt(closing, 10) ||
		!strings.Contains(audit[0].Detail, "Late closing") {
		t.Fatalf("audit %+v", audit[0])
	}
	var fe *FieldError
	if _, err := f.s.AddSignalNote(ctx, closing, ann, " "); !errors.As(err, &fe) {
		t.Fatalf("empty note: %v", err)
	}
	if _, err := f.s.AddSignalNote(ctx, closing, Actor{Name: "api"}, "x"); !errors.As(err, &fe) {
		t.Fatalf("a note by no station user: %v", err)
	}
	if _, err := f.s.AddSignalNote(ctx, 999999, ann, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no such signal: %v", err)
	}
	alarm := logged(t, f, "0002", HandlingQueue)
	var ce *ConflictError
	if _, err := f.s.AddSignalNote(ctx, alarm, ann, "x"); !errors.As(err, &ce) || !strings.Contains(ce.Msg, "incident") {
		t.Fatalf("a note on an incident's signal: %v", err)
	}
	notes, err := f.s.SignalNotes(ctx, alarm)
	must(t, err)
	if len(notes) != 0 {
		t.Fatalf("notes of the alarm %+v", notes)
	}
}

// TestReportRecipientsByContactAndPortalUser: the report goes to the marked
// contacts and portal users of the customer, each at its own address;
// report_email only while nobody is marked; unsubscribe links are signed,
// per recipient, and refused when changed.
func TestReportRecipientsByContactAndPortalUser(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	c := &Customer{Name: "Northwind", ReportEmail: "old@northwind.example, noc@northwind.example"}
	must(t, f.s.Customers.Create(ctx, c))
	to, err := f.s.ReportRecipients(ctx, c.ID)
	must(t, err)
	if len(to) != 2 || to[0].Kind != RecipientReportEmail || to[1].Email != "noc@northwind.example" {
		t.Fatalf("fallback recipients %+v", to)
	}
	dana := &CustomerContact{CustomerID: c.ID, Name: "Dana", Email: "dana@northwind.example", Report: true}
	must(t, f.s.CustomerContacts.Create(ctx, dana))
	must(t, f.s.CustomerContacts.Create(ctx, &CustomerContact{CustomerID: c.ID, Name: "Not marked", Email: "x@northwind.example"}))
	admin := Actor{Name: "admin"}
	boss := &PortalUser{Scope: ScopeOf("customer", c.ID), Kind: PortalManager, Username: "boss", FullName: "The Boss"}
	must(t, f.s.CreatePortalUser(ctx, boss, "boss's long password", admin))
	clerk := &PortalUser{Scope: ScopeOf("customer", c.ID), Kind: PortalStaff, Username: "clerk"}
	must(t, f.s.CreatePortalUser(ctx, clerk, "clerk's long password", admin))
	siteUser := &PortalUser{Scope: ScopeOf("site", f.site.ID), Kind: PortalManager, Username: "site"}
	must(t, f.s.CreatePortalUser(ctx, siteUser, "site's long password", admin))
	if _, err := f.s.SetPortalReport(ctx, boss.ID, true, "boss@northwind.example", admin); err != nil {
		t.Fatal(err)
	}
	// The clerk's address is Dana's too: one mail.
	if _, err := f.s.SetPortalReport(ctx, clerk.ID, true, "DANA@northwind.example", admin); err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if _, err := f.s.SetPortalReport(ctx, siteUser.ID, true, "site@x.example", admin); !errors.As(err, &fe) || fe.Field != "report" {
		t.Fatalf("a site's user as a customer's recipient: %v", err)
	}
	if _, err := f.s.SetPortalReport(ctx, boss.ID, true, "not an address", admin); !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("a bad address: %v", err)
	}
	to, err = f.s.ReportRecipients(ctx, c.ID)
	must(t, err)
	got := []string{}
	for _, r := range to {
		got = append(got, r.Kind+":"+r.Name+":"+r.Email)
	}
	if strings.Join(got, " ") != "contact:Dana:dana@northwind.example portal_user:The Boss:boss@northwind.example" {
		t.Fatalf("recipients %v", got)
	}
	// A disabled portal user receives nothing.
	disabled := true
	_, err = f.s.UpdatePortalUser(ctx, boss.ID, PortalUserChange{Disabled: &disabled}, "", admin)
	must(t, err)
	if to, _ = f.s.ReportRecipients(ctx, c.ID); len(to) != 1 || to[0].Kind != RecipientContact {
		t.Fatalf("with the manager disabled %+v", to)
	}
	enabled := false
	_, err = f.s.UpdatePortalUser(ctx, boss.ID, PortalUserChange{Disabled: &enabled}, "", admin)
	must(t, err)

	// Each recipient's link unsubscribes that recipient only.
	tok, err := f.s.UnsubscribeToken(ctx, c.ID, to[0])
	must(t, err)
	for _, bad := range []string{tok[:len(tok)-2] + "xx", strings.Replace(tok, tok[:4], "AAAA", 1), "", "nonsense", tok + "."} {
		if _, err := f.s.Unsubscribe(ctx, bad, "192.0.2.1"); !errors.Is(err, ErrBadLink) {
			t.Errorf("tampered link %q: %v", bad, err)
		}
	}
	u, err := f.s.CheckUnsubscribe(ctx, tok)
	must(t, err)
	if !u.Subscribed || u.CustomerName != "Northwind" || u.Recipient.Email != "dana@northwind.example" {
		t.Fatalf("check %+v", u)
	}
	if u, err = f.s.Unsubscribe(ctx, tok, "192.0.2.1"); err != nil || !u.Subscribed {
		t.Fatalf("unsubscribe: %+v %v", u, err)
	}
	stored, err := f.s.CustomerContacts.Get(ctx, dana.ID)
	must(t, err)
	if stored.Report || stored.UpdatedBy != "unsubscribe:dana@northwind.example" {
		t.Fatalf("contact after unsubscribing %+v", stored)
	}
	if u, err = f.s.Unsubscribe(ctx, tok, "192.0.2.1"); err != nil || u.Subscribed {
		t.Fatalf("the same link again: %+v %v", u, err)
	}
	audit, err := f.s.Audit(ctx, 0, 50)
	must(t, err)
	n := 0
	for _, e := range audit {
		if e.Action == "report.unsubscribe" {
			n++
			if e.RemoteAddr != "192.0.2.1" || e.Target != "customer:"+strconv.FormatInt(c.ID, 10) {
				t.Errorf("audit %+v", e)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d unsubscribe audit entries, want 1", n)
	}
	// The clerk (Dana's address too) now gets the mail as a portal user.
	to, _ = f.s.ReportRecipients(ctx, c.ID)
	if len(to) != 2 || to[1].Kind != RecipientPortalUser || to[1].ID != clerk.ID {
		t.Fatalf("after Dana unsubscribed %+v", to)
	}
	// The manager's link unmarks the manager; a link for an address the
	// user no longer has changes nothing.
	oldTok, err := f.s.UnsubscribeToken(ctx, c.ID, ReportRecipient{Kind: RecipientPortalUser, ID: clerk.ID, Email: "previous@northwind.example"})
	must(t, err)
	if u, err := f.s.Unsubscribe(ctx, oldTok, ""); err != nil || u.Subscribed {
		t.Fatalf("a link of an old address: %+v %v", u, err)
	}
	bossTok, err := f.s.UnsubscribeToken(ctx, c.ID, to[0])
	must(t, err)
	if _, err := f.s.Unsubscribe(ctx, bossTok, ""); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.s.PortalReportOf(ctx, boss.ID); p.Report {
		t.Fatal("the manager still receives the report")
	}
	_, err = f.s.SetPortalReport(ctx, clerk.ID, false, "", admin)
	must(t, err)
	// Nobody marked: report_email again; its link takes the address out.
	to, _ = f.s.ReportRecipients(ctx, c.ID)
	if len(to) != 2 || to[0].Kind != RecipientReportEmail {
		t.Fatalf("fallback again %+v", to)
	}
	oldTok, err = f.s.UnsubscribeToken(ctx, c.ID, to[0])
	must(t, err)
	if _, err := f.s.Unsubscribe(ctx, oldTok, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.s.Customers.Get(ctx, c.ID); got.ReportEmail != "noc@northwind.example" {
		t.Fatalf("report_email after unsubscribing %q", got.ReportEmail)
	}
}
