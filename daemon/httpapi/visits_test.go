package httpapi

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// visitsWorld is a client with one site installed by Secure Ltd (systems
// 1234 and 1235) and one by Rival Alarms (5678), each installer with a
// technician and a manager, and the client's account manager.
type visitsWorld struct {
	s                              *stationServer
	mine, theirs                   withIdentifier
	secure, rival                  withIdentifier
	alarm, fire, elsewhere         int64
	tomID, jimID                   int64
	tom, boss, jim, rivalBoss, cso *operator
}

func newVisitsWorld(t *testing.T) *visitsWorld {
	t.Helper()
	w := &visitsWorld{s: newStationServer(t)}
	s := w.s
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Shop"})
	s.post("/api/v1/installers", map[string]any{"name": "Secure Ltd"}, &w.secure)
	s.post("/api/v1/installers", map[string]any{"name": "Rival Alarms"}, &w.rival)
	s.post("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Shop floor", "installer_id": w.secure.ID}, &w.mine)
	s.post("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Warehouse", "installer_id": w.rival.ID}, &w.theirs)
	w.alarm = s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": w.mine.ID})
	w.fire = s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1235", "site_id": w.mine.ID, "system_type": "fire"})
	w.elsewhere = s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "5678", "site_id": w.theirs.ID})
	users := []struct {
		scope      string
		kind, name string
		ident      string
		into       **operator
		id         *int64
	}{
		{store.ScopeOf("installer", w.secure.ID), "technician", "tom", w.secure.Identifier, &w.tom, &w.tomID},
		{store.ScopeOf("installer", w.secure.ID), "manager", "boss", w.secure.Identifier, &w.boss, nil},
		{store.ScopeOf("installer", w.rival.ID), "technician", "jim", w.rival.Identifier, &w.jim, &w.jimID},
		{store.ScopeOf("installer", w.rival.ID), "manager", "rboss", w.rival.Identifier, &w.rivalBoss, nil},
		{store.ScopeOf("customer", cust), "manager", "cso", "", &w.cso, nil},
	}
	var c withIdentifier
	s.call("GET", "/api/v1/customers/"+itoa(cust), "", "", &c)
	for _, u := range users {
		id := s.mustCreate("/api/v1/portal-users", map[string]any{"scope": u.scope, "kind": u.kind, "username": u.name,
			"password": u.name + "'s long password"})
		if u.id != nil {
			*u.id = id
		}
		ident := u.ident
		if ident == "" {
			ident = c.Identifier
		}
		o, code := s.portalLogin(t, ident, u.name, u.name+"'s long password")
		if code != http.StatusOK {
			t.Fatalf("%s logs in: %d", u.name, code)
		}
		*u.into = o
	}
	return w
}

func visitIDs(t *testing.T, o *operator, path string) []int64 {
	t.Helper()
	var list struct {
		Items []store.Visit `json:"items"`
	}
	if code := o.call("GET", path, nil, &list, false); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
	var ids []int64
	for _, v := range list.Items {
		ids = append(ids, v.ID)
	}
	return ids
}

