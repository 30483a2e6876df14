package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
)

// TestConsoleAddsUnprogrammedZoneInBrowser: a panel signals on a zone the
// station has not programmed; an admin opening the incident in a real
// headless Chromium sees the site's systems with their installers and the
// zone listed apart, adds it with the number filled in, and the list
// empties while the zone joins the programmed ones.
func TestConsoleAddsUnprogrammedZoneInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Corner Shop"}
	must(t, st.Customers.Create(ctx, cust))
	alarms := &store.Installer{Name: "Alarm Co"}
	video := &store.Installer{Name: "Video Co"}
	must(t, st.Installers.Create(ctx, alarms))
	must(t, st.Installers.Create(ctx, video))
	site := &store.Site{CustomerID: cust.ID, Name: "Corner Shop, High St", InstallerID: &alarms.ID}
	must(t, st.Sites.Create(ctx, site))
	acct := &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}
	must(t, st.Accounts.Create(ctx, acct))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2346", SiteID: site.ID, SystemType: "cctv", InstallerID: &video.ID}))
	must(t, st.Zones.Create(ctx, &store.Zone{AccountID: acct.ID, Number: "017", Description: "Front door"}))
	must(t, st.CreateUser(ctx, &store.User{Username: "ada", FullName: "Ada Admin", Role: store.RoleAdmin},
		"ada's long password", store.Actor{Name: "setup"}))
	for _, data := range []string{"#2345|Nri1/BA023", "#2345|Nri1/BA023"} {
		if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", data); code != 0 {
			t.Fatalf("send: exit %d %s %s", code, out, errs)
		}
	}

	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "ada", "ada's long password"),
		chromedp.WaitVisible(chromedp.CSS(`#queue-table tbody tr[data-id]`)),
		clickInPage(`#queue-table tbody tr[data-id]`),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		chromedp.WaitVisible(chromedp.ID("unprogrammed-zones")),
	))
	systems := text(t, bctx, chromedp.ID("systems"))
	if !strings.Contains(systems, "Intruder alarm") || !strings.Contains(systems, "Alarm Co (site's installer)") ||
		!strings.Contains(systems, "CCTV") || !strings.Contains(systems, "Video Co") {
		t.Fatalf("systems %q", systems)
	}
	if listed := text(t, bctx, chromedp.ID("unprogrammed")); !strings.Contains(listed, "23") || !strings.Contains(listed, "2") {
		t.Fatalf("unprogrammed zones %q", listed)
	}
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`#unprogrammed button.add-zone`)),
		chromedp.WaitVisible(chromedp.ID("zone-form")),
		poll(`document.getElementById("zone-number").value === "23"`),
		chromedp.SendKeys(chromedp.ID("zone-description"), "Stock room PIR"),
		chromedp.Click(chromedp.ID("zone-add")),
		poll(`document.getElementById("zones").textContent.includes("Stock room PIR")`),
		poll(`document.getElementById("unprogrammed-zones").hidden`),
	))
	zones, err := st.Zones.List(ctx, store.ListOptions{Where: map[string]any{"account_id": acct.ID}})
	must(t, err)
	if len(zones) != 2 || zones[1].Number != "23" || zones[1].Description != "Stock room PIR" || zones[1].CreatedBy != "station:ada" {
		t.Fatalf("zones %+v", zones)
	}
}
