package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
)

// TestUnattendedIncidentIsEscalated: a burglary nobody claims past its
// priority's queue.escalate_after is escalated once: the supervisors get
// a mail through a real SMTP server naming the incident, and the action
// log says so.
func TestUnattendedIncidentIsEscalated(t *testing.T) {
	box, port := startMailbox(t)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.Queue.EscalateAfter = []time.Duration{time.Second, time.Second, time.Second, 2 * time.Second, 0, 0, 0, 0, 0}
		cfg.Queue.CheckEvery = 200 * time.Millisecond
		cfg.Queue.EscalationEmail = []string{"noc-supervisors@example.com"}
		cfg.Report.SMTP = configs.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "alarmrx <alarmrx@localhost>"}
	})
	ctx := context.Background()
	st := d.Store()
	_, site := seedSite(t, st, "Acme", "Acme depot", "")
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "2345", "--data", "#2345|Nri1/BA017"); code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(box.recipients()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	box.mu.Lock()
	msg := box.mail["noc-supervisors@example.com"]
	box.mu.Unlock()
	if !strings.Contains(msg, "Subject: =?utf-8?q?1_unattended_incident(s):_priority_4_Burglary_Alarm") ||
		!strings.Contains(msg, "#1  priority 4  Burglary Alarm — zone 017  (Acme depot, receiver 1 account 2345)  unclaimed for 2s") {
		t.Fatalf("the supervisors' mail: %q", msg)
	}
	list, err := st.Incidents(ctx, store.IncidentFilter{})
	must(t, err)
	if len(list) != 1 || list[0].EscalatedAt == nil {
		t.Fatalf("incidents %+v", list)
	}
	log, err := st.IncidentActions(ctx, list[0].ID)
	must(t, err)
	if last := log[len(log)-1]; last.Action != "escalated" || !strings.Contains(string(last.Detail), `"threshold":"2s"`) {
		t.Fatalf("action log ends with %s %s", last.Action, last.Detail)
	}
}

// TestEscalationInBrowser: a supervisor's queue, in headless Chromium,
// shows an incident left unclaimed past its priority's threshold above the
// queue and marks its row; once an operator claims it, the banner goes.
func TestEscalationInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.Queue.EscalateAfter = []time.Duration{time.Second, time.Second, time.Second, 2 * time.Second, 0, 0, 0, 0, 0}
		cfg.Queue.CheckEvery = 200 * time.Millisecond
	})
	ctx := context.Background()
	st := d.Store()
	_, site := seedSite(t, st, "Acme", "Acme depot", "")
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "2345", SiteID: site.ID}))
	addStationUser(t, st, "sue", "Sue Supervisor", store.RoleSupervisor)
	ann := &store.User{Username: "ann", Role: store.RoleOperator}
	must(t, st.CreateUser(ctx, ann, "ann's long password", store.Actor{Name: "setup"}))
	base := "http://" + d.HTTPAddr()
	dumpOnFailure(t, bctx, "view-queue")
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
	))
	sendFrames(t, d, "--account", "2345", "--data", "#2345|Nri1/BA017")
	must(t, chromedp.Do(bctx,
		poll(`!document.getElementById("escalations").hidden && document.getElementById("escalations").textContent.startsWith("1 unattended past their priority's time: #1 Burglary Alarm")`),
		poll(`document.querySelector("#queue-table tbody tr .escalated")?.textContent === "unattended: supervisors told"`),
	))
	// An operator claims it: the supervisor's banner goes.
	list, err := st.Incidents(ctx, store.IncidentFilter{})
	must(t, err)
	if _, err := st.Act(ctx, list[0].ID, store.Actor{ID: ann.ID, Name: ann.Username, Role: ann.Role}, store.Step{Action: "claim"},
		store.QueueRules{ClaimTimeout: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	must(t, chromedp.Do(bctx, poll(`document.getElementById("escalations").hidden`)))
}