// TestVisitsInTheStationAPIAndThePortal: the station and an installer's
// manager schedule visits; the technician sees its own, starts one (its
// systems go on test, authorised by the technician, reason the purpose)
// and ends it (off test); the manager cancels one; a visit past its window
// ends by itself. Another installer's users neither see nor start them;
// every step is in the audit log.
func TestVisitsInTheStationAPIAndThePortal(t *testing.T) {
	w := newVisitsWorld(t)
	s := w.s
	tomName := "portal:" + store.ScopeOf("installer", w.secure.ID) + "/tom"
	live := w.tom.events("/portal/api/events")

	var v1 store.Visit
	var apiErr apiError
	if code := s.post("/api/v1/visits", map[string]any{"site_id": w.mine.ID, "account_ids": []int64{w.alarm}, "technician_user_id": w.jimID,
		"until": now.Add(2 * time.Hour), "purpose": "service"}, &apiErr); code != http.StatusBadRequest || apiErr.Field != "site_id" {
		t.Fatalf("another installer's technician: %d %+v", code, apiErr)
	}
	if code := s.post("/api/v1/visits", map[string]any{"site_id": w.mine.ID, "account_ids": []int64{w.alarm}, "technician_user_id": w.tomID,
		"until": now.Add(2 * time.Hour), "purpose": "service", "notes": "keypad"}, &v1); code != http.StatusCreated ||
		v1.Status != store.VisitScheduled || v1.CreatedBy != "api" || !v1.From.Equal(now) || len(v1.Systems) != 1 {
		t.Fatalf("station schedules: %d %+v", code, v1)
	}
	if got := firstData(t, live, "visit"); got != `{"site_id":`+itoa(w.mine.ID)+`}` {
		t.Fatalf("live visit event %s", got)
	}

	// The installer's manager schedules one of its technicians at one of
	// its sites; nobody else schedules in the portal.
	req := map[string]any{"site_id": w.mine.ID, "account_ids": []int64{w.fire}, "technician_user_id": w.tomID,
		"from": now, "until": now.Add(time.Hour), "purpose": "install"}
	var v2 store.Visit
	if code := w.boss.call("POST", "/portal/api/visits", req, &v2, true); code != http.StatusCreated || v2.Systems[0].SystemType != "fire" ||
		v2.Systems[0].SystemLabel != "Fire detection" ||
		v2.CreatedBy != "portal:"+store.ScopeOf("installer", w.secure.ID)+"/boss" {
		t.Fatalf("manager schedules: %d %+v", code, v2)
	}
	for who, o := range map[string]*operator{"technician": w.tom, "client's manager": w.cso} {
		if code := o.call("POST", "/portal/api/visits", req, nil, true); code != http.StatusForbidden {
			t.Errorf("%s schedules: %d", who, code)
		}
	}
	// The portal's pages name a site's systems by their type's label.
	var sites struct {
		Items []portalSite `json:"items"`
	}
	w.boss.call("GET", "/portal/api/sites", nil, &sites, false)
	var labels []string
	for _, s := range sites.Items {
		for _, acct := range s.Accounts {
			if acct.ID == w.fire {
				labels = append(labels, acct.SystemType+":"+acct.SystemLabel)
			}
		}
	}
	if !slices.Equal(labels, []string{"fire:Fire detection"}) {
		t.Errorf("the portal's systems: %q", labels)
	}
	if code := w.rivalBoss.call("POST", "/portal/api/visits", req, &apiErr, true); code != http.StatusNotFound {
		t.Errorf("rival's manager at the site it did not install: %d", code)
	}
	jims := map[string]any{"site_id": w.mine.ID, "account_ids": []int64{w.fire}, "technician_user_id": w.jimID, "until": now.Add(time.Hour), "purpose": "repair"}
	if code := w.boss.call("POST", "/portal/api/visits", jims, &apiErr, true); code != http.StatusBadRequest || apiErr.Field != "technician_user_id" {
		t.Errorf("manager schedules another installer's technician: %d %+v", code, apiErr)
	}
	// An installer's manager has no say over the clients' records.
	if code := w.boss.call("PUT", "/portal/api/sites/"+itoa(w.mine.ID)+"/notes", map[string]any{"notes": "x"}, nil, true); code != http.StatusForbidden {
		t.Errorf("installer's manager edits the site's notes: %d", code)
	}

	both := []int64{v1.ID, v2.ID}
	for who, c := range map[string]struct {
		o    *operator
		want []int64
	}{"tom": {w.tom, both}, "boss": {w.boss, both}, "cso": {w.cso, both}, "jim": {w.jim, nil}, "rboss": {w.rivalBoss, nil}} {
		if got := visitIDs(t, c.o, "/portal/api/visits"); !slices.Equal(got, c.want) {
			t.Errorf("%s sees visits %v, want %v", who, got, c.want)
		}
	}
	v1Path := "/portal/api/visits/" + itoa(v1.ID)
	for who, o := range map[string]*operator{"jim": w.jim, "rboss": w.rivalBoss} {
		for _, path := range []string{v1Path, v1Path + "/start", v1Path + "/end", v1Path + "/cancel"} {
			method := "POST"
			if path == v1Path {
				method = "GET"
			}
			if code := o.call(method, path, nil, nil, true); code != http.StatusNotFound {
				t.Errorf("%s: %s %s: %d", who, method, path, code)
			}
		}
	}
	for who, o := range map[string]*operator{"boss": w.boss, "cso": w.cso} {
		if code := o.call("POST", v1Path+"/start", nil, nil, true); code != http.StatusForbidden {
			t.Errorf("%s starts the technician's visit: %d", who, code)
		}
	}
	if code := w.cso.call("POST", v1Path+"/cancel", nil, nil, true); code != http.StatusForbidden {
		t.Errorf("the client cancels: %d", code)
	}

	// The technician starts it: its system is on test, in the technician's
	// name, for the visit's window; a signal of it is a test result.
	var started store.Visit
	if code := w.tom.call("POST", v1Path+"/start", nil, &started, true); code != http.StatusOK || started.Status != store.VisitOpen ||
		started.StartedBy != tomName || started.Systems[0].OnTestID == nil {
		t.Fatalf("technician starts: %d %+v", code, started)
	}
	var open struct {
		Items []testView `json:"items"`
	}
	s.call("GET", "/api/v1/accounts/"+itoa(w.alarm)+"/tests?open=true", "", "", &open)
	if len(open.Items) != 1 || open.Items[0].Reason != "service" || open.Items[0].AuthorisedBy != tomName ||
		!open.Items[0].EndsAt.Equal(now.Add(2*time.Hour)) || open.Items[0].Scope != store.ScopeAccount {
		t.Fatalf("on test: %+v", open.Items)
	}
	if r := s.st.Resolve(1, "1234", nil, now); r.AccountID != w.alarm {
		t.Fatal("account not resolved")
	}
	if got := firstData(t, live, "test"); got != `{"site_id":`+itoa(w.mine.ID)+`}` {
		t.Fatalf("live test event %s", got)
	}
	if code := w.tom.call("POST", v1Path+"/start", nil, &apiErr, true); code != http.StatusConflict || apiErr.Field != "status" {
		t.Fatalf("started twice: %d %+v", code, apiErr)
	}
	var ended store.Visit
	if code := w.tom.call("POST", v1Path+"/end", nil, &ended, true); code != http.StatusOK || ended.Status != store.VisitEnded ||
		ended.EndReason != store.EndEnded {
		t.Fatalf("technician ends: %d %+v", code, ended)
	}
	s.call("GET", "/api/v1/accounts/"+itoa(w.alarm)+"/tests?open=true", "", "", &open)
	if len(open.Items) != 0 {
		t.Fatalf("still on test: %+v", open.Items)
	}

	// The manager calls its visit off; it cannot start any more.
	if code := w.boss.call("POST", "/portal/api/visits/"+itoa(v2.ID)+"/cancel", nil, nil, true); code != http.StatusOK {
		t.Fatalf("manager cancels: %d", code)
	}
	if code := w.tom.call("POST", "/portal/api/visits/"+itoa(v2.ID)+"/start", nil, &apiErr, true); code != http.StatusConflict {
		t.Fatalf("a cancelled visit starts: %d", code)
	}

	// The station starts one for the technician; its window runs out and it
	// ends by itself.
	var v3 store.Visit
	s.post("/api/v1/visits", map[string]any{"site_id": w.mine.ID, "account_ids": []int64{w.alarm, w.fire}, "technician_user_id": w.tomID,
		"until": now.Add(time.Hour), "purpose": "repair"}, &v3)
	if code := s.post("/api/v1/visits/"+itoa(v3.ID)+"/start", nil, &started); code != http.StatusOK || started.StartedBy != "api" {
		t.Fatalf("station starts: %d %+v", code, started)
	}
	s.call("GET", "/api/v1/accounts/"+itoa(w.fire)+"/tests?open=true", "", "", &open)
	if len(open.Items) != 1 || open.Items[0].AuthorisedBy != tomName {
		t.Fatalf("on test for the station's start: %+v", open.Items)
	}
	if _, _, err := s.st.ExpireTests(t.Context(), now.Add(61*time.Minute), time.Minute); err != nil {
		t.Fatal(err)
	}
	var v3now store.Visit
	if code := s.call("GET", "/api/v1/visits/"+itoa(v3.ID), "", "", &v3now); code != http.StatusOK || v3now.Status != store.VisitEnded ||
		v3now.EndReason != store.EndExpired {
		t.Fatalf("after its window: %d %+v", code, v3now)
	}
	if got := visitIDs(t, w.tom, "/portal/api/visits"); !slices.Equal(got, []int64{v1.ID, v2.ID, v3.ID}) {
		t.Fatalf("tom's visits %v", got)
	}
	if got := visitIDs(t, w.tom, "/portal/api/visits?since="+url.QueryEscape(now.Add(90*time.Minute).Format(time.RFC3339))); !slices.Equal(got, []int64{v1.ID}) {
		t.Fatalf("tom's visits ending from +90m: %v", got)
	}
	var list struct {
		Items []store.Visit `json:"items"`
	}
	if code := s.call("GET", "/api/v1/visits?status=ended&technician_user_id="+itoa(w.tomID)+"&site_id="+itoa(w.mine.ID), "", "", &list); code != http.StatusOK ||
		len(list.Items) != 2 || list.Items[0].ID != v1.ID || list.Items[1].ID != v3.ID {
		t.Fatalf("station's list of ended visits: %d %+v", code, list.Items)
	}
	if code := s.call("GET", "/api/v1/visits?status=late", "", "", &apiErr); code != http.StatusBadRequest || apiErr.Field != "status" {
		t.Fatalf("unknown status: %d", code)
	}
	if code := s.post("/api/v1/visits/"+itoa(v3.ID)+"/end", nil, &apiErr); code != http.StatusConflict {
		t.Fatalf("ending an expired visit: %d", code)
	}

	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	var steps []string
	for _, e := range slices.Backward(audit.Items) {
		switch {
		case strings.HasPrefix(e.Action, "visit."):
			steps = append(steps, e.Target+" "+e.Action+" "+e.UserName)
		case strings.Contains(e.Action, "/visits"):
			t.Errorf("a second, generic entry for a visit's step: %+v", e)
		}
	}
	id := func(v store.Visit) string { return "visit:" + itoa(v.ID) }
	boss := "portal:" + store.ScopeOf("installer", w.secure.ID) + "/boss"
	want := []string{id(v1) + " visit.create api", id(v2) + " visit.create " + boss, id(v1) + " visit.start " + tomName,
		id(v1) + " visit.end " + tomName, id(v2) + " visit.cancel " + boss, id(v3) + " visit.create api", id(v3) + " visit.start api",
		id(v3) + " visit.expire expiry"}
	if !slices.Equal(steps, want) {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}

// stationBrowser is an admin's client with the bearer token and a cookie
// jar, which keeps the portal cookie an emulation sets.
type stationBrowser struct {
	*operator
}

func (s *stationServer) stationBrowser(t *testing.T) *stationBrowser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: bearer{http.DefaultTransport}}
	return &stationBrowser{&operator{t: t, s: s, c: c}}
}

