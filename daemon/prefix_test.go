package daemon

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
)

const legacyPasskey = "legacy-cloud-passkey-77a1c0"

// prefixConfig adds receiver 3 (prefix 9, add) and 4 (prefix 9, expect),
// each with a DC-09 listener, and an XML sender on receiver 4 that sends
// numbers without the prefix (add, overriding its receiver's expect).
func prefixConfig(t *testing.T) *configs.Config {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	l := cfg.Receivers[1].Listeners[0]
	l.Name, l.Line = "dc09-add", 1
	add := configs.Receiver{Number: 3, Name: "panels", AccountPrefix: "9", AccountPrefixMode: "add", Listeners: []configs.Listener{l}}
	l.Name = "dc09-expect"
	expect := configs.Receiver{Number: 4, Name: "cloud", AccountPrefix: "9", AccountPrefixMode: "expect", Listeners: []configs.Listener{l}}
	cfg.Receivers = append(cfg.Receivers, add, expect)
	cfg.XML.Senders = []configs.XMLSender{{ID: "legacy", Passkey: legacyPasskey, Receiver: 4, Line: 3, AccountPrefixMode: "add"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPrefixRuleEndToEnd: with prefix 9, panels 123 and 9123 reach two
// accounts, never one: with add they are 9123 and 99123, and each one's
// own DC-09 key decrypts its frames (the key lookup applies the same
// rule); with expect, 9123 is taken as sent and 123, which lacks the
// prefix, is stored as sent, unknown, and counted. An XML sender that
// states add gets the prefix put in front on a receiver that expects it.
func TestPrefixRuleEndToEnd(t *testing.T) {
	r := startDaemon(t, prefixConfig(t))
	site := newSite(t, r)
	var a, b, c, d store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 3, "number": "123", "site_id": site, "dc09_key": hexKey}, &a)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 3, "number": "9123", "site_id": site, "dc09_key": hexKey256}, &b)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 4, "number": "9123", "site_id": site}, &c)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 4, "number": "9555", "site_id": site}, &d)
	if a.Number != "9123" || b.Number != "99123" || c.Number != "9123" || d.Number != "9555" {
		t.Fatalf("accounts %s %s %s %s", a.Number, b.Number, c.Number, d.Number)
	}

	// Receiver 3, add: each panel encrypts with its own account's key.
	p := dial(t, r, "dc09-add", "tcp", hexKey, "hex")
	mustSend(t, p, frame("SIA-DCS", "123", "0001", "#123|Nri1/BA001", true), "ACK")
	p2 := dial(t, r, "dc09-add", "tcp", hexKey256, "hex")
	mustSend(t, p2, frame("SIA-DCS", "9123", "0001", "#9123|Nri1/BA002", true), "ACK")
	for account, id := range map[string]int64{"9123": a.ID, "99123": b.ID} {
		got := signals(t, r, "receiver=3&account="+account)
		if len(got) != 1 || got[0]["resolution"] != "resolved" || got[0]["account_id"] != float64(id) {
			t.Fatalf("receiver 3 account %s: %v", account, got)
		}
	}

	// Receiver 4, expect: 9123 as sent; 123 stored as sent, unknown.
	q := dial(t, r, "dc09-expect", "tcp", "", "")
	mustSend(t, q, frame("SIA-DCS", "9123", "0001", "#9123|Nri1/BA003", false), "ACK")
	mustSend(t, q, frame("SIA-DCS", "123", "0002", "#123|Nri1/BA004", false), "ACK")
	if got := signals(t, r, "receiver=4&account=9123"); len(got) != 1 || got[0]["account_id"] != float64(c.ID) {
		t.Fatalf("receiver 4 account 9123: %v", got)
	}
	if got := signals(t, r, "receiver=4&account=123"); len(got) != 1 || got[0]["resolution"] != "unknown" {
		t.Fatalf("receiver 4 account 123: %v", got)
	}
	if v := counter(t, r, "alarmrx_account_prefix_missing_total", "listener", "dc09-expect"); v != 1 {
		t.Fatalf("alarmrx_account_prefix_missing_total = %v", v)
	}

	// The legacy cloud sends 555 on receiver 4, whose add rule is its own.
	body := bytes.Replace(example(t, "chekt-style.xml"), []byte("<Account>ABC1234</Account>"), []byte("<Account>555</Account>"), 1)
	body = bytes.Replace(body, []byte("<Source>chekt</Source>"), []byte("<Source>legacy</Source>"), 1)
	if code, resp, raw := postSignals(t, r, "/xml/v1/signals", legacyPasskey, body); code != http.StatusOK || resp.Status.Code != 0 {
		t.Fatalf("xml: %d %s", code, raw)
	}
	if got := signals(t, r, "receiver=4&account=9555"); len(got) != 1 || got[0]["account_id"] != float64(d.ID) || got[0]["listener"] != "xml-legacy" {
		t.Fatalf("legacy cloud's signal: %v", got)
	}
}

// TestClaimedIncidentSaysItsAccountAndSite: after an unknown account is
// added and its signals claimed, its unknown-account incident names the
// account and the site, and its action log says who claimed it.
func TestClaimedIncidentSaysItsAccountAndSite(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-cloud", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "4321", "0001", "#4321|Nri1/BA017", false), "ACK")
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Kind != store.IncidentUnknownAccount || q.Queue[0].AccountID != nil {
		t.Fatalf("queue: %+v", q.Queue)
	}
	incident := q.Queue[0].ID
	site := newSite(t, r)
	var acct store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 2, "number": "4321", "site_id": site}, &acct)
	var claim struct {
		Claimed   int64   `json:"claimed"`
		Incidents []int64 `json:"incidents"`
	}
	if code := apiPost(t, r, "/api/v1/accounts/"+itoa(acct.ID)+"/claim-signals?since=1h", nil, &claim); code != http.StatusOK ||
		claim.Claimed != 1 || len(claim.Incidents) != 1 || claim.Incidents[0] != incident {
		t.Fatalf("claim: %d %+v", code, claim)
	}
	var detail struct {
		Incident store.Incident         `json:"incident"`
		Actions  []store.IncidentAction `json:"actions"`
	}
	if code := apiGet(t, r, "/api/v1/incidents/"+itoa(incident), adminToken, &detail); code != http.StatusOK {
		t.Fatalf("incident: %d", code)
	}
	in := detail.Incident
	if in.AccountID == nil || *in.AccountID != acct.ID || in.SiteID == nil || *in.SiteID != site || in.SiteName != "Acme yard" ||
		!strings.Contains(in.Title, "ABC4321") || !strings.Contains(in.Title, "now of site Acme yard") {
		t.Fatalf("claimed incident: %+v", in)
	}
	last := detail.Actions[len(detail.Actions)-1]
	var what map[string]any
	_ = json.Unmarshal(last.Detail, &what)
	if last.Action != "account_claimed" || last.UserName != "api" || what["site_name"] != "Acme yard" ||
		what["account_id"] != float64(acct.ID) || what["account"] != "ABC4321" || time.Since(last.At) > time.Minute {
		t.Fatalf("action log: %s %s %v", last.Action, last.UserName, what)
	}
}
