package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestConsoleNightShiftInBrowser: a trouble is on screen when a fire
// arrives; the fire is drawn above it in its own colour, and neither row
// changes colour with age (the badge does). The tab's title counts the
// waiting incidents and names the most urgent; the armed sound follows
// the most urgent waiting priority and repeats until it is claimed; a
// browser notification is shown for the new fire. The keyboard claims,
// opens the next incident, writes a note and picks a resolution, and the
// dark theme is kept across a reload.
// ALARMRX_UPDATE_SCREENSHOTS=1 rewrites docs/console-queue*.png.
func TestConsoleNightShiftInBrowser(t *testing.T) {
	bctx := newBrowser(t, 90*time.Second)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.Queue.AgeWarn, cfg.Queue.AgeCritical = 1*time.Second, 2*time.Second
	})
	ctx := context.Background()
	st := d.Store()
	cust := &store.Customer{Name: "Contoso Retail"}
	must(t, st.Customers.Create(ctx, cust))
	for i, name := range []string{"Contoso, Harbour Rd store", "Contoso, Mill Lane depot"} {
		site := &store.Site{CustomerID: cust.ID, Name: name, TimeZone: "America/New_York"}
		must(t, st.Sites.Create(ctx, site))
		must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: strconv.Itoa(3401 + i), SiteID: site.ID, SystemType: "intrusion"}))
	}
	must(t, st.CreateUser(ctx, &store.User{Username: "ann", FullName: "Ann Operator", Role: store.RoleOperator},
		"ann's long password", store.Actor{Name: "setup"}))
	send := func(account, data string) {
		t.Helper()
		if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", account, "--data", data); code != 0 {
			t.Fatalf("send: exit %d %s %s", code, out, errs)
		}
	}
	rowColour := func(n int) string {
		return fmt.Sprintf(`getComputedStyle(document.querySelector("#queue-table tbody tr:nth-child(%d) td:nth-child(3)")).backgroundColor`, n)
	}
	evalString := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr))
		must(t, err)
		return s
	}
	key := func(k string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(k) }

	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "ann", "ann's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		poll(`document.getElementById("live").classList.contains("on")`),
		poll(`document.title === "alarmrx console"`),
		// Browser notifications, allowed: what the page shows is recorded.
		chromedp.Evaluate[chromedp.Void](`window.shown = []; window.Notification = class { static permission = "granted";
			static requestPermission() { return Promise.resolve("granted"); } constructor(title) { window.shown.push(title); } };`),
		// The operator arms the sound with a click, as browsers require.
		chromedp.Click(chromedp.ID("sound")),
		poll(`document.documentElement.dataset.sound === "armed" && document.getElementById("sound").textContent === "Sound on"`),
	))

	// An AC trouble: a muted row, a trouble's sound.
	send("3401", "#3401|Nri1/AT")
	time.Sleep(2 * time.Second)
	must(t, chromedp.Do(bctx,
		poll(`document.querySelectorAll("#queue-table tbody tr.prio").length === 1`),
		poll(`document.documentElement.dataset.alert === "6"`),
		poll(`document.title === "(1) Trouble · alarmrx console"`),
	))
	trouble := evalString(rowColour(1))

	// A fire arrives while the trouble is on screen: it is drawn above it,
	// in fire's colour, and the sound becomes fire's, repeating.
	send("3402", "#3402|Nri1/FA001")
	must(t, chromedp.Do(bctx,
		poll(`document.querySelectorAll("#queue-table tbody tr.prio").length === 2`),
		poll(`document.querySelector("#queue-table tbody tr").classList.contains("prio-1")`),
		poll(`document.title === "(2) Fire · alarmrx console"`),
		poll(`document.documentElement.dataset.alert === "1"`),
		poll(`window.shown.length === 1`),
	))
	if got := evalString(`window.shown[0]`); !strings.HasPrefix(got, "Fire: ") {
		t.Errorf("notification %q", got)
	}
	fire := evalString(rowColour(1))
	if fire != "rgb(255, 205, 210)" || trouble != "rgb(236, 239, 241)" {
		t.Errorf("row colours: fire %s, trouble %s", fire, trouble)
	}
	if got := evalString(rowColour(2)); got != trouble {
		t.Errorf("the trouble's row turned %s below the fire (was %s)", got, trouble)
	}
	beeps, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.dataset.beeps`))
	must(t, err)
	must(t, chromedp.Do(bctx,
		// Fire's pattern repeats every 2 s while the fire waits.
		poll(`Number(document.documentElement.dataset.beeps) >= `+beeps+` + 2`),
		// Past age_critical the badge says so; the rows keep their colours.
		poll(`[...document.querySelectorAll("#queue-table tbody .age")].every(b => b.classList.contains("age-critical"))`),
	))
	if got := evalString(rowColour(1)); got != fire {
		t.Errorf("the fire's row turned %s with age", got)
	}
	screenshot(t, bctx, "console-queue.png")

	// The keyboard: j selects the fire, c claims it; the sound and the
	// title fall to the trouble.
	must(t, chromedp.Do(bctx,
		key("j"),
		poll(`document.querySelector("#queue-table tbody tr.selected").classList.contains("prio-1")`),
		key("c"),
		poll(`document.querySelector("#queue-table tbody tr.prio-1 td:nth-child(7)").textContent === "ann"`),
		poll(`document.title === "(1) Trouble · alarmrx console" && document.documentElement.dataset.alert === "6"`),
		// j, Enter: the trouble's page, not claimed by looking at it.
		key("j"),
		poll(`document.querySelector("#queue-table tbody tr.selected").classList.contains("prio-6")`),
		key(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("view-incident")),
		poll(`document.getElementById("incident-title").textContent.includes("AC")`),
		poll(`document.getElementById("incident-claim").textContent === "unclaimed"`),
		key("c"),
		poll(`document.getElementById("incident-claim").textContent === "claimed by ann"`),
		poll(`document.title === "alarmrx console" && document.documentElement.dataset.alert === "0"`),
		key("n"),
		poll(`document.activeElement.id === "note-text"`),
		chromedp.SendKeys(chromedp.ID("note-text"), "Mains back per keyholder"),
		key(kb.Escape),
		poll(`document.activeElement.id !== "note-text"`),
		key("r"),
		poll(`document.activeElement.id === "resolve-code"`),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		key("?"),
		poll(`!document.getElementById("keys").hidden`),
		key("?"),
		key(kb.Escape),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
	))

	// The dark theme, kept by this browser across a reload.
	must(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("theme")),
		poll(`document.documentElement.dataset.theme === "dark"`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#queue-table tbody tr.prio`)),
		poll(`document.documentElement.dataset.theme === "dark"`),
	))
	if got := evalString(`getComputedStyle(document.body).backgroundColor`); got != "rgb(17, 21, 27)" {
		t.Errorf("dark theme background %s", got)
	}
	if got := evalString(rowColour(1)); got != "rgb(92, 21, 21)" {
		t.Errorf("dark theme fire row %s", got)
	}
	screenshot(t, bctx, "console-queue-dark.png")
}

