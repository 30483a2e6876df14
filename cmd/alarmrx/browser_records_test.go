package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap/zaptest"
)

// TestRecordPagesInBrowser: a supervisor keeps the station's records in
// the console, on a station of 10,000 sites. The sites list pages on the
// server and a search for a customer's name finds its 120 stores, 50 a
// page; the customers are a tree that opens level by level. A new site
// with a bad time zone is refused at that field, then created; an edit is
// saved; an account is put on test and taken off from its page; a zone is
// added from the account and deleted; and a file of sites is checked, its
// bad rows shown by line, and imported.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-records-*.png.
func TestRecordPagesInBrowser(t *testing.T) {
	bctx := newBrowser(t, 120*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	hq := &store.Customer{Name: "Acme Stores HQ", Identifier: "+15550100"}
	must(t, st.Customers.Create(ctx, hq))
	north := &store.Customer{Name: "Acme North region", ParentID: &hq.ID, Identifier: "+15550101"}
	must(t, st.Customers.Create(ctx, north))
	must(t, st.Customers.Create(ctx, &store.Customer{Name: "Other chain", Identifier: "+15550200"}))
	var csv strings.Builder
	csv.WriteString("identifier,name,customer,address,time_zone\n")
	for i := 1; i <= 10000; i++ {
		if i <= 120 {
			fmt.Fprintf(&csv, "+1555%06d,Store %03d,+15550101,%d Main St,America/Chicago\n", i, i, i)
		} else {
			fmt.Fprintf(&csv, "+1555%06d,Unit %05d,+15550200,%d Side Rd,America/New_York\n", i, i, i)
		}
	}
	rep, err := st.ImportSites(ctx, strings.NewReader(csv.String()), false)
	must(t, err)
	if rep.Created != 10000 {
		t.Fatalf("import: %+v", rep)
	}
	stores, err := st.Sites.List(ctx, store.ListOptions{Where: map[string]any{"customer_id": north.ID}, Limit: 1})
	must(t, err)
	store1 := stores[0]
	acct := &store.Account{Receiver: 1, Number: "5101", SiteID: store1.ID, SystemType: "intrusion"}
	must(t, st.Accounts.Create(ctx, acct))
	must(t, st.RespondingParties.Create(ctx, &store.RespondingParty{SiteID: store1.ID, Position: 1, Name: "Maria Keyholder", Phones: store.Strings{"+1 555 0142"}}))
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	base := "http://" + d.HTTPAddr()
	rows := `document.querySelectorAll("#view-records table.records tbody tr").length`
	pageIs := func(want string) chromedp.Action[chromedp.Void] {
		return poll(`(document.querySelector("#view-records .page-count") || {}).textContent === ` + strconv.Quote(want))
	}

	dumpOnFailure(t, bctx, "view-records")
	// The sites: the first page of 10,000, then a search by the customer's
	// name, three pages of it and back.
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("nav-records")),
		chromedp.Click(chromedp.ID("nav-records")),
		pageIs("Page 1: 50 records"),
		poll(rows+` === 50`),
		poll(`document.querySelector("#view-records tbody tr td:nth-child(2)")?.textContent === "Acme North region"`),
		chromedp.SendKeys(chromedp.ID("record-q"), "acme"),
		chromedp.Click(chromedp.CSS(`form.record-search button`)),
		pageIs("Page 1: 50 records found"),
		poll(`document.querySelector("#view-records tbody tr td")?.textContent === "Store 001"`),
	))
	screenshot(t, bctx, "console-records-sites.png")
	must(t, chromedp.Do(bctx,
		clickInPage(`.pager a:last-child`), pageIs("Page 2: 50 records found"),
		poll(`document.querySelector("#view-records tbody tr td")?.textContent === "Store 051"`),
		clickInPage(`.pager a:last-child`), pageIs("Page 3: 20 records found"),
		poll(`!Array.from(document.querySelectorAll(".pager a")).some(a => a.textContent === "Next →")`),
		clickInPage(`.pager a`), pageIs("Page 2: 50 records found"),
		poll(`document.querySelector("#view-records tbody tr td")?.textContent === "Store 051"`),
	))

	// The customers' tree: the tops, then what is below the HQ.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/customers"),
		pageIs("Page 1: 2 records"),
		clickInPage(`#view-records tbody tr button.tree-toggle`),
		poll(rows+` === 3`),
		poll(`document.querySelector("#view-records tbody tr:nth-child(2) td")?.textContent.includes("Acme North region")`),
	))
	screenshot(t, bctx, "console-records-customers.png")

	// A new site: the bad time zone is refused at its field.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/sites/new?customer_id="+strconv.FormatInt(north.ID, 10)),
		poll(`document.querySelector("[data-field=customer_id]")?.value === "#`+strconv.FormatInt(north.ID, 10)+` Acme North region"`),
		chromedp.SendKeys(chromedp.CSS(`[data-field=name]`), "Store 121"),
		chromedp.SendKeys(chromedp.CSS(`[data-field=time_zone]`), "Mars/Olympus"),
		chromedp.Click(chromedp.ID("record-save")),
		poll(`document.querySelector("[data-field=time_zone]")?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector("[data-field=time_zone]")?.parentNode.querySelector(".field-error")?.textContent.includes("Mars/Olympus")`),
	))
	screenshot(t, bctx, "console-record-field-error.png")
	must(t, chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-field=time_zone]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`[data-field=time_zone]`), "America/Chicago"),
		chromedp.Click(chromedp.ID("record-save")),
		poll(`location.hash.match(/^#\/records\/sites\/\d+$/) !== null && document.querySelector("#view-records h1")?.textContent === "Site: Store 121"`),
	))
	found, err := st.Sites.List(ctx, store.ListOptions{Search: "Store 121"})
	must(t, err)
	if len(found) != 1 || found[0].TimeZone != "America/Chicago" || found[0].CustomerID != north.ID || found[0].CreatedBy != "station:sue" {
		t.Fatalf("the new site: %+v", found)
	}

	// An edit of the first store, whose page lists its account and call list.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/sites/"+strconv.FormatInt(store1.ID, 10)),
		poll(`document.querySelector("section.children[data-kind=accounts] tbody tr td")?.textContent === "1/5101"`),
		poll(`document.querySelector("section.children[data-kind=responding-parties] tbody tr td:nth-child(2)")?.textContent === "Maria Keyholder"`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-field=address]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`[data-field=address]`), "1 Main St, Springfield"),
		chromedp.Click(chromedp.ID("record-save")),
		poll(`document.querySelector("#view-records .saved")?.textContent === "Saved."`),
	))
	screenshot(t, bctx, "console-record-site.png")
	got, err := st.Sites.Get(ctx, store1.ID)
	must(t, err)
	if got.Address != "1 Main St, Springfield" || got.Name != "Store 001" || got.Identifier != store1.Identifier || got.UpdatedBy != "station:sue" {
		t.Fatalf("the edited site: %+v", got)
	}

	// The account: on test for 4 hours, then off.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/accounts/"+strconv.FormatInt(acct.ID, 10)),
		poll(`document.querySelector(".test-status li") && document.querySelector(".test-status li")?.textContent === "not on test"`),
		chromedp.SetValue(chromedp.ID("test-duration"), "4h"),
		chromedp.SendKeys(chromedp.ID("test-reason"), "panel replacement"),
		chromedp.SendKeys(chromedp.ID("test-authorised-by"), "Tom Technician"),
		chromedp.Click(chromedp.ID("test-on")),
		poll(`document.querySelector(".test-status li")?.textContent.startsWith("ON TEST the whole account until")`),
		poll(`document.querySelector(".test-status li")?.textContent.includes("panel replacement")`),
	))
	open, err := st.OpenTests(ctx, acct.ID)
	must(t, err)
	if len(open) != 1 || open[0].Reason != "panel replacement" || open[0].AuthorisedBy != "Tom Technician" || open[0].EndsAt.Sub(open[0].StartsAt) != 4*time.Hour {
		t.Fatalf("on test: %+v", open)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("test-off")),
		poll(`document.querySelector(".test-status li")?.textContent === "not on test"`),
	))
	if open, err = st.OpenTests(ctx, acct.ID); err != nil || len(open) != 0 {
		t.Fatalf("off test: %+v %v", open, err)
	}

	// A zone added from the account, then deleted (two clicks).
	must(t, chromedp.Do(bctx,
		clickInPage(`section.children[data-kind=zones] h2 a`),
		poll(`document.querySelector("[data-field=account_id]") && document.querySelector("[data-field=account_id]")?.value === "#`+strconv.FormatInt(acct.ID, 10)+` 1/5101"`),
		chromedp.SendKeys(chromedp.CSS(`[data-field=number]`), "017"),
		chromedp.SendKeys(chromedp.CSS(`[data-field=description]`), "Front door"),
		chromedp.Click(chromedp.ID("record-save")),
		poll(`document.querySelector("#view-records h1")?.textContent === "Zone: 17 Front door"`),
	))
	zones, err := st.Zones.List(ctx, store.ListOptions{Where: map[string]any{"account_id": acct.ID}})
	must(t, err)
	if len(zones) != 1 || zones[0].Number != "17" {
		t.Fatalf("zones: %+v", zones)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("record-delete")),
		poll(`document.getElementById("record-delete")?.textContent === "Click again to delete"`),
		chromedp.Click(chromedp.ID("record-delete")),
		poll(`location.hash === "#/records/zones"`),
	))
	if zones, err = st.Zones.List(ctx, store.ListOptions{Where: map[string]any{"account_id": acct.ID}}); err != nil || len(zones) != 0 {
		t.Fatalf("the deleted zone: %+v %v", zones, err)
	}

	// A file of sites: its bad rows by line, nothing written; mended, it
	// is checked and imported.
	setFile := func(body string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const dt = new DataTransfer();
			dt.items.add(new File([` + strconv.Quote(body) + `], "sites.csv", { type: "text/csv" }));
			const f = document.getElementById("import-file"); f.files = dt.files; f.dispatchEvent(new Event("change")); })()`)
	}
	bad := "identifier,name,customer,time_zone\n+15559000001,Kiosk 1,+15550101,America/Chicago\n+15559000002,,+15550101,America/Chicago\n+15559000003,Kiosk 3,+19999999,Mars/Olympus\n"
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/import"),
		chromedp.WaitVisible(chromedp.ID("import-file")),
		chromedp.SetValue(chromedp.ID("import-kind"), "sites"),
		setFile(bad),
		chromedp.Click(chromedp.ID("import-check")),
		poll(`document.getElementById("import-status")?.textContent.startsWith("2 of 3 rows cannot be imported")`),
		poll(`!document.getElementById("import-errors").hidden && document.querySelector("#import-errors tbody tr td")?.textContent === "3"`),
		poll(`document.getElementById("import-run").disabled`),
	))
	screenshot(t, bctx, "console-records-import.png")
	good := "identifier,name,customer,time_zone\n+15559000001,Kiosk 1,+15550101,America/Chicago\n+15559000002,Kiosk 2,+15550101,America/Chicago\n"
	must(t, chromedp.Do(bctx,
		setFile(good),
		chromedp.Click(chromedp.ID("import-check")),
		poll(`document.getElementById("import-status")?.textContent.startsWith("The file is good: 2 rows, 2 new")`),
		poll(`!document.getElementById("import-run").disabled`),
	))
	if k, err := st.Sites.List(ctx, store.ListOptions{Search: "kiosk"}); err != nil || len(k) != 0 {
		t.Fatalf("a dry run wrote: %+v %v", k, err)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("import-run")),
		poll(`document.getElementById("import-status")?.textContent.startsWith("Imported: 2 rows, 2 new")`),
	))
	if k, err := st.Sites.List(ctx, store.ListOptions{Search: "kiosk"}); err != nil || len(k) != 2 {
		t.Fatalf("imported: %+v %v", k, err)
	}
}

// TestRecordScheduleInBrowser: a supervisor makes an account's open/close
// schedule on its page: a week of weekdays made by adding rows, a Monday
// window overlapping another refused at that window, mended into a lunch
// break, a closed date and a short one; the schedule is edited after a
// reload and deleted (two clicks). Then the holidays: one added to a
// customer's calendar on the Holidays page, the same date again refused
// at its field, and deleted from the customer's page.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-record-schedule.png.
func TestRecordScheduleInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust, site := seedSite(t, st, "Corner Shops Ltd", "Corner shop, High St", "America/Chicago")
	acct := &store.Account{Receiver: 1, Number: "5201", SiteID: site.ID, SystemType: "intrusion"}
	must(t, st.Accounts.Create(ctx, acct))
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	base := "http://" + d.HTTPAddr()
	page := base + "/console/#/records/accounts/" + strconv.FormatInt(acct.ID, 10)
	win := func(i int, key string) string { return fmt.Sprintf(`[data-field="windows[%d].%s"]`, i, key) }
	dumpOnFailure(t, bctx, "view-records")
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("nav-records")),
		chromedp.Navigate(page),
		poll(`document.getElementById("schedule-about")?.textContent.startsWith("No schedule") && document.getElementById("schedule-about")?.textContent.includes("America/Chicago")`),
	))
	// Monday to Friday 08:00-17:00: each new row is the one above on the
	// next day. A sixth, moved to Monday 16:00-18:00, overlaps Monday's.
	for range 6 {
		must(t, chromedp.Do(bctx, clickInPage(`[data-adds=windows]`)))
	}
	must(t, chromedp.Do(bctx,
		poll(`document.querySelectorAll("#schedule-windows tbody tr").length === 6`),
		poll(`document.querySelector(`+strconv.Quote(win(4, "day"))+`)?.value === "friday" && document.querySelector(`+strconv.Quote(win(4, "closes"))+`)?.value === "17:00"`),
		setValue(win(5, "day"), "monday"), setValue(win(5, "opens"), "16:00"), setValue(win(5, "closes"), "18:00"),
		setValue(`[data-field=open_grace_minutes]`, "10"),
		chromedp.Click(chromedp.ID("schedule-save")),
		poll(`document.querySelector(`+strconv.Quote(win(5, "opens"))+`)?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector(`+strconv.Quote(win(5, "opens"))+`)?.closest("tr").querySelector(".field-error")?.textContent === "16:00–18:00 overlaps 08:00–17:00"`),
		poll(`document.querySelector(`+strconv.Quote(win(0, "opens"))+`)?.getAttribute("aria-invalid") === null`),
	))
	if _, err := st.Schedule(ctx, acct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused schedule was stored: %v", err)
	}
	// Mended into a lunch break, with Christmas Eve closed and New Year's
	// Eve open in the morning only.
	must(t, chromedp.Do(bctx,
		setValue(win(0, "closes"), "12:00"), setValue(win(5, "opens"), "13:00"), setValue(win(5, "closes"), "17:00"),
		clickInPage(`[data-adds=days]`), setValue(`[data-field="days[0].date"]`, "2026-12-24"),
		clickInPage(`[data-adds=days]`), setValue(`[data-field="days[1].date"]`, "2026-12-31"),
		chromedp.Click(chromedp.CSS(`[data-field="days[1].closed"]`)),
		poll(`!document.querySelector('[data-field="days[1].opens"]')?.hidden`),
		setValue(`[data-field="days[1].opens"]`, "09:00"), setValue(`[data-field="days[1].closes"]`, "13:00"),
		chromedp.Click(chromedp.ID("schedule-save")),
		poll(`document.querySelector("#schedule .saved")?.textContent === "Saved."`),
		poll(`document.querySelector(`+strconv.Quote(win(1, "opens"))+`)?.value === "13:00" && document.querySelectorAll("#schedule-windows tbody tr").length === 6`),
	))
	wd := func(day, opens, closes string) store.ScheduleWindow {
		return store.ScheduleWindow{Day: day, Opens: opens, Closes: closes}
	}
	want := &store.Schedule{AccountID: acct.ID, OpenGraceMinutes: 10, CloseGraceMinutes: 15, TimeZone: "America/Chicago", UpdatedBy: "sue",
		Windows: []store.ScheduleWindow{wd("monday", "08:00", "12:00"), wd("monday", "13:00", "17:00"), wd("tuesday", "08:00", "17:00"),
			wd("wednesday", "08:00", "17:00"), wd("thursday", "08:00", "17:00"), wd("friday", "08:00", "17:00")},
		Days:   []store.ScheduleDay{{Date: "2026-12-24", Closed: true}, {Date: "2026-12-31", Opens: "09:00", Closes: "13:00"}},
		States: []store.ScheduleAreaState{}}
	got, err := st.Schedule(ctx, acct.ID)
	must(t, err)
	got.UpdatedAt = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the schedule stored:\n%+v, want\n%+v", got, want)
	}
	screenshot(t, bctx, "console-record-schedule.png")

	// After a reload: Friday's window removed, the close grace 30.
	must(t, chromedp.Do(bctx,
		chromedp.Reload(),
		poll(`document.querySelector(`+strconv.Quote(win(5, "day"))+`)?.value === "friday"`),
		poll(`document.getElementById("schedule-about")?.textContent.startsWith("Times are the site's (America/Chicago). Changed by sue ")`),
		clickInPage(`#schedule-windows tbody tr:nth-child(6) .remove-row`),
		setValue(`[data-field=close_grace_minutes]`, "30"),
		chromedp.Click(chromedp.ID("schedule-save")),
		poll(`document.querySelector("#schedule .saved")?.textContent === "Saved." && document.querySelectorAll("#schedule-windows tbody tr").length === 5`),
	))
	got, err = st.Schedule(ctx, acct.ID)
	must(t, err)
	if got.CloseGraceMinutes != 30 || got.OpenGraceMinutes != 10 || len(got.Windows) != 5 || got.Windows[4] != wd("thursday", "08:00", "17:00") || len(got.Days) != 2 {
		t.Fatalf("the edited schedule: %+v", got)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("schedule-delete")),
		poll(`document.getElementById("schedule-delete")?.textContent === "Click again to delete"`),
		chromedp.Click(chromedp.ID("schedule-delete")),
		poll(`document.getElementById("schedule-about")?.textContent.startsWith("No schedule") && document.querySelector("#schedule .saved")?.textContent === "Deleted."`),
	))
	if _, err := st.Schedule(ctx, acct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the deleted schedule: %v", err)
	}

	// Boxing Day on the customer's calendar; a second one on that date is
	// refused at the date.
	addHoliday := chromedp.Steps(
		setValue(`#view-records .holiday-form [data-field=date]`, "2026-12-26"),
		setValue(`#view-records .holiday-form [data-field=name]`, "Boxing Day"),
		setValue(`#view-records .holiday-form [data-field=customer_id]`, "#"+strconv.FormatInt(cust.ID, 10)),
		chromedp.Click(chromedp.ID("holiday-add")),
	)
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/holidays"),
		poll(`document.querySelector("#holidays tbody tr td")?.textContent === "None yet."`),
		addHoliday,
		poll(`document.querySelector("#holidays tbody tr[data-id] td:nth-child(3)")?.textContent === "Corner Shops Ltd"`),
		addHoliday,
		poll(`document.querySelector(".holiday-form [data-field=date]")?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector(".holiday-form [data-field=date]")?.closest("label").querySelector(".field-error")?.textContent === "2026-12-26 is a holiday of this calendar already"`),
	))
	hs, err := st.Holidays(ctx, -1)
	must(t, err)
	if len(hs) != 1 || hs[0].CustomerID != cust.ID || hs[0].Date != "2026-12-26" || hs[0].Name != "Boxing Day" || hs[0].CreatedBy != "sue" {
		t.Fatalf("the holidays: %+v", hs)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/customers/"+strconv.FormatInt(cust.ID, 10)),
		poll(`document.querySelector("section.holidays #holidays tbody tr[data-id] td")?.textContent === "2026-12-26"`),
		clickInPage(`section.holidays #holidays tbody tr[data-id] button.danger`),
		poll(`document.querySelector("section.holidays #holidays tbody tr[data-id] button.danger")?.textContent === "Click again to delete"`),
		clickInPage(`section.holidays #holidays tbody tr[data-id] button.danger`),
		poll(`document.querySelector("section.holidays #holidays tbody tr td")?.textContent === "None."`),
	))
	if hs, err = st.Holidays(ctx, -1); err != nil || len(hs) != 0 {
		t.Fatalf("the deleted holiday: %+v %v", hs, err)
	}
}

