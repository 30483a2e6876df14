package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// TestCustomerAddressAndContactsAPI: a customer carries a postal address;
// its contacts, with roles and the report mark, come through their own
// endpoints and CSV import, keyed by customer and e-mail address.
func TestCustomerAddressAndContactsAPI(t *testing.T) {
	s := newStationServer(t)
	var c store.Customer
	if code := s.post("/api/v1/customers", map[string]any{"name": "Northwind", "identifier": "5550100",
		"address": map[string]any{"line1": "12 Main St", "postal_code": "62701", "city": "Springfield", "region": "IL", "country": "us"}}, &c); code != http.StatusCreated ||
		c.Address.Country != "US" || c.Address.City != "Springfield" {
		t.Fatalf("create with an address: %d %+v", code, c)
	}
	var apiErr apiError
	if code := s.post("/api/v1/customers", map[string]any{"name": "X", "address": map[string]any{"city": "Springfield"}}, &apiErr); code != http.StatusBadRequest ||
		apiErr.Field != "address.line1" {
		t.Fatalf("an address without a street: %d %+v", code, apiErr)
	}
	if code := s.post("/api/v1/customers", map[string]any{"name": "X", "address": map[string]any{"street": "x"}}, &apiErr); code != http.StatusBadRequest ||
		apiErr.Field != "street" {
		t.Fatalf("an unknown address part: %d %+v", code, apiErr)
	}
	var dana store.CustomerContact
	if code := s.post("/api/v1/customer-contacts", map[string]any{"customer_id": c.ID, "name": "Dana", "roles": []string{"billing", "viewer"},
		"email": "dana@northwind.example", "phone": "+1 217 555 0100", "report": true}, &dana); code != http.StatusCreated ||
		dana.CreatedBy != "station:api" || !dana.Report {
		t.Fatalf("create a contact: %d %+v", code, dana)
	}
	if code := s.post("/api/v1/customer-contacts", map[string]any{"customer_id": c.ID, "name": "Dup", "email": "Dana@Northwind.example"}, &apiErr); code != http.StatusConflict {
		t.Fatalf("the same address twice: %d %+v", code, apiErr)
	}
	csv := "customer,name,email,roles,report\n" +
		"5550100,Dana,dana@northwind.example,billing;viewer;primary,yes\n" +
		"5550100,Frank,frank@northwind.example,technical,no\n"
	var rep store.ImportReport
	if code := s.call("POST", "/api/v1/customer-contacts/import?dry_run=true", "text/csv", csv, &rep); code != http.StatusOK || rep.Created != 1 ||
		rep.Updated != 1 || rep.Applied {
		t.Fatalf("contacts dry run: %d %+v", code, rep)
	}
	if code := s.call("POST", "/api/v1/customer-contacts/import", "text/csv", csv, &rep); code != http.StatusOK || !rep.Applied {
		t.Fatalf("contacts import: %d %+v", code, rep)
	}
	var list struct {
		Items []store.CustomerContact `json:"items"`
	}
	if code := s.call("GET", "/api/v1/customer-contacts?customer_id="+itoa(c.ID), "", "", &list); code != http.StatusOK || len(list.Items) != 2 ||
		strings.Join(list.Items[0].Roles, ",") != "billing,viewer,primary" || list.Items[1].Name != "Frank" {
		t.Fatalf("contacts: %d %+v", code, list.Items)
	}
	bad := "customer,name,email\n9999,Nobody,n@x.example\n"
	if code := s.call("POST", "/api/v1/customer-contacts/import", "text/csv", bad, &rep); code != http.StatusUnprocessableEntity ||
		len(rep.Errors) != 1 || rep.Errors[0].Field != "customer" {
		t.Fatalf("a contact of no customer: %d %+v", code, rep)
	}
	customers := "identifier,name,address_line1,address_city,address_country\n5550100,Northwind,1 New Rd,Chicago,US\n"
	if code := s.call("POST", "/api/v1/customers/import", "text/csv", customers, &rep); code != http.StatusOK || rep.Updated != 1 {
		t.Fatalf("customers import with an address: %d %+v", code, rep)
	}
	if code := s.call("GET", "/api/v1/customers/"+itoa(c.ID), "", "", &c); code != http.StatusOK ||
		c.Address != (store.PostalAddress{Line1: "1 New Rd", City: "Chicago", Country: "US"}) {
		t.Fatalf("the imported address: %d %+v", code, c.Address)
	}
}

