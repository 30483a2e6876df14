package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
)

// TestStationReportsInBrowser: a supervisor reads the accounts not heard
// from (one never sent a signal), then picks a site by searching and reads
// its openings and closings in the site's time, and downloads the report
// as a PDF and as HTML. ALARMRX_UPDATE_SCREENSHOTS=1 rewrites
// docs/console-report-silent-accounts.png and console-report-open-close.png.
func TestStationReportsInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	dumpOnFailure(t, bctx, "view-reports")
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	_, site := seedSite(t, st, "Fabrikam", "Fabrikam bakery", "America/Chicago")
	for _, n := range []string{"7501", "7502"} {
		must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: n, SiteID: site.ID, SystemType: "intrusion"}))
	}
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	sendFrames(t, d, "--account", "7501", "--data", "#7501|NOP3")
	sendFrames(t, d, "--account", "7501", "--data", "#7501|NCL3")
	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		chromedp.Navigate(base+"/#/reports?report=silent-accounts&from=7d"),
		poll(`document.querySelectorAll("#report-silent tbody tr").length === 1`),
		poll(`document.querySelector("#report-silent tbody tr td")?.textContent === "1/7502"`),
		poll(`document.querySelector("#report-silent tbody tr td:nth-child(4)")?.textContent === "never"`),
		poll(`document.querySelector("#report-silent tbody tr td:nth-child(5)")?.textContent === "never heard"`),
	))
	screenshot(t, bctx, "console-report-silent-accounts.png")

	must(t, chromedp.Do(bctx,
		clickInPage(`#view-reports nav a[href*="report=open-close"]`),
		poll(`document.getElementById("report-site") !== null`),
		poll(`document.getElementById("report-pdf") === null`), // no site, no file
		chromedp.SendKeys(chromedp.ID("report-site"), "bakery"),
		poll(`document.querySelector("#report-site-list option")?.value === "#`+strconv.FormatInt(site.ID, 10)+` Fabrikam bakery"`),
		chromedp.SetValue(chromedp.ID("report-site"), "#"+strconv.FormatInt(site.ID, 10)+" Fabrikam bakery"),
		clickInPage(`#report-form button[type=submit]`),
		poll(`location.hash.includes("site_id=")`),
		poll(`document.querySelectorAll("#report-open-close tbody tr").length === 2`),
		poll(`document.querySelector("#report-open-close tbody tr td:nth-child(4)")?.textContent === "Closed by user 3"`),
		poll(`document.querySelector("#report-open-close tbody tr:nth-child(2) td:nth-child(4)")?.textContent === "Opened by user 3"`),
		// In the site's time: Chicago is UTC−5 or −6, never UTC.
		poll(`/ C[SD]T$/.test(document.querySelector("#report-open-close tbody tr td time")?.textContent)`),
	))
	type file struct {
		Type, Start, Name string
	}
	for format, want := range map[string]file{
		"pdf":  {"application/pdf", "%PDF-", "open-close-"},
		"html": {"text/html; charset=utf-8", "<!doctype html>", "open-close-"},
	} {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[file](`fetch(document.getElementById("report-`+format+`").href).then(async r => ({
			Type: r.headers.get("Content-Type"), Start: (await r.text()).slice(0, `+strconv.Itoa(len(want.Start))+`),
			Name: (r.headers.get("Content-Disposition").match(/filename="([a-z-]+)/) || [])[1]}))`, chromedp.EvalAwaitPromise))
		must(t, err)
		if got != want {
			t.Errorf("%s download: %+v, want %+v", format, got, want)
		}
	}
	screenshot(t, bctx, "console-report-open-close.png")
}