type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return b.next.RoundTrip(r)
}

// TestEmulateAtAChosenIdentifier: station staff acting as a customer's
// account manager choose which site or customer of its tree the portal
// opens at, by identifier; the portal then sees that record only; an
// identifier outside the user's scope is refused; it is audited.
func TestEmulateAtAChosenIdentifier(t *testing.T) {
	s := newStationServer(t)
	var hq, branch, branchSite, hqSite, other withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "HQ"}, &hq)
	s.post("/api/v1/customers", map[string]any{"name": "Branch", "parent_id": hq.ID}, &branch)
	s.post("/api/v1/sites", map[string]any{"customer_id": branch.ID, "name": "Branch shop", "identifier": "+1 312 555 0101"}, &branchSite)
	s.post("/api/v1/sites", map[string]any{"customer_id": hq.ID, "name": "Head office"}, &hqSite)
	s.post("/api/v1/sites", map[string]any{"customer_id": s.mustCreate("/api/v1/customers", map[string]any{"name": "Else"}), "name": "Else"}, &other)
	cso := s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", hq.ID), "kind": "manager",
		"username": "cso", "password": "cso's long password"})

	var scopes struct {
		Items []store.Client `json:"items"`
	}
	if code := s.call("GET", "/api/v1/portal-users/"+itoa(cso)+"/scopes", "", "", &scopes); code != http.StatusOK || len(scopes.Items) != 4 ||
		scopes.Items[0].Scope != store.ScopeOf("customer", hq.ID) || scopes.Items[1].Scope != store.ScopeOf("customer", branch.ID) {
		t.Fatalf("scopes: %d %+v", code, scopes.Items)
	}

	b := s.stationBrowser(t)
	emulate := "/api/v1/portal-users/" + itoa(cso) + "/emulate"
	var me struct {
		CSRF  string           `json:"csrf_token"`
		Scope string           `json:"scope"`
		User  store.PortalUser `json:"user"`
	}
	if code := b.call("POST", emulate, map[string]any{"identifier": "13125550101"}, &me, false); code != http.StatusOK ||
		me.Scope != store.ScopeOf("site", branchSite.ID) || me.User.Scope != store.ScopeOf("customer", hq.ID) {
		t.Fatalf("emulate at the branch's site: %d %+v", code, me)
	}
	var sites struct {
		Items []portalSite `json:"items"`
	}
	b.call("GET", "/portal/api/sites", nil, &sites, false)
	if len(sites.Items) != 1 || sites.Items[0].ID != branchSite.ID {
		t.Fatalf("the portal opened at the site sees %+v", sites.Items)
	}
	if code := b.call("GET", "/portal/api/signals?site_id="+itoa(hqSite.ID), nil, nil, false); code != http.StatusNotFound {
		t.Fatalf("another site of the manager's tree, from the portal opened at one: %d", code)
	}
	// Office staff created there belong to that site: they log in with its
	// identifier.
	b.csrf = me.CSRF
	if code := b.call("POST", "/portal/api/users", map[string]any{"username": "clerk", "password": "clerk's long password"}, nil, true); code != http.StatusCreated {
		t.Fatalf("staff created at the site: %d", code)
	}
	if _, code := s.portalLogin(t, "+1 312 555 0101", "clerk", "clerk's long password"); code != http.StatusOK {
		t.Fatalf("the clerk logs in with the site's identifier: %d", code)
	}

	if code := b.call("POST", emulate, map[string]any{"identifier": branch.Identifier}, &me, false); code != http.StatusOK || me.Scope != store.ScopeOf("customer", branch.ID) {
		t.Fatalf("emulate at the branch: %d %+v", code, me)
	}
	b.call("GET", "/portal/api/sites", nil, &sites, false)
	if len(sites.Items) != 1 || sites.Items[0].ID != branchSite.ID {
		t.Fatalf("the portal opened at the branch sees %+v", sites.Items)
	}
	var apiErr apiError
	for _, ident := range []string{other.Identifier, "424242"} {
		if code := b.call("POST", emulate, map[string]any{"identifier": ident}, &apiErr, false); code != http.StatusBadRequest || apiErr.Field != "identifier" {
			t.Errorf("emulate at %s: %d %+v", ident, code, apiErr)
		}
	}
	if code := b.call("POST", emulate, nil, &me, false); code != http.StatusOK || me.Scope != store.ScopeOf("customer", hq.ID) {
		t.Fatalf("emulate without an identifier: %d %+v", code, me)
	}
	b.call("GET", "/portal/api/sites", nil, &sites, false)
	if len(sites.Items) != 2 {
		t.Fatalf("the portal at the manager's own scope sees %+v", sites.Items)
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	var opened []string
	for _, e := range slices.Backward(audit.Items) {
		if e.Action == "portal.emulate" {
			opened = append(opened, e.Detail)
		}
	}
	if len(opened) != 3 || !strings.Contains(opened[0], `"opened_at":"`+store.ScopeOf("site", branchSite.ID)+`"`) ||
		!strings.Contains(opened[0], `"identifier":"+1 312 555 0101"`) || strings.Contains(opened[2], "opened_at") {
		t.Fatalf("emulations audited: %v", opened)
	}
}

