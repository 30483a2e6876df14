package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// withIdentifier is a created site, customer or installer as the API
// answers it: what a portal log-in needs.
type withIdentifier struct {
	ID         int64  `json:"id"`
	Identifier string `json:"identifier"`
}

// portalLogin logs a portal user in and returns a client with its cookie
// and CSRF token.
func (s *stationServer) portalLogin(t *testing.T, identifier, username, password string) (*operator, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	o := &operator{t: t, s: s, c: &http.Client{Jar: jar}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	code := o.call("POST", "/portal/api/login", map[string]string{"identifier": identifier, "username": username, "password": password}, &me, false)
	o.csrf = me.CSRF
	return o, code
}

func TestPortalScopesRightsAndTechnicians(t *testing.T) {
	s := newStationServer(t)
	var hq, mine, theirs, inst withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "HQ"}, &hq)
	s.post("/api/v1/installers", map[string]any{"name": "Secure Ltd"}, &inst)
	s.post("/api/v1/sites", map[string]any{"customer_id": hq.ID, "name": "Mine", "installer_id": inst.ID}, &mine)
	other := s.mustCreate("/api/v1/customers", map[string]any{"name": "Other"})
	s.post("/api/v1/sites", map[string]any{"customer_id": other, "name": "Theirs"}, &theirs)
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": mine.ID})
	otherAcct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "5678", "site_id": theirs.ID})

	for _, u := range []map[string]any{
		{"scope": store.ScopeOf("customer", hq.ID), "kind": "manager", "username": "boss", "password": "boss's password"},
		{"scope": store.ScopeOf("installer", inst.ID), "kind": "technician", "username": "tom", "password": "tom's password"},
	} {
		s.mustCreate("/api/v1/portal-users", u)
	}
	var apiErr apiError
	if code := s.post("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", hq.ID), "kind": "staff",
		"username": "x", "password": "long enough pw"}, &apiErr); code != http.StatusBadRequest {
		t.Fatalf("station creating staff: %d", code)
	}

	boss, code := s.portalLogin(t, hq.Identifier, "boss", "boss's password")
	if code != http.StatusOK {
		t.Fatalf("manager login: %d", code)
	}
	if _, code := s.portalLogin(t, theirs.Identifier, "boss", "boss's password"); code != http.StatusUnauthorized {
		t.Fatalf("login with another client's identifier: %d", code)
	}
	var sites struct {
		Items []portalSite `json:"items"`
	}
	boss.call("GET", "/portal/api/sites", nil, &sites, false)
	if len(sites.Items) != 1 || sites.Items[0].Name != "Mine" {
		t.Fatalf("manager sees %+v", sites.Items)
	}
	if code := boss.call("GET", "/portal/api/signals?site_id="+itoa(theirs.ID), nil, nil, false); code != http.StatusNotFound {
		t.Fatalf("another client's signals: %d", code)
	}
	// Staff without the call-list right may read but not change it.
	if code := boss.call("POST", "/portal/api/users", map[string]any{"username": "clerk", "password": "clerk's password"}, nil, true); code != http.StatusCreated {
		t.Fatalf("manager creates staff: %d", code)
	}
	clerk, _ := s.portalLogin(t, hq.Identifier, "clerk", "clerk's password")
	if code := clerk.call("GET", "/portal/api/sites/"+itoa(mine.ID)+"/call-list", nil, nil, false); code != http.StatusOK {
		t.Fatalf("staff reads the call list: %d", code)
	}
	if code := clerk.call("POST", "/portal/api/sites/"+itoa(mine.ID)+"/call-list", map[string]any{"position": 1, "name": "X"}, &apiErr, true); code != http.StatusForbidden {
		t.Fatalf("staff without the right adds a contact: %d", code)
	}
	if code := clerk.call("POST", "/portal/api/users", map[string]any{"username": "y", "password": "long enough pw"}, nil, true); code != http.StatusForbidden {
		t.Fatalf("staff creates users: %d", code)
	}

	// Zone descriptions: the manager may change them, the clerk may not.
	zone := s.mustCreate("/api/v1/zones", map[string]any{"account_id": acct, "number": "17", "description": "Door"})
	if code := clerk.call("PUT", "/portal/api/zones/"+itoa(zone), map[string]any{"description": "Front door"}, nil, true); code != http.StatusForbidden {
		t.Fatalf("clerk edits a zone: %d", code)
	}
	var z store.Zone
	if code := boss.call("PUT", "/portal/api/zones/"+itoa(zone), map[string]any{"description": "Front door"}, &z, true); code != http.StatusOK ||
		z.Description != "Front door" || z.UpdatedBy != "portal:"+store.ScopeOf("customer", hq.ID)+"/boss" || z.CreatedBy != "station:api" {
		t.Fatalf("manager edits a zone: %d %+v", code, z)
	}

	// The installer's technician puts its site's system on test, not others.
	tom, code := s.portalLogin(t, inst.Identifier, "tom", "tom's password")
	if code != http.StatusOK {
		t.Fatalf("technician login: %d", code)
	}
	test := map[string]any{"duration": "1h", "reason": "service visit", "authorised_by": "the station manager"}
	var onTest store.OnTest
	if code := tom.call("POST", "/portal/api/accounts/"+itoa(acct)+"/tests", test, &onTest, true); code != http.StatusCreated ||
		onTest.AuthorisedBy != "portal:"+store.ScopeOf("installer", inst.ID)+"/tom" {
		t.Fatalf("technician on test: %d, authorised by %q (a portal user authorises as itself)", code, onTest.AuthorisedBy)
	}
	if code := tom.call("POST", "/portal/api/accounts/"+itoa(otherAcct)+"/tests", test, nil, true); code != http.StatusNotFound {
		t.Fatalf("technician on another installer's account: %d", code)
	}
	if code := tom.call("POST", "/portal/api/accounts/"+itoa(acct)+"/tests/off", map[string]any{"by": "tom"}, nil, true); code != http.StatusOK {
		t.Fatalf("technician off test: %d", code)
	}
	if code := clerk.call("POST", "/portal/api/accounts/"+itoa(acct)+"/tests", test, nil, true); code != http.StatusForbidden {
		t.Fatalf("office staff on test: %d", code)
	}

	// The station acts as the manager; the audit log says so.
	var users struct {
		Items []store.PortalUser `json:"items"`
	}
	s.call("GET", "/api/v1/portal-users?scope="+store.ScopeOf("customer", hq.ID), "", "", &users)
	if code := s.call("POST", "/api/v1/portal-users/"+itoa(users.Items[0].ID)+"/emulate", "", "", nil); code != http.StatusOK {
		t.Fatalf("emulate: %d", code)
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	found := false
	for _, e := range audit.Items {
		found = found || (e.Action == "portal.emulate" && e.UserName == "api")
	}
	if !found {
		t.Fatal("emulation not audited")
	}
	if hq.Identifier == "" {
		t.Fatal("customer without identifier")
	}
}

