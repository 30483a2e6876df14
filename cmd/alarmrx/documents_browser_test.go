package main

import (
	"context"
	"io"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/daemon/report"
	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap/zaptest"
)

// mailbox is a real SMTP server on 127.0.0.1 keeping what it receives.
type mailbox struct {
	mu   sync.Mutex
	mail map[string]string // recipient → the last message to it
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

type mailSession struct {
	m  *mailbox
	to []string
}

func (s *mailSession) Reset()                                    { s.to = nil }
func (s *mailSession) Logout() error                             { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	for _, to := range s.to {
		s.m.mail[to] = string(b)
	}
	return nil
}

func (m *mailbox) recipients() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for to := range m.mail {
		out = append(out, to)
	}
	return out
}

// unsubscribeLink is the List-Unsubscribe address of the last mail to to.
func (m *mailbox) unsubscribeLink(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	data, ok := m.mail[to]
	m.mu.Unlock()
	if !ok {
		t.Fatalf("no mail to %s", to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(data))
	must(t, err)
	return strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
}

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	m := &mailbox{mail: map[string]string{}}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m, ln.Addr().(*net.TCPAddr).Port
}

// mailReports runs the morning report against the daemon's store as if it
// were two minutes from now, with a night that began at midnight the day
// before: what the test sent is in it.
func mailReports(t *testing.T, st *store.Store, base string, port int) {
	t.Helper()
	at := time.Now().UTC().Add(2 * time.Minute)
	r := report.New(report.Options{Store: st, Customers: st.Customers, SMTP: report.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "noc@station.example"},
		SendAt: at.Format("15:04"), WindowStart: "00:00", PortalURL: base, Logger: zaptest.NewLogger(t), Now: func() time.Time { return at }})
	if n, err := r.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("morning reports: %d sent, %v", n, err)
	}
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	exe := chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	bctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return bctx
}

// portalLogIn logs a portal user in from the login form.
func portalLogIn(base, identifier, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/portal/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("identifier").value = ""; document.getElementById("username").value = ""`),
		chromedp.SendKeys(chromedp.ID("identifier"), identifier),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sites tbody tr[data-id]`)),
	)
}

// TestSignalNotesInBrowser: an operator notes a logged closing on the
// console's Signals page; the client sees the note with the signal in the
// portal (site page and the signal's own page) and under the event in the
// morning report, viewed in the portal.
func TestSignalNotesInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Northwind Bank", TimeZone: "UTC"}
	must(t, st.Customers.Create(ctx, cust))
	site := &store.Site{CustomerID: cust.ID, Name: "Northwind Main St", TimeZone: "UTC"}
	must(t, st.Sites.Create(ctx, site))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	must(t, st.CreateUser(ctx, &store.User{Username: "ann", Role: store.RoleOperator}, "ann's long password", store.Actor{Name: "setup"}))
	boss := &store.PortalUser{Scope: store.ScopeOf("customer", cust.ID), Kind: store.PortalManager, Username: "boss"}
	must(t, st.CreatePortalUser(ctx, boss, "boss's long password", store.Actor{Name: "admin"}))
	_, err := st.SetPortalReport(ctx, boss.ID, true, "boss@northwind.example", store.Actor{Name: "admin"})
	must(t, err)
	// A closing by user 3: logged, never queued.
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/CL003"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	base := "http://" + d.HTTPAddr()
	const note = "Manager phoned ahead: closing late for the stock count"
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/console/", "ann", "ann's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Click(chromedp.CSS(`#nav a[href="#/signals"]`)),
		chromedp.WaitVisible(chromedp.ID("view-signals")),
		poll(`document.getElementById("signal-list").textContent.includes("logged")`),
		chromedp.SendKeys(chromedp.CSS(`#signal-list tbody tr .note-text`), note),
		chromedp.Click(chromedp.CSS(`#signal-list tbody tr .note-add`)),
		poll(`document.getElementById("signal-list").textContent.includes("ann ") && document.getElementById("signal-list").textContent.includes(`+strconv.Quote(note)+`)`),
	))
	screenshot(t, bctx, "console-signals.png")
	sigs, err := st.Signals(ctx, store.SignalFilter{Account: "2345"})
	must(t, err)
	if len(sigs) != 1 || len(sigs[0].Notes) != 1 || sigs[0].Notes[0].UserName != "ann" || sigs[0].Notes[0].Note != note {
		t.Fatalf("stored signal %+v", sigs)
	}

	mailbox, port := startMailbox(t)
	mailReports(t, st, base, port)
	reps, err := st.Reports(ctx, cust.ID, 1)
	must(t, err)
	if len(reps) != 1 || !strings.Contains(reps[0].Text, "Note by ann at ") || !strings.Contains(reps[0].Text, note) {
		t.Fatalf("the report's text: %+v", reps)
	}
	if got := mailbox.recipients(); len(got) != 1 || got[0] != "boss@northwind.example" {
		t.Fatalf("mailed to %v", got)
	}
	must(t, chromedp.Do(bctx,
		portalLogIn(base, cust.Identifier, "boss", "boss's long password"),
		clickInPage(`#sites tbody tr[data-id] a`),
		chromedp.WaitVisible(chromedp.ID("view-site")),
		poll(`document.getElementById("signals").textContent.includes("ann: `+note+`")`),
		chromedp.Navigate(base+"/portal/#/signal/"+strconv.FormatInt(sigs[0].ID, 10)),
		chromedp.WaitVisible(chromedp.ID("view-event")),
		poll(`document.getElementById("event-log").textContent.includes("note: `+note+`")`),
		chromedp.Navigate(base+"/portal/api/reports/"+strconv.FormatInt(reps[0].ID, 10)),
		poll(`document.body.textContent.includes("Note by ann at") && document.body.textContent.includes("`+note+`")`),
	))
}

