package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// auditOf finds the newest audit entry of an action on a target by a
// user (ids of deleted rows are used again).
func auditOf(t *testing.T, entries []store.AuditEntry, action, target, user string) store.AuditEntry {
	t.Helper()
	for _, e := range entries {
		if e.Action == action && e.Target == target && e.UserName == user {
			return e
		}
	}
	t.Fatalf("no audit entry %s %s by %s", action, target, user)
	return store.AuditEntry{}
}

// compact renders a before or after for comparison ("null" for none).
func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "bad JSON: " + string(raw)
	}
	return b.String()
}

// TestAuditHoldsBeforeAndAfter: every change of a station record, by the
// admin token, a station user's session and a portal user alike, is in
// the audit log with who made it and the record's fields before and after
// (the changed ones on update, all on create and delete); DC-09 keys,
// passcodes and passwords are "changed", their values nowhere in the log.
func TestAuditHoldsBeforeAndAfter(t *testing.T) {
	s := newStationServer(t)
	const key, passcode, newPasscode = "000102030405060708090A0B0C0D0E0F", "swordfish", "marlin"
	var site withIdentifier
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	s.post("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot", "notes": "side gate"}, &site)

	// The admin token: create, update and delete.
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site.ID,
		"dc09_key": key, "notes": "old"})
	var out map[string]any
	if code := s.call("PUT", "/api/v1/accounts/"+itoa(acct), "application/json",
		`{"receiver": 1, "site_id": `+itoa(site.ID)+`, "system_type": "pers", "notes": "new", "dc09_key": "0F0E0D0C0B0A09080706050403020100"}`, &out); code != http.StatusOK {
		t.Fatalf("put account: %d %v", code, out)
	}
	police := s.mustCreate("/api/v1/authorities", map[string]any{"site_id": site.ID, "kind": "police", "name": "City Police"})
	if code := s.call("DELETE", "/api/v1/authorities/"+itoa(police), "", "", nil); code != http.StatusNoContent {
		t.Fatalf("delete authority: %d", code)
	}

	// A station user (an admin logged in to the console).
	s.mustCreate("/api/v1/users", map[string]any{"username": "ada", "role": "admin", "password": "ada's long password"})
	ada, _ := s.login(t, "ada", "ada's long password")
	var rp store.RespondingParty
	if code := ada.call("POST", "/api/v1/responding-parties", map[string]any{"site_id": site.ID, "position": 1, "name": "Ann",
		"passcode": passcode}, &rp, true); code != http.StatusCreated {
		t.Fatalf("ada creates a contact: %d", code)
	}
	if code := ada.call("PUT", "/api/v1/responding-parties/"+itoa(rp.ID), map[string]any{"site_id": site.ID, "position": 1,
		"name": "Ann Smith"}, nil, true); code != http.StatusOK {
		t.Fatalf("ada renames it: %d", code)
	}
	if code := ada.call("PUT", "/api/v1/responding-parties/"+itoa(rp.ID), map[string]any{"site_id": site.ID, "position": 1,
		"name": "Ann Smith", "passcode": newPasscode}, nil, true); code != http.StatusOK {
		t.Fatalf("ada changes its passcode: %d", code)
	}
	if code := ada.call("DELETE", "/api/v1/responding-parties/"+itoa(rp.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("ada deletes it: %d", code)
	}
	zone := s.mustCreate("/api/v1/zones", map[string]any{"account_id": acct, "number": "17", "description": "Front door"})
	var users struct {
		Items []store.User `json:"items"`
	}
	s.call("GET", "/api/v1/users", "", "", &users)
	if code := s.call("PUT", "/api/v1/users/"+itoa(users.Items[0].ID), "application/json",
		`{"role": "supervisor", "password": "ada's newer password"}`, nil); code != http.StatusOK {
		t.Fatalf("put user: %d", code)
	}

	// A portal user: the site's account manager edits a zone, the notes,
	// and its call list.
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", site.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	boss, _ := s.portalLogin(t, site.Identifier, "boss", "boss's password")
	// The manager creates office staff and changes their rights; the
	// station disables them.
	var clerk store.PortalUser
	if code := boss.call("POST", "/portal/api/users", map[string]any{"username": "clerk", "password": "clerk's password!",
		"rights": []string{"notes"}}, &clerk, true); code != http.StatusCreated {
		t.Fatalf("portal staff: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/users/"+itoa(clerk.ID), map[string]any{"rights": []string{"notes", "zones"}}, nil, true); code != http.StatusOK {
		t.Fatalf("portal staff rights: %d", code)
	}
	if code := s.call("PUT", "/api/v1/portal-users/"+itoa(clerk.ID), "application/json",
		`{"disabled": true, "password": "a new long password"}`, nil); code != http.StatusOK {
		t.Fatalf("station disables staff: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/zones/"+itoa(zone), map[string]any{"description": "Front door (main)"}, nil, true); code != http.StatusOK {
		t.Fatalf("portal zone edit: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/sites/"+itoa(site.ID)+"/notes", map[string]any{"notes": "side gate locked at 6"}, nil, true); code != http.StatusOK {
		t.Fatalf("portal notes: %d", code)
	}
	var dana store.RespondingParty
	if code := boss.call("POST", "/portal/api/sites/"+itoa(site.ID)+"/call-list", map[string]any{"position": 2, "name": "Dana",
		"passcode": passcode}, &dana, true); code != http.StatusCreated {
		t.Fatalf("portal contact: %d", code)
	}
	if code := boss.call("DELETE", "/portal/api/call-list/"+itoa(dana.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("portal delete: %d", code)
	}

	req, _ := http.NewRequest("GET", s.url+"/api/v1/audit?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{key, "0F0E0D0C0B0A0908", passcode, newPasscode, "ada's newer password", "boss's password",
		"clerk's password!", "a new long password"} {
		if bytes.Contains(bytes.ToUpper(body), bytes.ToUpper([]byte(secret))) {
			t.Fatalf("the audit log holds the secret %q", secret)
		}
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	if err := json.Unmarshal(body, &audit); err != nil {
		t.Fatal(err)
	}
	portal := "portal:site:" + itoa(site.ID) + "/boss"
	for _, c := range []struct {
		action, target, user, before, after string
	}{
		{"account.create", "account:" + itoa(acct), "api", "null",
			`{"dc09_key":"changed","dc09_key_format":"hex","installer_id":null,"notes":"old","number":"1234","receiver":1,"site_id":` + itoa(site.ID) +
				`,"supervision_interval":"0s","system_type":"intrusion","technician_id":null,"test_interval":"0s"}`},
		{"account.update", "account:" + itoa(acct), "api", `{"dc09_key":"changed","notes":"old","system_type":"intrusion"}`,
			`{"dc09_key":"changed","notes":"new","system_type":"pers"}`},
		{"authority.delete", "authority:" + itoa(police), "api", `{"kind":"police","name":"City Police","phones":[],"site_id":` + itoa(site.ID) + `}`, "null"},
		{"responding_party.create", "responding_party:" + itoa(rp.ID), "ada", "null",
			`{"name":"Ann","passcode":"changed","phones":[],"position":1,"role":"keyholder","site_id":` + itoa(site.ID) + `}`},
		{"responding_party.delete", "responding_party:" + itoa(rp.ID), "ada",
			`{"name":"Ann Smith","passcode":"changed","phones":[],"position":1,"role":"keyholder","site_id":` + itoa(site.ID) + `}`, "null"},
		{"user.update", "user:" + itoa(users.Items[0].ID), "api", `{"password":"changed","role":"admin"}`, `{"password":"changed","role":"supervisor"}`},
		{"zone.update", "zone:" + itoa(zone), portal, `{"description":"Front door"}`, `{"description":"Front door (main)"}`},
		{"site.update", "site:" + itoa(site.ID), portal, `{"notes":"side gate"}`, `{"notes":"side gate locked at 6"}`},
		{"responding_party.create", "responding_party:" + itoa(dana.ID), portal, "null",
			`{"name":"Dana","passcode":"changed","phones":[],"position":2,"role":"keyholder","site_id":` + itoa(site.ID) + `}`},
		{"responding_party.delete", "responding_party:" + itoa(dana.ID), portal,
			`{"name":"Dana","passcode":"changed","phones":[],"position":2,"role":"keyholder","site_id":` + itoa(site.ID) + `}`, "null"},
		{"portal_user.update", "portal_user:" + itoa(clerk.ID), portal, `{"rights":["notes"]}`, `{"rights":["notes","zones"]}`},
		{"portal_user.update", "portal_user:" + itoa(clerk.ID), "api", `{"disabled":false,"password":"changed"}`,
			`{"disabled":true,"password":"changed"}`},
	} {
		e := auditOf(t, audit.Items, c.action, c.target, c.user)
		if e.UserName != c.user || compact(e.Before) != c.before || compact(e.After) != c.after || e.RemoteAddr != "127.0.0.1" {
			t.Errorf("%s %s by %s:\n before %s\n  want  %s\n after  %s\n  want  %s", c.action, c.target, e.UserName,
				compact(e.Before), c.before, compact(e.After), c.after)
		}
		if c.user == "ada" && (e.UserID == nil || *e.UserID != users.Items[0].ID) {
			t.Errorf("%s: user id %v, want ada's", c.action, e.UserID)
		}
	}
	// Two edits of one contact: the rename alone, then the passcode alone.
	var edits []string
	for _, e := range audit.Items {
		if e.Action == "responding_party.update" && e.Target == "responding_party:"+itoa(rp.ID) && e.UserName == "ada" {
			edits = append([]string{compact(e.Before) + " → " + compact(e.After)}, edits...)
		}
	}
	if got := strings.Join(edits, "; "); got != `{"name":"Ann"} → {"name":"Ann Smith"}; {"passcode":"changed"} → {"passcode":"changed"}` {
		t.Errorf("contact edits: %s", got)
	}
	if e := auditOf(t, audit.Items, "portal_user.create", "portal_user:"+itoa(clerk.ID), portal); !strings.Contains(compact(e.After), `"password":"changed"`) ||
		!strings.Contains(compact(e.After), `"rights":["notes"]`) || compact(e.Before) != "null" {
		t.Errorf("portal_user.create: before %s after %s", compact(e.Before), compact(e.After))
	}
	// The record routes are audited once, by the store.
	for _, e := range audit.Items {
		if strings.HasPrefix(e.Action, "api ") && (strings.Contains(e.Action, "/api/v1/responding-parties") ||
			strings.Contains(e.Action, "/api/v1/portal-users")) {
			t.Errorf("a second entry for a record change: %+v", e)
		}
	}
}