// TestRecordActionPlansInBrowser: a supervisor reads the station's plans,
// the built-in fire plan and the configuration file's water leak plan read
// only, each saying where it comes from; makes a plan for a site's
// burglaries from the site's page with three steps, a wait of 500 minutes
// refused at that step, moves the wait first and saves; after a reload the
// order holds, a call step with nobody picked is refused at it, and the
// plan is reordered again, saved and deleted (two clicks).
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-record-plan.png.
func TestRecordActionPlansInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.Queue.ActionPlans = []configs.ActionPlan{{Match: "code", Value: "SIA/WA", Name: "Water leak",
			Steps: []configs.ActionPlanStep{{Kind: "call_premises"}, {Kind: "wait", Minutes: 5}, {Kind: "email", Email: "facilities@example.com"}}}}
	})
	ctx := context.Background()
	st := d.Store()
	_, site := seedSite(t, st, "Contoso", "Contoso depot", "")
	maria := &store.RespondingParty{SiteID: site.ID, Position: 1, Name: "Maria Keyholder", Phones: store.Strings{"+1 555 0142"}}
	must(t, st.RespondingParties.Create(ctx, maria))
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	base := "http://" + d.HTTPAddr()
	step := func(i int, key string) string { return fmt.Sprintf(`[data-field="steps[%d].%s"]`, i, key) }
	kinds := `Array.from(document.querySelectorAll("#plan-steps-edit tbody [data-key=kind]")).map(s => s.value).join()`
	stored := func() []store.ActionPlan {
		t.Helper()
		all, err := st.ActionPlans(ctx)
		must(t, err)
		var out []store.ActionPlan
		for _, p := range all {
			if p.Source == "api" {
				out = append(out, p)
			}
		}
		return out
	}
	dumpOnFailure(t, bctx, "view-records")
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("nav-records")),
		chromedp.Navigate(base+"/console/#/records/action-plans"),
		poll(`document.querySelectorAll("#view-records table.records tbody tr").length === 9`),
		poll(`document.querySelector("#view-records tbody tr[data-source=config] td:nth-child(4)")?.textContent === "call the premises → wait 5 min → e-mail facilities@example.com"`),
		clickInPage(`#view-records tbody tr[data-source=default]`),
		poll(`document.getElementById("plan-source-note")?.textContent.startsWith("Built into alarmrx: the default for fire, read only.")`),
		poll(kinds+` === "dispatch,call_premises,call_list"`),
		poll(`Array.from(document.querySelectorAll("#view-records form input, #view-records form select")).every(e => e.disabled) && !document.getElementById("plan-save")`),
		chromedp.Navigate(base+"/console/#/records/action-plans/config?match=code&value=SIA%2FWA"),
		poll(`document.getElementById("plan-source-note")?.textContent.startsWith("From the station's configuration file (queue.action_plans)")`),
		poll(`document.querySelector("#view-records h1")?.textContent === "Action plan: Water leak (configuration file)" && document.querySelector(`+strconv.Quote(step(2, "email"))+`)?.value === "facilities@example.com"`),
	))

	// A new plan from the site's page: the call premises and call list it
	// starts with, and a wait of 500 minutes, refused.
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/sites/"+strconv.FormatInt(site.ID, 10)),
		poll(`document.querySelector("section.children[data-kind=action-plans] p")?.textContent === "None: the station's plans apply."`),
		clickInPage(`section.children[data-kind=action-plans] h2 a`),
		poll(`document.querySelector("[name=scope_site]")?.value === "#`+strconv.FormatInt(site.ID, 10)+` Contoso depot"`),
		poll(`document.querySelector("[name=scope]")?.value === "site" && document.querySelector("[name=category]")?.value === "burglary"`),
		setValue(`[name=name]`, "Depot burglary"),
		poll(kinds+` === "call_premises,call_list"`),
		clickInPage(`[data-adds=steps]`),
		poll(kinds+` === "call_premises,call_list,wait"`),
		setValue(step(2, "minutes"), "500"),
		setValue(step(1, "kind"), "call"),
		poll(`!document.querySelector(`+strconv.Quote(step(1, "party_id"))+`)?.closest("label").hidden`),
		setValue(step(1, "party_id"), strconv.FormatInt(maria.ID, 10)),
		chromedp.Click(chromedp.ID("plan-save")),
		poll(`document.querySelector(`+strconv.Quote(step(2, "minutes"))+`)?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector(`+strconv.Quote(step(2, "minutes"))+`)?.closest("tr").querySelector(".field-error")?.textContent === "must be 1 to 240"`),
	))
	if p := stored(); len(p) != 0 {
		t.Fatalf("a refused plan was stored: %+v", p)
	}
	// The wait, 10 minutes, moved first.
	must(t, chromedp.Do(bctx,
		setValue(step(2, "minutes"), "10"),
		clickInPage(`#plan-steps-edit tbody tr:nth-child(3) .move-up`),
		clickInPage(`#plan-steps-edit tbody tr:nth-child(2) .move-up`),
		poll(kinds+` === "wait,call_premises,call"`),
		poll(`document.querySelector(`+strconv.Quote(step(0, "minutes"))+`)?.value === "10"`),
		chromedp.Click(chromedp.ID("plan-save")),
		poll(`/^#\/records\/action-plans\/\d+$/.test(location.hash) && document.querySelector("#view-records h1")?.textContent === "Action plan: Depot burglary"`),
	))
	want := store.ActionPlan{Scope: "site", ScopeID: site.ID, Match: "category", Value: "burglary", Name: "Depot burglary", Source: "api", UpdatedBy: "sue",
		Steps: []store.PlanStep{{Kind: "wait", Minutes: 10}, {Kind: "call_premises"}, {Kind: "call", PartyID: maria.ID}}}
	check := func(what string) {
		t.Helper()
		p := stored()
		if len(p) != 1 {
			t.Fatalf("%s: %+v", what, p)
		}
		want.ID, p[0].UpdatedAt = p[0].ID, time.Time{}
		if !reflect.DeepEqual(p[0], want) {
			t.Fatalf("%s:\n%+v, want\n%+v", what, p[0], want)
		}
	}
	check("the plan made")

	// After a reload: the order as saved; nobody to call is refused at the
	// step; then the premises first.
	must(t, chromedp.Do(bctx,
		chromedp.Reload(),
		poll(kinds+` === "wait,call_premises,call"`),
		poll(`document.querySelector(`+strconv.Quote(step(2, "party_id"))+`)?.selectedOptions[0]?.textContent === "1. Maria Keyholder"`),
		setValue(step(2, "party_id"), ""),
		chromedp.Click(chromedp.ID("plan-save")),
		poll(`document.querySelector(`+strconv.Quote(step(2, "party_id"))+`)?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector(`+strconv.Quote(step(2, "party_id"))+`)?.closest("tr").querySelector(".field-error")?.textContent === "responding party 0 is not on the call list of the plan's site"`),
		setValue(step(2, "party_id"), strconv.FormatInt(maria.ID, 10)),
		clickInPage(`#plan-steps-edit tbody tr:nth-child(1) .move-down`),
		poll(kinds+` === "call_premises,wait,call"`),
		setValue(step(0, "text"), "ask for the night manager"),
		chromedp.Click(chromedp.ID("plan-save")),
		poll(`document.querySelector("#view-records .saved")?.textContent === "Saved."`),
		poll(`document.querySelector("[aria-invalid]") === null`),
	))
	want.Steps = []store.PlanStep{{Kind: "call_premises", Text: "ask for the night manager"}, {Kind: "wait", Minutes: 10}, {Kind: "call", PartyID: maria.ID}}
	check("the plan reordered")
	screenshot(t, bctx, "console-record-plan.png")
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/records/sites/"+strconv.FormatInt(site.ID, 10)),
		poll(`document.querySelector("section.children[data-kind=action-plans] tbody tr td:nth-child(4)")?.textContent === "call the premises → wait 10 min → call Maria Keyholder"`),
		clickInPage(`section.children[data-kind=action-plans] tbody tr`),
		chromedp.WaitVisible(chromedp.ID("plan-delete")),
		chromedp.Click(chromedp.ID("plan-delete")),
		poll(`document.getElementById("plan-delete")?.textContent === "Click again to delete"`),
		chromedp.Click(chromedp.ID("plan-delete")),
		poll(`location.hash === "#/records/action-plans" && document.querySelectorAll("#view-records table.records tbody tr").length === 9`),
	))
	if p := stored(); len(p) != 0 {
		t.Fatalf("the deleted plan: %+v", p)
	}
}