// TestReportsInBrowser: the account manager receives the morning report
// at its own address and gives its office staff theirs; a contact's mail
// unsubscribes it by its link, without a log-in (a changed link is
// refused); the manager unsubscribes in the portal; office staff with the
// right annotate a stored report (and it shows who changed it), those
// without it see no delete button, and those with reports.delete delete it.
func TestReportsInBrowser(t *testing.T) {
	bctx := newBrowser(t, 120*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Northwind Bank HQ", TimeZone: "UTC", ReportEmail: "legacy@northwind.example"}
	must(t, st.Customers.Create(ctx, cust))
	site := &store.Site{CustomerID: cust.ID, Name: "Northwind Main St"}
	must(t, st.Sites.Create(ctx, site))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	must(t, st.CustomerContacts.Create(ctx, &store.CustomerContact{CustomerID: cust.ID, Name: "Dana Billing", Roles: store.Strings{"billing"},
		Email: "dana@northwind.example", Report: true}))
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: store.ScopeOf("customer", cust.ID), Kind: store.PortalManager, Username: "boss"},
		"boss's long password", store.Actor{Name: "admin"}))
	// The site was watched from just now: a report tells of it only if
	// something happened.
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/OP003"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	base := "http://" + d.HTTPAddr()

	// The manager subscribes itself, and creates a clerk who may annotate
	// reports (and receives them) and an archivist who may delete them.
	must(t, chromedp.Do(bctx,
		portalLogIn(base, cust.Identifier, "boss", "boss's long password"),
		chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.ID("report-on")),
		chromedp.SendKeys(chromedp.ID("report-email"), "boss@northwind.example"),
		chromedp.Click(chromedp.ID("report-save")),
		poll(`document.getElementById("report-status").textContent === "You receive the morning report at boss@northwind.example."`),
		chromedp.SendKeys(chromedp.ID("staff-username"), "clerk"),
		chromedp.SendKeys(chromedp.ID("staff-password"), "clerk's long password"),
		chromedp.SendKeys(chromedp.ID("staff-report-email"), "clerk@northwind.example"),
		chromedp.Click(chromedp.CSS(`#staff-rights input[value=reports]`)),
		chromedp.Click(chromedp.ID("staff-add")),
		poll(`(document.querySelector('#staff tr[data-user=clerk]') || {textContent: ""}).textContent.includes("clerk@northwind.example")`),
		chromedp.SendKeys(chromedp.ID("staff-username"), "archivist"),
		chromedp.SendKeys(chromedp.ID("staff-password"), "archivist's long password"),
		chromedp.Click(chromedp.CSS(`#staff-rights input[value="reports.delete"]`)),
		chromedp.Click(chromedp.ID("staff-add")),
		poll(`(document.querySelector('#staff tr[data-user=archivist]') || {textContent: ""}).textContent.includes("delete reports")`),
	))
	mailbox, port := startMailbox(t)
	mailReports(t, st, base, port)
	got := strings.Join(slices.Sorted(slices.Values(mailbox.recipients())), " ")
	if got != "boss@northwind.example clerk@northwind.example dana@northwind.example" {
		t.Fatalf("mailed to %s (report_email is the fallback only)", got)
	}

	// Dana follows her mail's link: the page asks, the button unsubscribes.
	link := mailbox.unsubscribeLink(t, "dana@northwind.example")
	if !strings.HasPrefix(link, base+"/portal/unsubscribe?token=") {
		t.Fatalf("List-Unsubscribe %q", link)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(link[:len(link)-3]+"abc"),
		chromedp.WaitVisible(chromedp.ID("unsubscribe-result")),
		poll(`document.getElementById("unsubscribe-result").textContent.includes("not valid")`),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("unsubscribe")),
		poll(`document.body !== null && document.body.textContent.includes("Stop sending the morning report of Northwind Bank HQ to dana@northwind.example?")`),
	))
	to, err := st.ReportRecipients(ctx, cust.ID)
	must(t, err)
	if len(to) != 3 {
		t.Fatalf("opening the link unsubscribed: %+v", to)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("unsubscribe")),
		// The form's POST loads the answer page.
		chromedp.WaitVisible(chromedp.ID("unsubscribe-result")),
		poll(`document.getElementById("unsubscribe-result").textContent.includes("dana@northwind.example will no longer receive")`),
	))
	// The manager stops its own copy in the portal.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/portal/"),
		chromedp.WaitVisible(chromedp.ID("report-form")),
		poll(`document.getElementById("report-on").checked`),
		chromedp.Click(chromedp.ID("report-on")),
		chromedp.Click(chromedp.ID("report-save")),
		poll(`document.getElementById("report-status").textContent === "You do not receive the morning report."`),
	))
	to, err = st.ReportRecipients(ctx, cust.ID)
	must(t, err)
	if len(to) != 1 || to[0].Email != "clerk@northwind.example" {
		t.Fatalf("recipients after two unsubscribed: %+v", to)
	}

	// The clerk annotates the report; it has no delete button.
	const note = "The 02:00 alarm was our cleaner, Jo"
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		portalLogIn(base, cust.Identifier, "clerk", "clerk's long password"),
		poll(`document.querySelectorAll("#reports li").length === 1`),
		poll(`document.querySelector("#reports .delete-report") === null`),
		chromedp.SendKeys(chromedp.CSS(`#reports .annotation-text`), note),
		chromedp.Click(chromedp.CSS(`#reports .annotate`)),
		poll(`document.querySelector("#reports .annotation") !== null && document.querySelector("#reports .annotation").textContent === "Note: `+note+`"`),
		poll(`document.querySelector("#reports .report-by").textContent.includes("last changed by portal:customer:`+strconv.FormatInt(cust.ID, 10)+`/clerk")`),
	))
	screenshot(t, bctx, "portal-reports.png")
	// The archivist deletes it (two clicks).
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		portalLogIn(base, cust.Identifier, "archivist", "archivist's long password"),
		poll(`document.querySelectorAll("#reports li").length === 1 && document.querySelector("#reports .annotate") === null`),
		chromedp.Click(chromedp.CSS(`#reports .delete-report`)),
		poll(`document.querySelector("#reports .delete-report").textContent === "Really delete this report?"`),
		chromedp.Click(chromedp.CSS(`#reports .delete-report`)),
		poll(`document.querySelectorAll("#reports li").length === 0`),
	))
	reps, err := st.Reports(ctx, cust.ID, 10)
	must(t, err)
	if len(reps) != 1 || reps[0].DeletedAt == nil || !strings.HasSuffix(reps[0].DeletedBy, "/archivist") || reps[0].HTML != "" {
		t.Fatalf("the stored report after the deletion: %+v", reps)
	}
}