// TestIdentifierAPI: station staff look a client up by identifier, read,
// set and regenerate the identifier of a site, customer or installer; each
// change is audited with before and after, and log-ins follow it.
func TestIdentifierAPI(t *testing.T) {
	s := newStationServer(t)
	var cust, site, inst withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "Shop", "identifier": "555 0100"}, &cust)
	s.post("/api/v1/sites", map[string]any{"customer_id": cust.ID, "name": "Shop floor", "identifier": "+44 20 7946 0000"}, &site)
	s.post("/api/v1/installers", map[string]any{"name": "Secure Ltd"}, &inst)
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", site.ID), "kind": "manager",
		"username": "boss", "password": "boss's password"})

	var c store.Client
	if code := s.call("GET", "/api/v1/clients?identifier="+url.QueryEscape("+44 (20) 7946-0000"), "", "", &c); code != http.StatusOK ||
		c.Kind != "site" || c.ID != site.ID || c.Name != "Shop floor" || c.Identifier != "+44 20 7946 0000" {
		t.Fatalf("lookup: %d %+v", code, c)
	}
	var apiErr apiError
	if code := s.call("GET", "/api/v1/clients?identifier=000", "", "", &apiErr); code != http.StatusNotFound {
		t.Fatalf("unknown identifier: %d", code)
	}
	if code := s.call("GET", "/api/v1/clients", "", "", &apiErr); code != http.StatusBadRequest || apiErr.Field != "identifier" {
		t.Fatalf("no identifier: %d %+v", code, apiErr)
	}
	if code := s.call("GET", "/api/v1/customers/"+itoa(cust.ID)+"/identifier", "", "", &c); code != http.StatusOK || c.Identifier != "555 0100" || c.Kind != "customer" {
		t.Fatalf("read: %d %+v", code, c)
	}
	if code := s.call("GET", "/api/v1/installers/999/identifier", "", "", &apiErr); code != http.StatusNotFound {
		t.Fatalf("no such installer: %d", code)
	}
	if code := s.call("PUT", "/api/v1/sites/"+itoa(site.ID)+"/identifier", "application/json", `{"identifier": "5550100"}`, &apiErr); code != http.StatusConflict {
		t.Fatalf("the customer's identifier for the site: %d %+v", code, apiErr)
	}
	if code := s.call("PUT", "/api/v1/sites/"+itoa(site.ID)+"/identifier", "application/json", `{"identifier": "+44 20 7946 0999"}`, &c); code != http.StatusOK ||
		c.Identifier != "+44 20 7946 0999" {
		t.Fatalf("set: %d %+v", code, c)
	}
	if _, code := s.portalLogin(t, "442079460999", "boss", "boss's password"); code != http.StatusOK {
		t.Fatalf("log in with the new identifier: %d", code)
	}
	if _, code := s.portalLogin(t, "+44 20 7946 0000", "boss", "boss's password"); code != http.StatusUnauthorized {
		t.Fatalf("log in with the old identifier: %d", code)
	}
	nine := regexp.MustCompile(`^[1-9][0-9]{8}$`)
	for _, path := range []string{"/api/v1/sites/" + itoa(site.ID), "/api/v1/customers/" + itoa(cust.ID), "/api/v1/installers/" + itoa(inst.ID)} {
		var before, after store.Client
		s.call("GET", path+"/identifier", "", "", &before)
		if code := s.post(path+"/identifier/regenerate", nil, &after); code != http.StatusOK || !nine.MatchString(after.Identifier) ||
			after.Identifier == before.Identifier {
			t.Fatalf("regenerate %s: %d %+v (was %s)", path, code, after, before.Identifier)
		}
		var found store.Client
		if s.call("GET", "/api/v1/clients?identifier="+after.Identifier, "", "", &found); found.Scope != after.Scope {
			t.Fatalf("lookup of the regenerated identifier: %+v, want %s", found, after.Scope)
		}
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	var changes []string
	for _, e := range slices.Backward(audit.Items) {
		switch {
		case strings.HasPrefix(e.Action, "identifier."):
			changes = append(changes, e.Action+" "+e.Target+" "+e.UserName)
			if !strings.Contains(e.Detail, `"before":`) || !strings.Contains(e.Detail, `"after":`) {
				t.Errorf("%s without before and after: %s", e.Action, e.Detail)
			}
		case strings.Contains(e.Action, "/identifier"):
			t.Errorf("a second, generic entry: %+v", e)
		}
	}
	want := []string{"identifier.set site:" + itoa(site.ID) + " api", "identifier.regenerate site:" + itoa(site.ID) + " api",
		"identifier.regenerate customer:" + itoa(cust.ID) + " api", "identifier.regenerate installer:" + itoa(inst.ID) + " api"}
	if !slices.Equal(changes, want) {
		t.Fatalf("audit %v, want %v", changes, want)
	}
}