// setValue gives a form control a value as a user would, with its input
// and change events, once the page shows it.
func setValue(selector, value string) chromedp.Action[chromedp.Void] {
	return poll(`(() => { const e = document.querySelector(` + strconv.Quote(selector) + `); if (!e) return false; e.value = ` + strconv.Quote(value) + `;
		e.dispatchEvent(new Event("input", { bubbles: true })); e.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`)
}

// TestHistoryInBrowser: an operator searches the history. Signals sent
// to the receiver are found by account and code, and zone 17 finds the
// panel's 017; a code without an account is refused at its field; 105
// signals of one account read 100 a page, then the older 5; incidents are
// found by the HQ above the store's site, open onto the incident, and the
// CSV download holds what the page shows.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-history*.png.
func TestHistoryInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	hq := &store.Customer{Name: "Acme Stores HQ"}
	must(t, st.Customers.Create(ctx, hq))
	region := &store.Customer{Name: "Acme North region", ParentID: &hq.ID}
	must(t, st.Customers.Create(ctx, region))
	other := &store.Customer{Name: "Other chain"}
	must(t, st.Customers.Create(ctx, other))
	for i, c := range []*store.Customer{region, region, other} {
		site := &store.Site{CustomerID: c.ID, Name: fmt.Sprintf("%s site %d", c.Name, i+1), TimeZone: "America/Chicago"}
		must(t, st.Sites.Create(ctx, site))
		must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: strconv.Itoa(6101 + i), SiteID: site.ID, SystemType: "intrusion"}))
	}
	addStationUser(t, st, "ann", "Ann Operator", store.RoleOperator)
	sendFrames(t, d, "--account", "6101", "--data", "#6101|NBA017")
	sendFrames(t, d, "--account", "6102", "--data", "#6102|NFA003")
	sendFrames(t, d, "--account", "6103", "--data", "#6103|NBA001")
	sendFrames(t, d, "--account", "6101", "--data", "#6101|NOP001", "--count", "105", "--interval", "0s")
	base := "http://" + d.HTTPAddr()
	rows := `document.querySelectorAll("#history-results tbody tr").length`
	dumpOnFailure(t, bctx, "view-history")
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "ann", "ann's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Click(chromedp.ID("nav-history")),
		chromedp.WaitVisible(chromedp.ID("history-form")),
		// A code of every account is refused at its field.
		chromedp.SendKeys(chromedp.ID("h-code"), "BA"),
		chromedp.Click(chromedp.ID("history-search")),
		poll(`document.getElementById("h-code")?.getAttribute("aria-invalid") === "true"`),
		poll(`document.querySelector("#view-history .error")?.textContent.includes("give account, account_id, site_id or customer_id")`),
		chromedp.SendKeys(chromedp.ID("h-account"), "6101"),
		chromedp.Click(chromedp.ID("history-search")),
		poll(rows+` === 1`),
		poll(`document.querySelector("#history-results tbody tr td:nth-child(4)")?.textContent.startsWith("017")`),
		chromedp.Navigate(base+"/console/#/history?kind=signals&account=6101&zone=17"),
		poll(rows+` === 1 && location.hash.includes("zone=17")`),
		chromedp.Navigate(base+"/console/#/history?kind=signals&account=6101"),
		poll(rows+` === 100`),
		poll(`document.querySelector("#view-history .page-count")?.textContent === "100+ signals, newest first"`),
	))
	must(t, chromedp.Do(bctx,
		clickInPage(`#view-history .pager a:not(#history-csv)`),
		poll(rows+` === 6`),
		poll(`document.querySelector("#history-results tbody tr:last-child td:nth-child(3)")?.textContent.startsWith("BA")`),
	))
	screenshot(t, bctx, "console-history.png")

	// Signals and incidents of the HQ: its region's two sites, not the
	// other chain's.
	hqID := strconv.FormatInt(hq.ID, 10)
	must(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/console/#/history?kind=signals&customer_id="+hqID+"&code=BA&since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)),
		poll(rows+` === 1 && document.querySelector("#history-results tbody tr td:nth-child(2)")?.textContent.includes("6101")`),
		poll(`document.getElementById("h-customer_id")?.value !== ""`),
		chromedp.Navigate(base+"/console/#/history?kind=incidents&customer_id="+hqID),
		poll(rows+` === 2`),
		poll(`Array.from(document.querySelectorAll("#history-results tbody tr td:nth-child(4)")).map(td => td.textContent).sort().join() === "1/6101,1/6102"`),
	))
	csv, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch(document.getElementById("history-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	must(t, err)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,opened_at,") || !strings.Contains(csv, ",1,") || !strings.Contains(csv, "6102") {
		t.Fatalf("the incidents' CSV:\n%s", csv)
	}
	screenshot(t, bctx, "console-history-incidents.png")
	must(t, chromedp.Do(bctx,
		clickInPage(`#history-results tbody tr`),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		poll(`location.hash.startsWith("#/incident/")`),
	))
}