// TestCustomerContactsInBrowser: an admin opens a customer's contacts on
// the console's Clients page, adds a billing contact who receives the
// morning report, and sees where the report now goes; unmarking it falls
// back to report_email.
func TestCustomerContactsInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Northwind Bank", ReportEmail: "legacy@northwind.example"}
	must(t, st.Customers.Create(ctx, cust))
	must(t, st.CreateUser(ctx, &store.User{Username: "ada", Role: store.RoleAdmin}, "ada's long password", store.Actor{Name: "setup"}))
	base := "http://" + d.HTTPAddr()
	defer func() {
		if t.Failed() {
			s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("contacts-recipients").textContent + " | " + document.getElementById("clients-error").textContent`))
			t.Log("page:", s)
		}
	}()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/console/", "ada", "ada's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Click(chromedp.CSS(`#nav a[href="#/clients"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#clients-customers button.contacts`)),
		chromedp.Click(chromedp.CSS(`#clients-customers button.contacts`)),
		chromedp.WaitVisible(chromedp.ID("contacts-panel")),
		poll(`document.getElementById("contacts-recipients").textContent.includes("legacy@northwind.example")`),
		chromedp.SendKeys(chromedp.ID("ct-name"), "Dana Billing"),
		chromedp.SendKeys(chromedp.ID("ct-email"), "dana@northwind.example"),
		chromedp.SetValue(chromedp.ID("ct-role"), "billing"),
		chromedp.Click(chromedp.ID("ct-report")),
		chromedp.Click(chromedp.ID("ct-add")),
		poll(`document.getElementById("contacts-recipients").textContent === "The morning report goes to: dana@northwind.example."`),
	))
	list, err := st.CustomerContacts.List(ctx, store.ListOptions{Limit: 10})
	must(t, err)
	if len(list) != 1 || list[0].Name != "Dana Billing" || !list[0].Report || strings.Join(list[0].Roles, ",") != "billing" {
		t.Fatalf("stored contacts %+v", list)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`#customer-contacts input.report-mark`)),
		poll(`document.getElementById("contacts-recipients").textContent.includes("legacy@northwind.example")`),
	))
	if c, err := st.CustomerContacts.Get(ctx, list[0].ID); err != nil || c.Report {
		t.Fatalf("after unmarking: %+v %v", c, err)
	}
}
