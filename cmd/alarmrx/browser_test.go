package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium to drive. .ci/run installs Debian's chromium
// and sets ALARMRX_BROWSER_TESTS=required, so that in CI a missing browser
// fails the test instead of skipping it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ALARMRX_BROWSER_TESTS") == "required" {
		t.Fatal("no Chromium found, and ALARMRX_BROWSER_TESTS=required")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium); .ci/run installs it")
	return ""
}

// TestConsoleInBrowser logs an operator in to the console in a real
// headless Chromium, sends a signal with `alarmrx send`, sees it appear in
// the queue without a reload, opens it (which does not claim it), claims
// it with the first step, adds a note, dispatches the site's guard
// company and resolves it; the action log reads as sentences.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-*.png.
func TestConsoleInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.XML.Senders = []configs.XMLSender{{ID: "chekt", Passkey: "chekt-passkey-0123456789abcdef", Receiver: 1, Line: 3}}
	})
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Northwind Bank"}
	must(t, st.Customers.Create(ctx, cust))
	site := &store.Site{CustomerID: cust.ID, Name: "Northwind Bank, Main St branch", Address: "12 Main St, Springfield",
		TimeZone: "Europe/London", Identifier: "+441632960123", Notes: "Alarm panel in the back office"}
	must(t, st.Sites.Create(ctx, site))
	acct := &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID, SystemType: "intrusion"}
	must(t, st.Accounts.Create(ctx, acct))
	must(t, st.Zones.Create(ctx, &store.Zone{AccountID: acct.ID, Number: "017", Description: "Front door", Type: "entry/exit"}))
	passcode := "tulip-7"
	must(t, st.RespondingParties.Create(ctx, &store.RespondingParty{SiteID: site.ID, Position: 1, Name: "Dana Keyholder",
		Role: "keyholder", Phones: store.Strings{"+44 1632 960 456"}, Passcode: &passcode}))
	must(t, st.Authorities.Create(ctx, &store.Authority{SiteID: site.ID, Kind: "police", Name: "Springfield Police", Phones: store.Strings{"999"}}))
	must(t, st.Authorities.Create(ctx, &store.Authority{SiteID: site.ID, Kind: "guard", Name: "Acme Patrol", Phones: store.Strings{"+44 1632 960 999"}}))
	must(t, st.CreateUser(ctx, &store.User{Username: "ann", FullName: "Ann Operator", Role: store.RoleOperator},
		"ann's long password", store.Actor{Name: "setup"}))
	must(t, st.CreateInstruction(ctx, &store.Instruction{SiteID: site.ID, Text: "Dog on premises",
		Until: time.Now().Add(72 * time.Hour)}, store.Actor{Name: "sue"}))

	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "ann", "ann's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		poll(`document.getElementById("live").classList.contains("on")`),
	))

	// A panel sends a burglary on zone 017; the console shows it unprompted.
	code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA017")
	if code != 0 {
		t.Fatalf("send: exit %d %s %s", code, out, errs)
	}
	must(t, chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`#queue-table tbody tr[data-id]`))))
	title := text(t, bctx, chromedp.CSS(`#queue-table tbody tr[data-id] td:nth-child(3)`))
	if !strings.Contains(title, "Burglary") || !strings.Contains(title, "017") {
		t.Fatalf("queue row title %q", title)
	}

	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`#queue-table tbody tr[data-id]`)),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		// Opening the incident only shows it.
		poll(`document.getElementById("incident-title").textContent.includes("Burglary")`),
		poll(`document.getElementById("incident-claim").textContent === "unclaimed" && !document.getElementById("claim").hidden`),
		// The burglary plan: call the premises, verify the passcode, call
		// the call list, dispatch police. "Log" on the first step fills the
		// call form, and the call completes it.
		poll(`document.getElementById("plan-name").textContent === "Burglary"`),
		// The site's temporary instruction is above the plan; the operator
		// adds one for the account.
		poll(`document.querySelector("#instructions li").textContent.startsWith("Dog on premises until ")`),
		chromedp.SendKeys(chromedp.ID("instruction-text"), "Back door lock broken: use the front"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("instruction-until").value = new Date(Date.now() + 2*86400e3).toISOString().slice(0, 10)`),
		chromedp.Click(chromedp.ID("instruction-add")),
		poll(`document.querySelectorAll("#instructions li").length === 2 && document.querySelector("#instructions li").textContent.startsWith("Back door lock broken")`),
		poll(`[...document.querySelectorAll("#plan-steps li .label")].map(l => l.textContent).join("|") === `+
			`"Call the premises|Verify the passcode|Call the call list in order until someone is reached|Dispatch police"`),
		clickInPage(`#plan-steps li[data-position="1"] button.plan-log`),
		poll(`document.getElementById("call-contact").value === "Premises"`),
		chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)),
		// The call, the first step taken, claimed the incident.
		poll(`document.getElementById("incident-claim").textContent === "claimed by ann"`),
		poll(`document.getElementById("claim").hidden && !document.getElementById("release").hidden`),
		poll(`document.querySelector('#plan-steps li[data-position="1"]').className === "step-done"`),
		poll(`document.querySelector('#plan-steps li[data-position="1"] .state').textContent.startsWith("done: reached by ann at ")`),
		chromedp.SendKeys(chromedp.ID("note-text"), "Called Dana: on her way"),
		chromedp.Click(chromedp.ID("note-add")),
		poll(`document.getElementById("actions").textContent.includes("Called Dana: on her way")`),
		// The guard company is offered for dispatch beside the police.
		poll(`[...document.querySelectorAll("#agencies option")].some(o => o.value === "guard: Acme Patrol")`),
		chromedp.SendKeys(chromedp.ID("dispatch-to"), "guard: Acme Patrol"),
		chromedp.Click(chromedp.CSS(`#dispatch-form button[type=submit]`)),
		poll(`document.getElementById("actions").textContent.includes("guard: Acme Patrol")`),
		// The caller gives a wrong passcode, then the right one.
		poll(`[...document.querySelectorAll("#passcode-party option")].some(o => o.textContent === "Dana Keyholder")`),
		chromedp.SendKeys(chromedp.ID("passcode-given"), "tulip-8"),
		chromedp.Click(chromedp.CSS(`#passcode-form button[type=submit]`)),
		poll(`document.getElementById("passcode-result").textContent === "Passcode WRONG"`),
		chromedp.SendKeys(chromedp.ID("passcode-given"), "tulip-7"),
		chromedp.Click(chromedp.CSS(`#passcode-form button[type=submit]`)),
		poll(`document.getElementById("passcode-result").textContent === "Passcode correct"`),
		poll(`document.getElementById("passcode-given").value === ""`),
		// The dispatch and the check completed their steps; the call list
		// is left.
		poll(`[...document.querySelectorAll("#plan-steps li")].map(l => l.className).join(" ") === "step-done step-done step-pending step-done"`),
	))
	if page := text(t, bctx, chromedp.ID("view-incident")); strings.Contains(page, "tulip") {
		t.Fatalf("the incident page shows the passcode: %q", page)
	}
	zones, signals := text(t, bctx, chromedp.ID("zones")), text(t, bctx, chromedp.ID("signals"))
	if !strings.Contains(zones, "Front door") || !strings.Contains(signals, "#2345|Nri1/BA017") {
		t.Fatalf("incident page: zones %q signals %q", zones, signals)
	}
	// The action log is written in words, in the site's time zone with
	// UTC on hover.
	logRows, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#actions tbody tr")].map(r => r.cells[1].textContent)`))
	must(t, err)
	wantLog := []string{"alarmrx opened the incident on BA, zone 017, priority 4", "ann claimed the incident",
		"ann called Premises: reached (plan step 1)", "ann noted: Called Dana: on her way", "ann dispatched guard: Acme Patrol",
		"ann checked Dana Keyholder's passcode: WRONG", "ann checked Dana Keyholder's passcode: correct"}
	if !slices.Equal(logRows, wantLog) {
		t.Errorf("action log\n%q\nwant\n%q", logRows, wantLog)
	}
	stamp, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`(() => { const t = document.querySelector("#actions tbody time"); return [t.textContent, t.title]; })()`))
	must(t, err)
	if len(stamp) != 2 || !strings.HasSuffix(stamp[1], " UTC") || !strings.Contains(stamp[0], "GMT") {
		t.Errorf("action log time %q: want the site's (Europe/London, GMT) with UTC on hover", stamp)
	}
	screenshot(t, bctx, "console-incident.png")
	must(t, chromedp.Do(bctx,
		poll(`document.getElementById("resolve-code").options.length > 0`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("resolve-code").value = "false_alarm"`),
		// With the call list not called, an operator gives the reason.
		chromedp.Click(chromedp.ID("resolve")),
		poll(`document.getElementById("incident-error").textContent.includes("the action plan has open steps (Call the call list")`),
		chromedp.SendKeys(chromedp.ID("resolve-note"), "Door not closed properly"),
		chromedp.Click(chromedp.ID("resolve")),
		poll(`document.getElementById("incident-status").textContent === "resolved"`),
	))

	list, err := st.Incidents(ctx, store.IncidentFilter{})
	must(t, err)
	if len(list) != 1 || list[0].Status != store.IncidentResolved || list[0].ResolutionCode != "false_alarm" {
		t.Fatalf("stored incident %+v", list)
	}
	log, err := st.IncidentActions(ctx, list[0].ID)
	must(t, err)
	var steps []string
	for _, a := range log {
		steps = append(steps, a.UserName+":"+a.Action)
	}
	if got := strings.Join(steps, " "); got != "system:opened ann:claimed ann:called ann:note ann:dispatched ann:passcode_checked ann:passcode_checked ann:resolved" {
		t.Fatalf("action log %q", got)
	}

	// A CHeKT-style XML signal for ABC1234 (unknown here): its incident
	// page shows the portal link it carried.
	xmlBody, err := os.ReadFile("../../testdata/xmlsignal/chekt-style.xml")
	must(t, err)
	req, _ := http.NewRequest(http.MethodPost, base+"/xml/v1/signals", bytes.NewReader(xmlBody))
	req.Header.Set("Authorization", "Bearer chekt-passkey-0123456789abcdef")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xml post: %d", resp.StatusCode)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/queue"),
		chromedp.WaitVisible(chromedp.CSS(`#queue-table tbody tr[data-id]`)),
		chromedp.Click(chromedp.CSS(`#queue-table tbody tr[data-id]`)),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		poll(`[...document.querySelectorAll("#signals a.media")].some(a => a.href === "https://monitoring.chekt.com/monitoring?act=ABC1234&zone=017")`),
	))
	screenshot(t, bctx, "console-xml-incident.png")

	// The dashboard shows the figures of /metrics.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/dashboard"),
		chromedp.WaitVisible(chromedp.ID("view-dashboard")),
		poll(`document.getElementById("tiles").children.length > 5`),
	))
	tiles := text(t, bctx, chromedp.ID("tiles"))
	if !strings.Contains(tiles, "DC-09 (SIA IP): signals/s") || strings.Contains(tiles, "dc09") || !strings.Contains(tiles, "up\nstore") || !strings.Contains(tiles, "open incidents") {
		t.Fatalf("dashboard tiles %q", tiles)
	}
	screenshot(t, bctx, "console-dashboard.png")
}

