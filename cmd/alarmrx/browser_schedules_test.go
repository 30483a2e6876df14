package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
)

// TestPortalSchedulesInBrowser: office staff without the schedules right
// see a system's schedule but no editor; the account manager edits the
// week in the portal, is told at the day which window is wrong, and saves
// a schedule the store keeps as set by the portal user, with its audit
// entry; the station's temporary day stays as the station set it.
func TestPortalSchedulesInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust, site := seedSite(t, st, "Corner Shops Ltd", "Corner shop, High St", "Europe/London")
	acct := &store.Account{Receiver: 1, Number: "4321", SiteID: site.ID}
	must(t, st.Accounts.Create(ctx, acct))
	admin := store.Actor{Name: "admin", Role: store.RoleAdmin}
	must(t, st.SetSchedule(ctx, &store.Schedule{AccountID: acct.ID, OpenGraceMinutes: 10, CloseGraceMinutes: 20,
		Windows: []store.ScheduleWindow{{Day: "monday", Opens: "09:00", Closes: "17:00"}},
		Days:    []store.ScheduleDay{{Date: "2026-12-24", Opens: "09:00", Closes: "13:00"}}}, admin))
	scope := store.ScopeOf("customer", cust.ID)
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: scope, Kind: store.PortalManager, Username: "owner",
		FullName: "Shop owner"}, "owner's long password", admin))
	must(t, st.CreatePortalUser(ctx, &store.PortalUser{Scope: scope, Kind: store.PortalStaff, Username: "till",
		FullName: "Till staff", Rights: store.Strings{store.RightNotes}}, "till's long password", admin))
	base := "http://" + d.HTTPAddr()
	defer func() {
		if t.Failed() {
			s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("schedule-error").textContent + " | " + document.getElementById("site-error").textContent`))
			t.Log("page:", s)
		}
	}()
	openSite := chromedp.Steps(
		clickInPage(`#sites tbody tr[data-id] a`),
		chromedp.WaitVisible(chromedp.ID("view-site")),
		poll(`document.getElementById("schedules").textContent.includes("mon 09:00-17:00")`),
	)
	must(t, chromedp.Do(bctx, portalLogIn(base, cust.Identifier, "till", "till's long password"), openSite))
	if got := text(t, bctx, chromedp.ID("schedules")); !strings.Contains(got, "2026-12-24 09:00-13:00") || !strings.Contains(got, "10 / 20 min") {
		t.Fatalf("the schedule as staff see it: %q", got)
	}
	if hidden, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById("schedule-form").hidden`)); err != nil || !hidden {
		t.Fatalf("staff without the right see the editor (hidden %v, %v)", hidden, err)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("logout")),
		portalLogIn(base, cust.Identifier, "owner", "owner's long password"),
		openSite,
		chromedp.WaitVisible(chromedp.ID("schedule-form")),
		// Tuesday's window is inverted: refused, and marked at Tuesday.
		chromedp.SendKeys(chromedp.ID("schedule-tuesday"), "17:00-09:00"),
		chromedp.Click(chromedp.ID("schedule-save")),
		poll(`document.getElementById("schedule-error").textContent === "Tuesday: closes 09:00 is not after opens 17:00"`),
		poll(`document.getElementById("schedule-tuesday").getAttribute("aria-invalid") === "true"`),
	))
	screenshot(t, bctx, "portal-schedule.png")
	must(t, chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("schedule-tuesday").value = ""`),
		chromedp.SendKeys(chromedp.ID("schedule-tuesday"), "09:00-12:30, 13:30-17:00"),
		chromedp.SendKeys(chromedp.ID("schedule-saturday"), "10:00-14:00"),
		chromedp.Click(chromedp.ID("schedule-save")),
		poll(`document.getElementById("schedules").textContent.includes("tue 09:00-12:30, 13:30-17:00; sat 10:00-14:00")`),
		poll(`document.getElementById("schedule-error").textContent === ""`),
	))
	sch, err := st.Schedule(ctx, acct.ID)
	must(t, err)
	if len(sch.Windows) != 4 || sch.Windows[1].Day != "tuesday" || sch.Windows[3].Day != "saturday" || len(sch.Days) != 1 ||
		sch.OpenGraceMinutes != 10 || !strings.HasPrefix(sch.UpdatedBy, "portal:") || !strings.HasSuffix(sch.UpdatedBy, "/owner") {
		t.Fatalf("stored schedule %+v", sch)
	}
	entries, err := st.Audit(ctx, 0, 100)
	must(t, err)
	if entries[0].Action != "schedule.set" || entries[0].UserName != sch.UpdatedBy || !strings.Contains(entries[0].Detail, `"before"`) {
		t.Fatalf("latest audit entry %+v", entries[0])
	}
}