// TestPortalEventPagesAreScoped: the incident and signal pages the morning
// report links to answer only inside the user's scope.
func TestPortalEventPagesAreScoped(t *testing.T) {
	s := newStationServer(t)
	var mine, theirs withIdentifier
	c1 := s.mustCreate("/api/v1/customers", map[string]any{"name": "A"})
	c2 := s.mustCreate("/api/v1/customers", map[string]any{"name": "B"})
	s.post("/api/v1/sites", map[string]any{"customer_id": c1, "name": "A1"}, &mine)
	s.post("/api/v1/sites", map[string]any{"customer_id": c2, "name": "B1"}, &theirs)
	bAcct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": theirs.ID})
	s.alarm(t, "7") // account 1234: B's site
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", mine.ID), "kind": "manager",
		"username": "ann", "password": "a's long password"})
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", theirs.ID), "kind": "manager",
		"username": "bob", "password": "b's long password"})
	a, _ := s.portalLogin(t, mine.Identifier, "ann", "a's long password")
	b, _ := s.portalLogin(t, theirs.Identifier, "bob", "b's long password")

	// Live: each client's stream tells of its own sites' signals only. B's
	// signal is stored first, so A's first event proves the filter.
	aLive, bLive := a.events("/portal/api/events"), b.events("/portal/api/events")
	s.alarm(t, "7") // account 1234: B's site
	aAcct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "4321", "site_id": mine.ID})
	s.alarmOn(t, "4321", "3")
	for who, want := range map[<-chan string]int64{aLive: mine.ID, bLive: theirs.ID} {
		if got := firstData(t, who, "signal"); got != `{"site_id":`+itoa(want)+`}` {
			t.Errorf("live event %s, want site %d", got, want)
		}
	}
	// An operator's note on B's incident, then on A's: the same holds.
	op := &store.User{Username: "olga", Role: store.RoleOperator}
	if err := s.st.CreateUser(t.Context(), op, "olga's long password", store.Actor{Name: "setup"}); err != nil {
		t.Fatal(err)
	}
	for _, incident := range []int64{1, 2} { // B's, A's
		if _, err := s.st.Act(t.Context(), incident, store.Actor{ID: op.ID, Name: "olga"}, store.Step{Action: "note", Note: "called"},
			store.QueueRules{ClaimTimeout: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	for who, want := range map[<-chan string]int64{aLive: mine.ID, bLive: theirs.ID} {
		if got := firstData(t, who, "incident"); got != `{"site_id":`+itoa(want)+`}` {
			t.Errorf("live incident event %s, want site %d", got, want)
		}
	}
	// And when the station puts B's system on test, then A's.
	for _, acct := range []int64{bAcct, aAcct} {
		if code := s.post("/api/v1/accounts/"+itoa(acct)+"/tests", map[string]any{"duration": "1h", "reason": "service",
			"authorised_by": "dispatch"}, nil); code != http.StatusCreated {
			t.Fatalf("on test: %d", code)
		}
	}
	for who, want := range map[<-chan string]int64{aLive: mine.ID, bLive: theirs.ID} {
		if got := firstData(t, who, "test"); got != `{"site_id":`+itoa(want)+`}` {
			t.Errorf("live test event %s, want site %d", got, want)
		}
	}
	for _, path := range []string{"/portal/api/incidents/1", "/portal/api/signals/1"} { // B's
		if code := a.call("GET", path, nil, nil, false); code != http.StatusNotFound {
			t.Errorf("%s for another client: %d", path, code)
		}
		if code := b.call("GET", path, nil, nil, false); code != http.StatusOK {
			t.Errorf("%s for its client: %d", path, code)
		}
	}
}

// TestPortalRightsSeparateChangeFromDelete: the account manager gives
// office staff the right to change or to delete, per kind of record; every
// change names who made it; a logged-out session is gone from the store.
func TestPortalRightsSeparateChangeFromDelete(t *testing.T) {
	s := newStationServer(t)
	var site, other withIdentifier
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Shop"})
	s.post("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Shop floor", "notes": "key under the mat"}, &site)
	s.post("/api/v1/sites", map[string]any{"customer_id": s.mustCreate("/api/v1/customers", map[string]any{"name": "Else"}), "name": "Else"}, &other)
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", site.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	boss, _ := s.portalLogin(t, site.Identifier, "boss", "boss's password")
	var apiErr apiError
	if code := boss.call("POST", "/portal/api/users", map[string]any{"username": "z", "password": "long enough pw",
		"rights": []string{"schedules.everything"}}, &apiErr, true); code != http.StatusBadRequest || apiErr.Field != "rights" {
		t.Fatalf("unknown right: %d %+v", code, apiErr)
	}
	for user, rights := range map[string][]string{"editor": {store.RightCallList, store.RightNotes}, "cleaner": {store.RightCallListDelete}} {
		if code := boss.call("POST", "/portal/api/users", map[string]any{"username": user, "password": user + "'s password",
			"rights": rights}, nil, true); code != http.StatusCreated {
			t.Fatalf("create %s: %d", user, code)
		}
	}
	editor, _ := s.portalLogin(t, site.Identifier, "editor", "editor's password")
	cleaner, _ := s.portalLogin(t, site.Identifier, "cleaner", "cleaner's password")
	me := "portal:" + store.ScopeOf("site", site.ID) + "/editor"

	var rp store.RespondingParty
	if code := editor.call("POST", "/portal/api/sites/"+itoa(site.ID)+"/call-list", map[string]any{"position": 1, "name": "Dana",
		"phones": []string{"+44 20 7946 0000"}}, &rp, true); code != http.StatusCreated || rp.CreatedBy != me || rp.UpdatedBy != me {
		t.Fatalf("editor adds a contact: %d %+v", code, rp)
	}
	if code := cleaner.call("POST", "/portal/api/sites/"+itoa(site.ID)+"/call-list", map[string]any{"position": 2, "name": "X"}, nil, true); code != http.StatusForbidden {
		t.Fatalf("cleaner adds a contact: %d", code)
	}
	if code := editor.call("DELETE", "/portal/api/call-list/"+itoa(rp.ID), nil, nil, true); code != http.StatusForbidden {
		t.Fatalf("editor deletes a contact: %d", code)
	}
	if code := cleaner.call("DELETE", "/portal/api/call-list/"+itoa(rp.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("cleaner deletes a contact: %d", code)
	}
	if _, err := s.st.RespondingParties.Get(t.Context(), rp.ID); err == nil {
		t.Fatal("the deleted contact is still stored")
	}

	var got store.Site
	if code := editor.call("PUT", "/portal/api/sites/"+itoa(site.ID)+"/notes", map[string]any{"notes": "key with the neighbour"}, &got, true); code != http.StatusOK {
		t.Fatalf("editor edits notes: %d", code)
	}
	stored, err := s.st.Sites.Get(t.Context(), site.ID)
	if err != nil || stored.Notes != "key with the neighbour" || stored.UpdatedBy != me || stored.CreatedBy != "station:api" || stored.Name != "Shop floor" {
		t.Fatalf("stored site after the notes edit: %+v, %v", stored, err)
	}
	if code := cleaner.call("PUT", "/portal/api/sites/"+itoa(site.ID)+"/notes", map[string]any{"notes": "x"}, nil, true); code != http.StatusForbidden {
		t.Fatalf("cleaner edits notes: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/sites/"+itoa(other.ID)+"/notes", map[string]any{"notes": "x"}, nil, true); code != http.StatusNotFound {
		t.Fatalf("notes of another client's site: %d", code)
	}

	// The manager takes the cleaner's right away, then disables it: its
	// session ends and it cannot log in; the station resets its password
	// and enables it again.
	var staff struct {
		Items []store.PortalUser `json:"items"`
	}
	boss.call("GET", "/portal/api/users", nil, &staff, false)
	ids := map[string]int64{}
	for _, u := range staff.Items {
		ids[u.Username] = u.ID
	}
	if code := cleaner.call("DELETE", "/portal/api/call-list/999999", nil, nil, true); code != http.StatusNotFound {
		t.Fatalf("cleaner with the delete right, unknown contact: %d", code)
	}
	var changed store.PortalUser
	if code := boss.call("PUT", "/portal/api/users/"+itoa(ids["cleaner"]), map[string]any{"rights": []string{}}, &changed, true); code != http.StatusOK || len(changed.Rights) != 0 {
		t.Fatalf("manager takes a right away: %d %+v", code, changed)
	}
	if code := cleaner.call("DELETE", "/portal/api/call-list/999999", nil, nil, true); code != http.StatusForbidden {
		t.Fatalf("cleaner without the delete right: %d", code)
	}
	if code := editor.call("PUT", "/portal/api/users/"+itoa(ids["cleaner"]), map[string]any{"disabled": true}, nil, true); code != http.StatusForbidden {
		t.Fatalf("staff changes staff: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/users/"+itoa(ids["boss"]), map[string]any{"rights": []string{}}, nil, true); code != http.StatusNotFound {
		t.Fatalf("manager changes a manager: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/users/"+itoa(ids["cleaner"]), map[string]any{"disabled": true}, nil, true); code != http.StatusOK {
		t.Fatalf("manager disables staff: %d", code)
	}
	if code := cleaner.call("GET", "/portal/api/me", nil, nil, false); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user's session: %d", code)
	}
	if _, code := s.portalLogin(t, site.Identifier, "cleaner", "cleaner's password"); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user logs in: %d", code)
	}
	if code := s.call("PUT", "/api/v1/portal-users/"+itoa(ids["cleaner"]), "application/json",
		`{"disabled": false, "password": "a fresh password"}`, nil); code != http.StatusOK {
		t.Fatalf("station resets and enables: %d", code)
	}
	if _, code := s.portalLogin(t, site.Identifier, "cleaner", "a fresh password"); code != http.StatusOK {
		t.Fatalf("login with the reset password: %d", code)
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	updates := 0
	for _, e := range audit.Items {
		if e.Action == "portal_user.update" {
			updates++
			if b, _ := json.Marshal(e); strings.Contains(string(b), "a fresh password") {
				t.Fatal("the audit log holds a password")
			}
		}
	}
	if updates != 3 {
		t.Fatalf("%d portal_user.update audit entries, want 3", updates)
	}

	// Users change their own password (wrong current one: 400); they stay
	// logged in, the old password stops working.
	var apiErr2 apiError
	if code := boss.call("POST", "/portal/api/password", map[string]any{"current_password": "wrong", "new_password": "boss's new password"}, &apiErr2, true); code != http.StatusBadRequest || apiErr2.Field != "current_password" {
		t.Fatalf("wrong current password: %d %+v", code, apiErr2)
	}
	if code := boss.call("POST", "/portal/api/password", map[string]any{"current_password": "boss's password", "new_password": "boss's new password"}, nil, true); code != http.StatusNoContent {
		t.Fatalf("password change: %d", code)
	}
	if code := boss.call("GET", "/portal/api/me", nil, nil, false); code != http.StatusOK {
		t.Fatalf("after changing its password the user is logged out: %d", code)
	}
	if _, code := s.portalLogin(t, site.Identifier, "boss", "boss's password"); code != http.StatusUnauthorized {
		t.Fatalf("old password: %d", code)
	}
	if _, code := s.portalLogin(t, site.Identifier, "boss", "boss's new password"); code != http.StatusOK {
		t.Fatalf("new password: %d", code)
	}

	// Logging out ends the session itself, not only the cookie.
	u, _ := url.Parse(s.url + "/portal/")
	cookies := editor.c.Jar.Cookies(u)
	if code := editor.call("POST", "/portal/api/logout", nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	req, _ := http.NewRequest("GET", s.url+"/portal/api/me", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(cookies) == 0 || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old cookie after logout: %d (%d cookies)", resp.StatusCode, len(cookies))
	}
}

// firstData returns the data of the first event of a kind on an SSE stream.
func firstData(t *testing.T, lines <-chan string, kind string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for seen := false; ; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if l == "event: "+kind {
				seen = true
			} else if d, ok := strings.CutPrefix(l, "data: "); ok && seen {
				return d
			}
		case <-deadline:
			t.Fatalf("no %s event within 5 s", kind)
		}
	}
}

// TestPortalShowsNoFrames: the portal's signal list, signal page and test
// results never carry the frame a signal came in (raw, raw_hex), whatever
// the protocol; the station API keeps it.
func TestPortalShowsNoFrames(t *testing.T) {
	s := newStationServer(t)
	var site withIdentifier
	s.post("/api/v1/sites", map[string]any{"customer_id": s.mustCreate("/api/v1/customers", map[string]any{"name": "Shop"}),
		"name": "Shop floor"}, &site)
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site.ID})
	var test store.OnTest
	if code := s.post("/api/v1/accounts/"+itoa(acct)+"/tests", map[string]any{"duration": "1h", "reason": "service",
		"authorised_by": "dispatch"}, &test); code != http.StatusCreated {
		t.Fatalf("on test: %d", code)
	}
	ev := protocols.Event{Format: "SIA", Account: "1234", Code: "BA", Zone: "7", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryBurglary, Known: true, Description: "Burglary Alarm"}
	if _, err := s.st.Commit(t.Context(), &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234",
		Events: []protocols.Event{ev}}, store.Receipt{ReceivedAt: now.Add(-time.Minute), Receiver: 1, Status: store.StatusAccepted,
		Raw: []byte("#1234|NBA7"), Resolutions: []store.Resolution{{AccountID: acct, SiteID: site.ID, OnTestID: test.ID, Zone: "7"}},
		Handling: []store.Handling{{Mode: store.HandlingTest}}}); err != nil {
		t.Fatal(err)
	}
	var station struct {
		Signals []store.Signal `json:"signals"`
	}
	if s.call("GET", "/api/v1/signals", "", "", &station); len(station.Signals) != 1 || station.Signals[0].Raw != "#1234|NBA7" {
		t.Fatalf("the station API lost the frame: %+v", station.Signals)
	}
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", site.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	boss, _ := s.portalLogin(t, site.Identifier, "boss", "boss's password")
	id := itoa(station.Signals[0].ID)
	for path, key := range map[string]string{"/portal/api/signals?site_id=" + itoa(site.ID): "signals",
		"/portal/api/signals/" + id: "", "/portal/api/accounts/" + itoa(acct) + "/test-results": "signals"} {
		var body map[string]json.RawMessage
		if code := boss.call("GET", path, nil, &body, false); code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		sig := body
		if key != "" {
			var list []map[string]json.RawMessage
			if err := json.Unmarshal(body[key], &list); err != nil || len(list) != 1 {
				t.Fatalf("%s: %d signals (%v)", path, len(list), err)
			}
			sig = list[0]
		}
		if string(sig["id"]) != id {
			t.Fatalf("%s: not the signal: %v", path, sig)
		}
		for k := range sig {
			if strings.Contains(k, "raw") {
				t.Errorf("%s shows %s", path, k)
			}
		}
	}
}

// TestPortalSignalHidesEveryFrameField: whatever field store.Signal gains
// for the frame must be hidden from the portal too.
func TestPortalSignalHidesEveryFrameField(t *testing.T) {
	var sg store.Signal
	v := reflect.ValueOf(&sg).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch f := v.Field(i); {
		case f.Kind() == reflect.String:
			f.SetString("frame bytes")
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8:
			f.SetBytes([]byte("frame bytes"))
		}
	}
	b, err := json.Marshal(portalSignals([]store.Signal{sg})[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k := range m {
		if strings.Contains(k, "raw") {
			t.Errorf("the portal's signal has %s", k)
		}
	}
	if m["text"] != "frame bytes" {
		t.Fatalf("the portal's signal lost its fields: %s", b)
	}
}