// TestIncidentShowsTestsAndDecryptedFrame: an encrypted alarm from a site
// whose zone 3 is on test; the incident page says which zones are on test,
// until when and why, and shows the frame's data block as decrypted
// beside its raw bytes.
func TestIncidentShowsTestsAndDecryptedFrame(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	_, site := seedSite(t, st, "Contoso", "Contoso depot", "Europe/Berlin")
	key := "000102030405060708090A0B0C0D0E0F"
	acct := &store.Account{Receiver: 1, Number: "6201", SiteID: site.ID, SystemType: "intrusion", Key: &key, KeyFormat: "hex"}
	must(t, st.Accounts.Create(ctx, acct))
	now := time.Now()
	must(t, st.StartTest(ctx, &store.OnTest{AccountID: acct.ID, Scope: store.ScopeZones, Zones: store.Strings{"3"}, StartsAt: now,
		EndsAt: now.Add(2 * time.Hour), Reason: "detector swap", AuthorisedBy: "Tom Technician"}, 24*time.Hour))
	addStationUser(t, st, "ann", "Ann Operator", store.RoleOperator)
	sendFrames(t, d, "--account", "6201", "--data", "#6201|Nri1/BA5", "--key", key)
	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "ann", "ann's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		clickInPage(`#queue-table tbody tr`),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		poll(`!document.getElementById("incident-on-test").hidden`),
		poll(`document.getElementById("incident-on-test").textContent.startsWith("ON TEST 1/6201: zones 3 until ")`),
		poll(`document.getElementById("incident-on-test").textContent.endsWith(" — detector swap (asked by Tom Technician)")`),
		poll(`document.querySelector("#signals code.data-block")?.textContent.startsWith("#6201|Nri1/BA5")`),
	))
	screenshot(t, bctx, "console-incident-on-test.png")
}