// poll waits up to 10 s for a JavaScript condition in the page.
// clickInPage clicks the first element a selector finds, inside the page:
// rows that the live stream re-renders can be replaced between a query
// from outside and the click.
func clickInPage(selector string) chromedp.Action[chromedp.Void] {
	return poll(`(() => { const e = document.querySelector(` + strconv.Quote(selector) + `); if (e) e.click(); return e !== null; })()`)
}

func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second))
}

// text returns the visible text of the first element a selector finds.
func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	must(t, err)
	return s
}

// consoleLogIn opens the console at url and logs a station user in from
// the login form.
func consoleLogIn(url, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seedSite creates a customer and one site of it (tz "" leaves the
// site's zone to the default).
func seedSite(t *testing.T, st *store.Store, customer, site, tz string) (*store.Customer, *store.Site) {
	t.Helper()
	ctx := context.Background()
	c := &store.Customer{Name: customer}
	must(t, st.Customers.Create(ctx, c))
	s := &store.Site{CustomerID: c.ID, Name: site, TimeZone: tz}
	must(t, st.Sites.Create(ctx, s))
	return c, s
}

// screenshot saves the page to docs/ when ALARMRX_UPDATE_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ALARMRX_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	must(t, os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644))
}

// TestPortalInBrowser: an HQ's account manager logs in to the client portal
// with the HQ's identifier, sees a branch's site, its incident with the
// operator's note and its signals with their video links, and adds a
// contact to the call list, which is recorded as changed by the portal
// user.
func TestPortalInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	hq := &store.Customer{Name: "Northwind Bank HQ"}
	must(t, st.Customers.Create(ctx, hq))
	branch := &store.Customer{Name: "Branch 7", ParentID: &hq.ID}
	must(t, st.Customers.Create(ctx, branch))
	site := &store.Site{CustomerID: branch.ID, Name: "Branch 7 Main St", Address: "12 Main St"}
	must(t, st.Sites.Create(ctx, site))
	other := &store.Customer{Name: "Another client"}
	must(t, st.Customers.Create(ctx, other))
	must(t, st.Sites.Create(ctx, &store.Site{CustomerID: other.ID, Name: "Not yours"}))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: store.ScopeOf("customer", hq.ID), Kind: store.PortalManager,
		Username: "cso", FullName: "Chief Security Officer"}, "hq's long password", store.Actor{Name: "admin"}))
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA017",
		"--media", "https://v.example/clip/7"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	op := &store.User{Username: "ann", Role: store.RoleOperator}
	must(t, st.CreateUser(ctx, op, "ann's long password", store.Actor{Name: "setup"}))
	q, _, err := st.Queue(ctx, time.Now())
	must(t, err)
	_, err = st.Act(ctx, q[0].ID, store.Actor{ID: op.ID, Name: "ann"}, store.Step{Action: "note", Note: "Guard sent, all secure"},
		store.QueueRules{ClaimTimeout: time.Hour})
	must(t, err)

	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/portal/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("identifier"), hq.Identifier),
		chromedp.SendKeys(chromedp.ID("username"), "cso"),
		chromedp.SendKeys(chromedp.ID("password"), "hq's long password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sites tbody tr[data-id]`)),
	))
	if sites := text(t, bctx, chromedp.ID("sites")); !strings.Contains(sites, "Branch 7 Main St") || !strings.Contains(sites, "2345 Intruder alarm") ||
		strings.Contains(sites, "Not yours") {
		t.Fatalf("sites %q", sites)
	}
	// The account manager creates office staff who may change site notes
	// and nothing else.
	must(t, chromedp.Do(bctx,
		chromedp.WaitVisible(chromedp.ID("staff-form")),
		chromedp.SendKeys(chromedp.ID("staff-username"), "clerk"),
		chromedp.SendKeys(chromedp.ID("staff-fullname"), "Front office"),
		chromedp.SendKeys(chromedp.ID("staff-password"), "clerk's long password"),
		chromedp.Click(chromedp.CSS(`#staff-rights input[value=notes]`)),
		chromedp.Click(chromedp.ID("staff-add")),
		poll(`document.getElementById("staff").textContent.includes("site notes")`),
		// The manager changes its own password on the same page.
		chromedp.SendKeys(chromedp.ID("password-current"), "hq's long password"),
		chromedp.SendKeys(chromedp.ID("password-new"), "hq's newer password"),
		chromedp.Click(chromedp.ID("password-change")),
		poll(`document.getElementById("password-result").textContent === "Password changed."`),
	))
	if _, _, err := st.PortalLogin(ctx, hq.Identifier, "cso", "hq's newer password", "127.0.0.1", time.Minute); err != nil {
		t.Fatalf("log in with the changed password: %v", err)
	}
	screenshot(t, bctx, "portal-sites.png")
	must(t, chromedp.Do(bctx,
		clickInPage(`#sites tbody tr[data-id] a`),
		chromedp.WaitVisible(chromedp.ID("view-site")),
		poll(`document.getElementById("incidents").textContent.includes("ann: Guard sent, all secure")`),
		poll(`document.getElementById("signals").textContent.includes("Burglary")`),
		// The panel's video link opens from the portal too.
		poll(`[...document.querySelectorAll("#signals a.media")].some(a => a.href === "https://v.example/clip/7" && a.textContent === "clip")`),
		chromedp.SendKeys(chromedp.ID("contact-name"), "Dana Keyholder"),
		chromedp.SendKeys(chromedp.ID("contact-phone"), "+44 1632 960 456"),
		chromedp.Click(chromedp.ID("contact-add")),
		poll(`document.getElementById("call-list").textContent.includes("Dana Keyholder")`),
	))
	screenshot(t, bctx, "portal-site.png")
	// The morning report's links open the event in the portal.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/portal/#/incident/"+strconv.FormatInt(q[0].ID, 10)),
		chromedp.WaitVisible(chromedp.ID("view-event")),
		poll(`document.getElementById("event-log").textContent.includes("note: Guard sent, all secure")`),
	))
	list, err := st.RespondingParties.List(ctx, store.ListOptions{Where: map[string]any{"site_id": site.ID}})
	must(t, err)
	if len(list) != 1 || !strings.Contains(list[0].CreatedBy, "portal:customer:") || !strings.Contains(list[0].CreatedBy, "/cso") {
		t.Fatalf("call list %+v", list)
	}

	// The clerk, logged out, follows a morning report's link: after
	// logging in the incident shows. The clerk may write the site's notes,
	// may not touch the call list (no add form, no remove button).
	must(t, chromedp.Do(bctx,
		chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.Navigate(base+"/portal/?from=report#/incident/"+strconv.FormatInt(q[0].ID, 10)),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("identifier"), hq.Identifier),
		chromedp.SendKeys(chromedp.ID("username"), "clerk"),
		chromedp.SendKeys(chromedp.ID("password"), "clerk's long password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("view-event")),
		poll(`document.getElementById("event-log").textContent.includes("note: Guard sent, all secure")`),
		chromedp.Click(chromedp.CSS(`#view-event a`)),
		chromedp.WaitVisible(chromedp.CSS(`#sites tbody tr[data-id]`)),
		clickInPage(`#sites tbody tr[data-id] a`),
		poll(`document.getElementById("call-list").textContent.includes("Dana Keyholder")`),
		poll(`getComputedStyle(document.getElementById("contact-form")).display === "none" && !document.querySelector("#call-list button")`),
		chromedp.WaitVisible(chromedp.ID("notes-save")),
		chromedp.SendKeys(chromedp.ID("site-notes"), "Alarm code changes on Mondays"),
		chromedp.Click(chromedp.ID("notes-save")),
		poll(`document.getElementById("notes-by").textContent.includes("/clerk")`),
	))
	// A signal sent now shows on the open page at once (the page's own
	// refresh is every 30 s; the poll gives up after 10).
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA021"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	must(t, chromedp.Do(bctx, poll(`document.getElementById("signals").textContent.includes("021")`)))
	// So does an operator's note on the site's incident.
	_, err = st.Act(ctx, q[0].ID, store.Actor{ID: op.ID, Name: "ann"}, store.Step{Action: "note", Note: "Police on the way"},
		store.QueueRules{ClaimTimeout: time.Hour})
	must(t, err)
	must(t, chromedp.Do(bctx, poll(`document.getElementById("incidents").textContent.includes("ann: Police on the way")`)))
	saved, err := st.Sites.Get(ctx, site.ID)
	must(t, err)
	if saved.Notes != "Alarm code changes on Mondays" || !strings.HasSuffix(saved.UpdatedBy, "/clerk") {
		t.Fatalf("site after the clerk's edit: notes %q by %q", saved.Notes, saved.UpdatedBy)
	}
	// The installer's technician puts the system on test from the site
	// page, sees a signal arrive as a test result, and ends the test.
	inst := &store.Installer{Name: "Secure Ltd"}
	must(t, st.Installers.Create(ctx, inst))
	withInstaller, err := st.Sites.Get(ctx, site.ID)
	must(t, err)
	withInstaller.InstallerID = &inst.ID
	must(t, st.Sites.Update(ctx, site.ID, withInstaller))
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: store.ScopeOf("installer", inst.ID), Kind: store.PortalTechnician,
		Username: "tom"}, "tom's long password", store.Actor{Name: "admin"}))
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("identifier").value = ""; document.getElementById("username").value = ""`),
		chromedp.SendKeys(chromedp.ID("identifier"), inst.Identifier),
		chromedp.SendKeys(chromedp.ID("username"), "tom"),
		chromedp.SendKeys(chromedp.ID("password"), "tom's long password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sites tbody tr[data-id]`)),
		clickInPage(`#sites tbody tr[data-id] a`),
		chromedp.WaitVisible(chromedp.ID("test-form")),
		chromedp.SendKeys(chromedp.ID("test-reason"), "battery change"),
		chromedp.Click(chromedp.ID("test-start")),
	))
	if err := chromedp.Do(bctx, poll(`document.getElementById("site-status").textContent.includes("On test until")`)); err != nil {
		t.Fatalf("on test: %v; page says %q", err, text(t, bctx, chromedp.ID("view-site")))
	}
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA033"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	must(t, chromedp.Do(bctx,
		poll(`document.getElementById("tests").textContent.includes("BA zone 033")`),
		poll(`document.getElementById("tests").textContent.includes("/tom")`),
		poll(`getComputedStyle(document.getElementById("contact-form")).display === "none" && document.getElementById("site-notes").readOnly`),
	))
	screenshot(t, bctx, "portal-technician.png")
	must(t, chromedp.Do(bctx,
		clickInPage(`#tests tbody button`),
		poll(`document.getElementById("site-status").textContent === "In service"`),
	))

	// Station staff (an admin) find the HQ's identifier for a client who
	// lost it, on the console's clients page.
	must(t, st.CreateUser(ctx, &store.User{Username: "root", Role: store.RoleAdmin}, "root's long password", store.Actor{Name: "setup"}))
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/console/", "root", "root's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Navigate(base+"/console/#/clients"),
		chromedp.WaitVisible(chromedp.ID("view-clients")),
		chromedp.SendKeys(chromedp.ID("client-filter"), "Northwind"),
		poll(`document.getElementById("clients-customers").textContent.includes("`+hq.Identifier+`")`),
	))
	// … and create the branch site's own account manager there.
	must(t, chromedp.Do(bctx,
		poll(`document.querySelector('#pu-scope option[value="`+store.ScopeOf("site", site.ID)+`"]') !== null`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("client-filter").value = "";
			document.getElementById("pu-scope").value = "`+store.ScopeOf("site", site.ID)+`"`),
		chromedp.SendKeys(chromedp.ID("pu-username"), "branchmgr"),
		chromedp.SendKeys(chromedp.ID("pu-password"), "branch manager's password"),
		chromedp.Click(chromedp.ID("pu-add")),
		poll(`document.getElementById("clients-users").textContent.includes("branchmgr")`),
	))
	screenshot(t, bctx, "console-clients.png")
	users, err := st.PortalUsers(ctx, store.ScopeOf("site", site.ID))
	must(t, err)
	if len(users) != 1 || users[0].Username != "branchmgr" || users[0].Kind != store.PortalManager || users[0].CreatedBy != "root" {
		t.Fatalf("the site's portal users: %+v", users)
	}
}

// TestVisitsInBrowser: an installer's account manager schedules a
// technician's visit in the portal; the technician logs in, sees it,
// starts it (its system goes on test), watches a signal arrive as a test
// result on the visit's page, and ends it. Then station staff, on the
// console's Clients page, open the technician's portal at the site's
// identifier and give the installer a new identifier.
func TestVisitsInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Corner Shop"}
	must(t, st.Customers.Create(ctx, cust))
	inst := &store.Installer{Name: "Secure Ltd"}
	must(t, st.Installers.Create(ctx, inst))
	site := &store.Site{CustomerID: cust.ID, InstallerID: &inst.ID, Name: "Corner Shop, High St", Identifier: "+44 1632 960 777"}
	must(t, st.Sites.Create(ctx, site))
	acct := &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}
	must(t, st.Accounts.Create(ctx, acct))
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: store.ScopeOf("installer", inst.ID), Kind: store.PortalManager,
		Username: "mia", FullName: "Mia Planner"}, "mia's long password", store.Actor{Name: "admin"}))
	tom := &store.PortalUser{Scope: store.ScopeOf("installer", inst.ID), Kind: store.PortalTechnician, Username: "tom", FullName: "Tom Fixit"}
	must(t, st.CreatePortalUser(ctx, tom, "tom's long password", store.Actor{Name: "admin"}))

	base := "http://" + d.HTTPAddr()
	login := func(identifier, user, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.WaitVisible(chromedp.ID("login-form")),
			chromedp.Evaluate[chromedp.Void](`for (const f of ["identifier", "username", "password"]) document.getElementById(f).value = ""`),
			chromedp.SendKeys(chromedp.ID("identifier"), identifier),
			chromedp.SendKeys(chromedp.ID("username"), user),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		)
	}

	// The installer's manager schedules Tom for a repair of the shop's
	// alarm, from now for two hours (the form's defaults).
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/portal/"),
		login(inst.Identifier, "mia", "mia's long password"),
		chromedp.WaitVisible(chromedp.ID("visit-form")),
		poll(`document.querySelector("#visit-systems input:checked") !== null && document.getElementById("visit-technician").options.length === 1`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("visit-purpose").value = "repair"`),
		chromedp.SendKeys(chromedp.ID("visit-notes"), "keypad dead"),
		chromedp.Click(chromedp.ID("visit-add")),
		poll(`document.getElementById("visits").textContent.includes("Tom Fixit") && document.getElementById("visits").textContent.includes("scheduled")`),
		// The manager edits none of the client's records.
		poll(`document.getElementById("staff-section").hidden`),
	))
	visits, err := st.Visits(ctx, store.VisitFilter{})
	must(t, err)
	if len(visits) != 1 || visits[0].TechnicianUserID != tom.ID || visits[0].Purpose != "repair" || visits[0].Notes != "keypad dead" ||
		len(visits[0].AccountIDs) != 1 || visits[0].AccountIDs[0] != acct.ID || !strings.HasSuffix(visits[0].CreatedBy, "/mia") {
		t.Fatalf("scheduled %+v", visits)
	}
	screenshot(t, bctx, "portal-visits.png")

	// Tom logs in, sees the visit and starts it: the visit's page opens.
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("logout")),
		login(inst.Identifier, "tom", "tom's long password"),
		chromedp.WaitVisible(chromedp.CSS(`#visits tbody tr[data-id]`)),
		poll(`document.getElementById("visits").textContent.includes("keypad") || document.getElementById("visits").textContent.includes("repair")`),
		clickInPage(`#visits .visit-start`),
		chromedp.WaitVisible(chromedp.ID("view-visit")),
		poll(`document.getElementById("visit").textContent.includes("OPEN")`),
		poll(`document.querySelector("#visit-actions .visit-end") !== null`),
	))
	open, err := st.OpenTests(ctx, acct.ID)
	must(t, err)
	if len(open) != 1 || open[0].Reason != "repair" || !strings.HasSuffix(open[0].AuthorisedBy, "/tom") {
		t.Fatalf("on test: %+v", open)
	}
	// A signal of the system shows at once, as a test result.
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA044"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	must(t, chromedp.Do(bctx,
		poll(`(() => { const r = document.querySelector("#visit-signals tbody tr"); return r !== null && r.textContent.includes("044") &&
			r.cells[4].textContent === "test"; })()`),
	))
	screenshot(t, bctx, "portal-visit.png")
	must(t, chromedp.Do(bctx,
		clickInPage(`#visit-actions .visit-end`),
		poll(`document.getElementById("visit").textContent.includes("Ended") && !document.getElementById("visit").textContent.includes("OPEN")`),
	))
	v, err := st.Visit(ctx, visits[0].ID)
	must(t, err)
	if v.Status != store.VisitEnded || v.EndReason != store.EndEnded || !strings.HasSuffix(v.EndedBy, "/tom") {
		t.Fatalf("ended %+v", v)
	}
	if open, _ := st.OpenTests(ctx, acct.ID); len(open) != 0 {
		t.Fatalf("still on test: %+v", open)
	}
	sigs, err := st.Signals(ctx, store.SignalFilter{AccountID: acct.ID})
	must(t, err)
	if len(sigs) != 1 || !sigs[0].Test {
		t.Fatalf("signals %+v", sigs)
	}

	// Station staff open Tom's portal at the shop's identifier, and give
	// the installer a new identifier (a second click confirms).
	must(t, st.CreateUser(ctx, &store.User{Username: "root", Role: store.RoleAdmin}, "root's long password", store.Actor{Name: "setup"}))
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/console/", "root", "root's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Navigate(base+"/console/#/clients"),
		chromedp.WaitVisible(chromedp.ID("view-clients")),
		poll(`[...document.querySelectorAll("#clients-users tr")].some(r => r.textContent.includes("tom"))`),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#clients-users tr")].find(r => r.cells[0].textContent === "tom").querySelector(".act-as").click()`),
		poll(`document.querySelector("#clients-users select.act-at") !== null`),
		// The portal would open in a new tab; the test stays on this one.
		chromedp.Evaluate[chromedp.Void](`window.open = url => { window.opened = url; };
			document.querySelector("#clients-users select.act-at").value = "+44 1632 960 777";
			document.querySelector("#clients-users .act-open").click()`),
		poll(`window.opened === "/portal/"`),
	))
	// The browser's request writes the audit row; the test can only look.
	eventually(t, 10*time.Second, "emulation at the site audited", func() bool {
		entries, err := st.Audit(ctx, 0, 100)
		must(t, err)
		for _, e := range entries {
			if e.Action == "portal.emulate" && e.UserName == "root" {
				return strings.Contains(e.Detail, `"opened_at":"`+store.ScopeOf("site", site.ID)+`"`)
			}
		}
		return false
	})
	old := inst.Identifier
	must(t, chromedp.Do(bctx,
		clickInPage(`#clients-installers .regenerate`),
		poll(`document.querySelector("#clients-installers .regenerate").textContent.startsWith("Confirm")`),
		clickInPage(`#clients-installers .regenerate`),
		poll(`!document.getElementById("clients-installers").textContent.includes("`+old+`")`),
	))
	screenshot(t, bctx, "console-clients-identifiers.png")
	now, err := st.ClientIdentifier(ctx, "installer", inst.ID)
	must(t, err)
	if now.Identifier == old || !strings.Contains(text(t, bctx, chromedp.ID("clients-installers")), now.Identifier) {
		t.Fatalf("installer identifier %s (was %s)", now.Identifier, old)
	}
	if _, _, err := st.PortalLogin(ctx, now.Identifier, "tom", "tom's long password", "127.0.0.1", time.Minute); err != nil {
		t.Fatalf("tom logs in with the new identifier: %v", err)
	}
}