// loggedSignal stores one logged closing of an account on receiver 1.
func (s *stationServer) loggedSignal(t *testing.T, account string) int64 {
	t.Helper()
	ev := protocols.Event{Format: "SIA", Account: account, Code: "CL", User: "3", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryOpenClose, Known: true, Description: "Closing Report"}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: account, Events: []protocols.Event{ev}}
	rec := store.Receipt{ReceivedAt: now, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("#" + account + "|NCL3"),
		Resolutions: []store.Resolution{s.st.Resolve(1, account, &ev, now)},
		Handling:    []store.Handling{{Mode: store.HandlingLog, Priority: 9}}}
	if _, err := s.st.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}
	sigs, err := s.st.Signals(context.Background(), store.SignalFilter{Account: account, Desc: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return sigs[0].ID
}

// TestNotesOnLoggedSignalsAPI: an operator, logged in, notes a logged
// closing (CSRF needed, audited); the note comes with the signal in the
// station API and in the client's portal; the bearer token writes no
// notes, and a signal of an incident takes its notes on the incident.
func TestNotesOnLoggedSignalsAPI(t *testing.T) {
	s := newStationServer(t)
	var cust withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "Northwind"}, &cust)
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust.ID, "name": "Main St"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	s.mustCreate("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"})
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", cust.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	closing := s.loggedSignal(t, "1234")
	ann, _ := s.login(t, "ann", "ann's long password")
	var list struct {
		Signals []store.Signal `json:"signals"`
	}
	if code := ann.call("GET", "/api/v1/signals?order=desc&limit=10", nil, &list, false); code != http.StatusOK || len(list.Signals) != 1 {
		t.Fatalf("an operator lists signals: %d %+v", code, list)
	}
	path := "/api/v1/signals/" + itoa(closing) + "/notes"
	if code := ann.call("POST", path, map[string]string{"note": "x"}, nil, false); code != http.StatusForbidden {
		t.Fatalf("a note without the CSRF token: %d", code)
	}
	var n store.SignalNote
	if code := ann.call("POST", path, map[string]string{"note": "Manager phoned: closing late"}, &n, true); code != http.StatusCreated ||
		n.UserName != "ann" || !n.At.Equal(now) {
		t.Fatalf("note: %d %+v", code, n)
	}
	var apiErr apiError
	if code := s.post(path, map[string]string{"note": "by the token"}, &apiErr); code != http.StatusForbidden {
		t.Fatalf("a note with the bearer token: %d %+v", code, apiErr)
	}
	s.alarm(t, "5")
	list.Signals = nil
	ann.call("GET", "/api/v1/signals?order=desc&limit=1", nil, &list, false)
	if code := ann.call("POST", "/api/v1/signals/"+itoa(list.Signals[0].ID)+"/notes", map[string]string{"note": "x"}, &apiErr, true); code != http.StatusConflict ||
		!strings.Contains(apiErr.Error, "incident") {
		t.Fatalf("a note on an incident's signal: %d %+v", code, apiErr)
	}
	var notes struct {
		Items []store.SignalNote `json:"items"`
	}
	if code := ann.call("GET", path, nil, &notes, false); code != http.StatusOK || len(notes.Items) != 1 || notes.Items[0].Note != "Manager phoned: closing late" {
		t.Fatalf("notes: %d %+v", code, notes)
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=100", "", "", &audit)
	found := 0
	for _, e := range audit.Items {
		if strings.Contains(e.Action, "note") && strings.Contains(e.Target+e.Action, "signal") {
			found++
			if e.Action != "signal.note" || e.UserName != "ann" {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if found != 1 {
		t.Fatalf("%d audit entries for the note, want 1", found)
	}
	// The client sees the note with the signal, in the list and on the
	// signal's own page (where the morning report links).
	boss, _ := s.portalLogin(t, cust.Identifier, "boss", "boss's password")
	var sigs struct {
		Signals []portalSignal `json:"signals"`
	}
	boss.call("GET", "/portal/api/signals?site_id="+itoa(site), nil, &sigs, false)
	var noted *portalSignal
	for i := range sigs.Signals {
		if sigs.Signals[i].ID == closing {
			noted = &sigs.Signals[i]
		}
	}
	if noted == nil || len(noted.Notes) != 1 || noted.Notes[0].UserName != "ann" || noted.Notes[0].Note != "Manager phoned: closing late" {
		t.Fatalf("portal signals %+v", sigs.Signals)
	}
	var one portalSignal
	if code := boss.call("GET", "/portal/api/signals/"+itoa(closing), nil, &one, false); code != http.StatusOK || len(one.Notes) != 1 {
		t.Fatalf("portal signal page: %d %+v", code, one)
	}
}

// TestReportRecipientsAndUnsubscribeAPI: the station marks contacts and
// portal users as recipients; a portal user unmarks itself; the account
// manager marks its staff; the signed link unsubscribes without a log-in
// (GET only asks; POST, from the page or a mail program's one click,
// unsubscribes), and a changed link is refused.
func TestReportRecipientsAndUnsubscribeAPI(t *testing.T) {
	s := newStationServer(t)
	var cust withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "Northwind", "report_email": "legacy@northwind.example"}, &cust)
	var rcpt struct {
		Items    []store.ReportRecipient `json:"items"`
		Fallback bool                    `json:"fallback"`
	}
	recipients := "/api/v1/customers/" + itoa(cust.ID) + "/report-recipients"
	if code := s.call("GET", recipients, "", "", &rcpt); code != http.StatusOK || !rcpt.Fallback || len(rcpt.Items) != 1 {
		t.Fatalf("fallback recipients: %d %+v", code, rcpt)
	}
	s.mustCreate("/api/v1/customer-contacts", map[string]any{"customer_id": cust.ID, "name": "Dana", "email": "dana@northwind.example", "report": true})
	boss := s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", cust.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	var p store.PortalReport
	if code := s.call("PUT", "/api/v1/portal-users/"+itoa(boss)+"/report", "application/json",
		`{"report": true, "email": "boss@northwind.example"}`, &p); code != http.StatusOK || !p.Report || p.UpdatedBy != "station:api" {
		t.Fatalf("the station marks the manager: %d %+v", code, p)
	}
	rcpt.Items = nil
	s.call("GET", recipients, "", "", &rcpt)
	if rcpt.Fallback || len(rcpt.Items) != 2 || rcpt.Items[1].Email != "boss@northwind.example" {
		t.Fatalf("recipients: %+v", rcpt)
	}

	// In the portal: the manager marks a clerk, the clerk sees it and
	// unmarks itself; a clerk may not mark others.
	bossC, _ := s.portalLogin(t, cust.Identifier, "boss", "boss's password")
	var clerkUser store.PortalUser
	bossC.call("POST", "/portal/api/users", map[string]any{"username": "clerk", "password": "clerk's password"}, &clerkUser, true)
	if code := bossC.call("PUT", "/portal/api/users/"+itoa(clerkUser.ID)+"/report", map[string]any{"report": true, "email": "clerk@northwind.example"}, &p, true); code != http.StatusOK ||
		!strings.HasSuffix(p.UpdatedBy, "/boss") {
		t.Fatalf("the manager marks the clerk: %d %+v", code, p)
	}
	clerk, _ := s.portalLogin(t, cust.Identifier, "clerk", "clerk's password")
	var mine portalReportView
	if code := clerk.call("GET", "/portal/api/me/report", nil, &mine, false); code != http.StatusOK || !mine.Available || !mine.Report ||
		mine.Email != "clerk@northwind.example" {
		t.Fatalf("the clerk's setting: %d %+v", code, mine)
	}
	if code := clerk.call("PUT", "/portal/api/users/"+itoa(boss)+"/report", map[string]any{"report": false}, nil, true); code != http.StatusForbidden {
		t.Fatalf("the clerk unmarks the manager: %d", code)
	}
	if code := clerk.call("GET", "/portal/api/report-recipients", nil, nil, false); code != http.StatusForbidden {
		t.Fatalf("the clerk lists the recipients: %d", code)
	}
	if code := clerk.call("PUT", "/portal/api/me/report", map[string]any{"report": false}, &mine, true); code != http.StatusOK || mine.Report {
		t.Fatalf("the clerk unmarks itself: %d %+v", code, mine)
	}
	rcpt.Items = nil
	bossC.call("GET", "/portal/api/report-recipients", nil, &rcpt, false)
	if len(rcpt.Items) != 2 {
		t.Fatalf("after the clerk left: %+v", rcpt)
	}

	// Dana's link: GET asks, POST unsubscribes; a changed link is refused.
	token, err := s.st.UnsubscribeToken(context.Background(), cust.ID, rcpt.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	page := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "GET" {
			resp, err = http.Get(s.url + path)
		} else {
			resp, err = http.PostForm(s.url+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	link := "/portal/unsubscribe?token=" + url.QueryEscape(token)
	if code, body := page("GET", link, nil); code != http.StatusOK || !strings.Contains(body, "Stop sending the morning report of Northwind to dana@northwind.example?") {
		t.Fatalf("the link's page: %d %s", code, body)
	}
	if rcpt.Items = nil; s.call("GET", recipients, "", "", &rcpt) != http.StatusOK || len(rcpt.Items) != 2 {
		t.Fatalf("opening the link unsubscribed: %+v", rcpt)
	}
	tampered := strings.Replace(token, token[len(token)-6:], "AAAAAA", 1)
	if code, body := page("POST", "/portal/unsubscribe", url.Values{"token": {tampered}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "not valid") {
		t.Fatalf("a tampered link: %d %s", code, body)
	}
	if code, body := page("POST", "/portal/unsubscribe", url.Values{"token": {token}}); code != http.StatusOK ||
		!strings.Contains(body, "dana@northwind.example will no longer receive the morning report of Northwind") {
		t.Fatalf("unsubscribe: %d %s", code, body)
	}
	rcpt.Items = nil
	s.call("GET", recipients, "", "", &rcpt)
	if len(rcpt.Items) != 1 || rcpt.Items[0].Email != "boss@northwind.example" {
		t.Fatalf("after Dana unsubscribed: %+v", rcpt)
	}
	var contacts struct {
		Items []store.CustomerContact `json:"items"`
	}
	s.call("GET", "/api/v1/customer-contacts?customer_id="+itoa(cust.ID), "", "", &contacts)
	if len(contacts.Items) != 1 || contacts.Items[0].Report || contacts.Items[0].UpdatedBy != "unsubscribe:dana@northwind.example" {
		t.Fatalf("Dana after unsubscribing: %+v", contacts.Items)
	}
	// A mail program's one-click POST [RFC 8058] to the List-Unsubscribe
	// address, token in the query.
	bossToken, _ := s.st.UnsubscribeToken(context.Background(), cust.ID, rcpt.Items[0])
	if code, _ := page("POST", "/portal/unsubscribe?token="+url.QueryEscape(bossToken), url.Values{"List-Unsubscribe": {"One-Click"}}); code != http.StatusOK {
		t.Fatalf("one-click: %d", code)
	}
	if code := bossC.call("GET", "/portal/api/me/report", nil, &mine, false); code != http.StatusOK || mine.Report {
		t.Fatalf("the manager after its one-click unsubscribe: %d %+v", code, mine)
	}
}

// TestOfficeStaffRightsOverReports: the account manager decides who may
// annotate a stored report (reports) and who may delete it
// (reports.delete); the report says who wrote and who last changed it; a
// deleted report leaves the portal's list, and its link answers 410.
func TestOfficeStaffRightsOverReports(t *testing.T) {
	s := newStationServer(t)
	var cust, other withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "Northwind"}, &cust)
	s.post("/api/v1/customers", map[string]any{"name": "Other"}, &other)
	ctx := context.Background()
	save := func(customer int64, night string) *store.Report {
		rep, _, err := s.st.SaveReport(ctx, &store.Report{CustomerID: customer, Night: night, From: now, To: now, Subject: "Night report " + night,
			HTML: "<!doctype html><html><body style=\"x\"><p>all quiet</p></body></html>", Text: "all quiet\n"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first, second, theirs := save(cust.ID, "2024-01-01"), save(cust.ID, "2024-01-02"), save(other.ID, "2024-01-01")
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", cust.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	boss, _ := s.portalLogin(t, cust.Identifier, "boss", "boss's password")
	for _, u := range []map[string]any{
		{"username": "reader", "password": "reader's password"},
		{"username": "editor", "password": "editor's password", "rights": []string{"reports"}},
		{"username": "archivist", "password": "archivist's password", "rights": []string{"reports", "reports.delete"}},
	} {
		if code := boss.call("POST", "/portal/api/users", u, nil, true); code != http.StatusCreated {
			t.Fatalf("create %v: %d", u["username"], code)
		}
	}
	reader, _ := s.portalLogin(t, cust.Identifier, "reader", "reader's password")
	editor, _ := s.portalLogin(t, cust.Identifier, "editor", "editor's password")
	archivist, _ := s.portalLogin(t, cust.Identifier, "archivist", "archivist's password")
	annotate := func(o *operator, id int64, text string) int {
		return o.call("PUT", "/portal/api/reports/"+itoa(id)+"/annotation", map[string]string{"annotation": text}, nil, true)
	}
	if code := annotate(reader, first.ID, "x"); code != http.StatusForbidden {
		t.Fatalf("staff without the right annotates: %d", code)
	}
	if code := editor.call("DELETE", "/portal/api/reports/"+itoa(first.ID), nil, nil, true); code != http.StatusForbidden {
		t.Fatalf("staff with reports only deletes: %d", code)
	}
	if code := annotate(editor, theirs.ID, "x"); code != http.StatusNotFound {
		t.Fatalf("another customer's report: %d", code)
	}
	if code := annotate(editor, first.ID, "The 02:00 alarm was our cleaner <b>Jo</b>"); code != http.StatusOK {
		t.Fatalf("the editor annotates: %d", code)
	}
	var list struct {
		Items []store.Report `json:"items"`
	}
	reader.call("GET", "/portal/api/reports", nil, &list, false)
	if len(list.Items) != 2 || list.Items[1].ID != first.ID || list.Items[1].CreatedBy != "station" ||
		list.Items[1].UpdatedBy != "portal:"+store.ScopeOf("customer", cust.ID)+"/editor" || list.Items[1].Annotation == "" {
		t.Fatalf("reports as the reader sees them: %+v", list.Items)
	}
	// The annotation comes first in the report, marked, escaped; the
	// mailed content stays as it was.
	view := func(o *operator, path string) (int, string) {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		resp, err := o.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, html := view(reader, "/portal/api/reports/"+itoa(first.ID))
	if code != http.StatusOK || !strings.Contains(html, "Note added by portal:"+store.ScopeOf("customer", cust.ID)+"/editor") ||
		!strings.Contains(html, "&lt;b&gt;Jo&lt;/b&gt;") || !strings.Contains(html, "<p>all quiet</p>") ||
		strings.Index(html, "Note added") < strings.Index(html, "<body") {
		t.Fatalf("annotated report: %d %s", code, html)
	}
	if code, text := view(reader, "/portal/api/reports/"+itoa(first.ID)+"?format=text"); code != http.StatusOK ||
		!strings.HasPrefix(text, "Note added by ") || !strings.HasSuffix(text, "all quiet\n") {
		t.Fatalf("annotated text: %d %q", code, text)
	}
	if code := archivist.call("DELETE", "/portal/api/reports/"+itoa(second.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("the archivist deletes: %d", code)
	}
	list.Items = nil
	reader.call("GET", "/portal/api/reports", nil, &list, false)
	if len(list.Items) != 1 || list.Items[0].ID != first.ID {
		t.Fatalf("reports after the deletion: %+v", list.Items)
	}
	var apiErr apiError
	if code := reader.call("GET", "/portal/api/reports/"+itoa(second.ID), nil, &apiErr, false); code != http.StatusGone ||
		!strings.Contains(apiErr.Error, "/archivist") {
		t.Fatalf("a deleted report's link: %d %+v", code, apiErr)
	}
	// The station sees the tombstone: who deleted it, when.
	var station struct {
		Items []store.Report `json:"items"`
	}
	s.call("GET", "/api/v1/reports?customer_id="+itoa(cust.ID), "", "", &station)
	if len(station.Items) != 2 || station.Items[0].DeletedAt == nil || !strings.HasSuffix(station.Items[0].DeletedBy, "/archivist") {
		t.Fatalf("the station's list: %+v", station.Items)
	}
	// The manager may do both without rights of its own.
	if code := annotate(boss, first.ID, ""); code != http.StatusOK {
		t.Fatalf("the manager clears the annotation: %d", code)
	}
	if code := boss.call("DELETE", "/portal/api/reports/"+itoa(first.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("the manager deletes: %d", code)
	}
	// Only the rights the store knows can be given.
	if code := boss.call("POST", "/portal/api/users", map[string]any{"username": "x", "password": "x's long password", "rights": []string{"reports.edit"}}, &apiErr, true); code != http.StatusBadRequest {
		t.Fatalf("an unknown right: %d %+v", code, apiErr)
	}
}