// TestDashboardGraphsInBrowser: the dashboard graphs the last samples of
// the daemon's own figures (signals a second by protocol, ACK latency,
// queue depth) and lists each line, the panels' listener up since the
// daemon started.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-dashboard.png.
func TestDashboardGraphsInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	cfg := exampleConfig(t)
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.HTTP.AdminToken = "browser-token"
	d := runDaemon(t, cfg, daemon.Options{Logger: zaptest.NewLogger(t), TrendInterval: 300 * time.Millisecond})
	addStationUser(t, d.Store(), "sue", "Sue Supervisor", store.RoleSupervisor)
	sendFrames(t, d, "--account", "7301", "--data", "#7301|NOP001", "--count", "20", "--interval", "50ms")
	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Navigate(base+"/console/#/dashboard"),
		chromedp.WaitVisible(chromedp.ID("graphs")),
		poll(`document.querySelectorAll("#graphs figure.chart").length === 3`),
		poll(`document.querySelector("#graphs figure.chart path[data-series='DC-09 (SIA IP)']") !== null`),
		poll(`document.querySelector("#graphs figure.chart:nth-child(2) path[data-series=p99]") !== null`),
		poll(`document.querySelector("#dash-lines tbody tr[data-line='listener/`+d.Addrs()[0].Listener+`'] td:nth-child(3)")?.textContent === "up"`),
	))
	screenshot(t, bctx, "console-dashboard.png")
}