// TestSignalLogInBrowser: a supervisor commissioning a panel watches the
// live signal log: a frame arriving is shown at once, and a frame with a
// bad CRC is shown rejected, with the reason; "rejected only" and the
// listener filter offers the listeners heard. Only supervisors and admins
// have the page.
func TestSignalLogInBrowser(t *testing.T) {
	bctx := newBrowser(t, 60*time.Second)
	d := startWebDaemon(t, nil)
	ctx := context.Background()
	st := d.Store()
	must(t, st.CreateUser(ctx, &store.User{Username: "sue", FullName: "Sue Supervisor", Role: store.RoleSupervisor},
		"sue's long password", store.Actor{Name: "setup"}))
	base := "http://" + d.HTTPAddr()
	must(t, chromedp.Do(bctx,
		consoleLogIn(base+"/", "sue", "sue's long password"),
		chromedp.WaitVisible(chromedp.ID("view-queue")),
		poll(`!document.getElementById("nav-log").hidden`),
		chromedp.Click(chromedp.ID("nav-log")),
		chromedp.WaitVisible(chromedp.ID("view-log")),
	))
	if code, out, errs := runCmd(t, "send", "--addr", d.Addrs()[0].TCP, "--account", "5501", "--data", "#5501|Nri1/BA003"); code != 0 {
		t.Fatalf("send: exit %d %s %s", code, out, errs)
	}
	conn, err := net.Dial("tcp", d.Addrs()[0].TCP)
	must(t, err)
	defer conn.Close()
	// A DC-09 frame whose CRC is wrong: NAKed and stored as rejected.
	_, err = conn.Write([]byte("\n00000026\"SIA-DCS\"0007L0#5502[#5502|Nri1/BA004]\r"))
	must(t, err)
	must(t, chromedp.Do(bctx,
		poll(`document.querySelectorAll("#log tbody tr").length === 2`),
		poll(`document.querySelector("#log tbody tr.frame-rejected td:nth-child(6)").textContent.startsWith("rejected: ")`),
		poll(`[...document.querySelectorAll("#log tbody tr.frame-accepted td:nth-child(4)")].map(c => c.textContent).join() === "5501"`),
		chromedp.Click(chromedp.ID("log-rejected")),
		poll(`document.querySelectorAll("#log tbody tr").length === 1 && document.querySelector("#log tbody tr").className === "frame-rejected"`),
		chromedp.Click(chromedp.ID("log-rejected")),
		poll(`[...document.querySelectorAll("#log-listener option")].some(o => o.value === "dc09-main")`),
	))
	reason := text(t, bctx, chromedp.CSS(`#log tbody tr.frame-rejected td:nth-child(6)`))
	if !strings.Contains(reason, "crc") {
		t.Errorf("rejected frame's result %q: want the CRC reason", reason)
	}
	screenshot(t, bctx, "console-signal-log.png")
}