// TestResponseTimesInBrowser: a supervisor reads how fast the station
// answered: a fire and a burglary, claimed and resolved by ann, by
// priority and by operator, and downloads the same report as CSV; then
// the false alarms of the last 12 months, the site's two.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-report-*.png.
func TestResponseTimesInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust, site := seedSite(t, st, "Contoso", "Contoso depot", "")
	for _, n := range []string{"7401", "7402"} {
		must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: n, SiteID: site.ID, SystemType: "intrusion"}))
	}
	ann := &store.User{Username: "ann", FullName: "Ann Operator", Role: store.RoleOperator}
	must(t, st.CreateUser(ctx, ann, "ann's long password", store.Actor{Name: "setup"}))
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	for _, data := range []string{"#7401|NFA001", "#7402|NBA002"} {
		sendFrames(t, d, "--account", data[1:5], "--data", data)
	}
	var queue []store.Incident
	for range 100 {
		var err error
		if queue, _, err = st.Queue(ctx, time.Now()); err == nil && len(queue) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(queue) != 2 {
		t.Fatalf("queue: %+v", queue)
	}
	rules := store.QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	actor := store.Actor{ID: ann.ID, Name: ann.Username, Role: ann.Role}
	for _, in := range queue {
		for _, s := range []store.Step{{Action: "claim"}, {Action: "resolve", Code: rules.ResolutionCodes[0], Note: "checked with the keyholder"}} {
			if _, err := st.Act(ctx, in.ID, actor, s, rules); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Click(chromedp.ID("nav-reports")),
		poll(`document.querySelectorAll("#report-by-priority tbody tr").length === 2`),
		poll(`document.querySelector("#report-by-priority tbody tr td")?.textContent === "1 Fire"`),
		poll(`document.querySelector("#report-by-operator tbody tr td")?.textContent === "ann"`),
		poll(`document.querySelector("#report-by-operator tbody tr td:nth-child(2)")?.textContent === "2"`),
	))
	csv, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch(document.getElementById("report-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	must(t, err)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "by,group,incidents,claim_n,claim_p50_s,") || !strings.HasPrefix(lines[1], "priority,1,1,1,") ||
		!strings.HasPrefix(lines[3], "operator,ann,2,2,") {
		t.Fatalf("the report's CSV:\n%s", csv)
	}
	screenshot(t, bctx, "console-report-response-times.png")

	// Both were false alarms: the site has two, in the last 12 months.
	must(t, chromedp.Do(bctx,
		clickInPage(`#view-reports nav a[href*="report=false-alarms"]`),
		poll(`location.hash.startsWith("#/reports?report=false-alarms")`),
		chromedp.SetValue(chromedp.ID("report-span"), "365d"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("report-span").dispatchEvent(new Event("change"))`),
		poll(`location.hash.includes("from=365d")`),
		poll(`document.querySelector("#report-sites tbody tr td")?.textContent === "Contoso depot"`),
		poll(`document.querySelector("#report-sites tbody tr td:nth-child(3)")?.textContent === "2"`),
		poll(`document.querySelector("#report-customers tbody tr td")?.textContent === "Contoso"`),
	))
	csv, err = chromedp.Run(bctx, chromedp.Evaluate[string](`fetch(document.getElementById("report-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	must(t, err)
	if want := "site_id,site,customer_id,customer,false_alarms\n" + strconv.FormatInt(site.ID, 10) + ",Contoso depot," + strconv.FormatInt(cust.ID, 10) + ",Contoso,2\n"; csv != want {
		t.Fatalf("the false alarms' CSV:\n%q, want %q", csv, want)
	}
	screenshot(t, bctx, "console-report-false-alarms.png")
}

// dumpOnFailure logs, when the test fails, the page's address and what the
// view showed.
func dumpOnFailure(t *testing.T, bctx context.Context, view string) {
	t.Cleanup(func() {
		if t.Failed() {
			s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`location.hash + "\n" + document.getElementById(`+strconv.Quote(view)+`).innerText`))
			t.Log(s)
		}
	})
}

// addStationUser adds a station user whose password is "<name>'s long
// password".
func addStationUser(t *testing.T, st *store.Store, name, fullName, role string) {
	t.Helper()
	must(t, st.CreateUser(context.Background(), &store.User{Username: name, FullName: fullName, Role: role},
		name+"'s long password", store.Actor{Name: "setup"}))
}

// sendFrames sends frames to the daemon's first listener with the send command.
func sendFrames(t *testing.T, d *daemon.Daemon, args ...string) {
	t.Helper()
	if code, out, errs := runCmd(t, append([]string{"send", "--addr", d.Addrs()[0].TCP}, args...)...); code != 0 {
		t.Fatalf("send: exit %d %s %s", code, out, errs)
	}
}
