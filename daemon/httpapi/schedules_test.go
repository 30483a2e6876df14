package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// TestScheduleEndpoints: station staff set, read and delete a schedule and
// the holidays (wrong input answered 400 naming the field, the path's
// account kept); in the portal, the account manager reads and sets the
// schedules of its own systems, staff only with the schedules right, and
// nobody another client's.
func TestScheduleEndpoints(t *testing.T) {
	s := newStationServer(t)
	var hq, mine, theirs withIdentifier
	s.post("/api/v1/customers", map[string]any{"name": "HQ"}, &hq)
	s.post("/api/v1/sites", map[string]any{"customer_id": hq.ID, "name": "Mine", "time_zone": "America/Chicago"}, &mine)
	other := s.mustCreate("/api/v1/customers", map[string]any{"name": "Other"})
	s.post("/api/v1/sites", map[string]any{"customer_id": other, "name": "Theirs"}, &theirs)
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": mine.ID})
	otherAcct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "5678", "site_id": theirs.ID})
	put := func(path string, body any, out any) int {
		b, _ := json.Marshal(body)
		return s.call("PUT", path, "application/json", string(b), out)
	}
	week := map[string]any{"open_grace_minutes": 15, "close_grace_minutes": 30,
		"windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "17:00"}}}
	path := "/api/v1/accounts/" + itoa(acct) + "/schedule"
	var e apiError
	if code := s.call("GET", path, "", "", &e); code != http.StatusNotFound {
		t.Fatalf("no schedule yet: %d %+v", code, e)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "07:00"}}}, "windows[0].closes"},
		{map[string]any{"windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "17:00"},
			{"day": "monday", "opens": "16:00", "closes": "18:00"}}}, "windows[1].opens"},
		{map[string]any{"account_id": otherAcct}, "account_id"},
		{map[string]any{"open_grace_minutes": "15"}, "open_grace_minutes"},
		{map[string]any{"weekdays": []string{}}, "weekdays"},
	} {
		e = apiError{}
		if code := put(path, c.body, &e); code != http.StatusBadRequest || e.Field != c.field {
			t.Errorf("PUT %v: %d %+v, want 400 naming %s", c.body, code, e, c.field)
		}
	}
	var got store.Schedule
	if code := put(path, week, &got); code != http.StatusOK || got.AccountID != acct || got.TimeZone != "America/Chicago" || got.UpdatedBy != "api" {
		t.Fatalf("PUT: %d %+v", code, got)
	}
	// What a GET answers can be sent back as it is.
	var again store.Schedule
	b, _ := json.Marshal(got)
	if code := s.call("PUT", path, "application/json", string(b), &again); code != http.StatusOK || len(again.Windows) != 1 {
		t.Fatalf("PUT of a GET's answer: %d %+v", code, again)
	}
	var rep store.ImportReport
	csv := "receiver,number,day,opens,closes\n1,1234,monday,08:00,17:00\n1,1234,tuesday,8am,17:00\n"
	if code := s.call("POST", "/api/v1/schedules/import", "text/csv", csv, &rep); code != http.StatusUnprocessableEntity ||
		len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field != "opens" {
		t.Fatalf("import with a bad row: %d %+v", code, rep)
	}
	csv = strings.Replace(csv, "8am", "08:00", 1)
	if code := s.call("POST", "/api/v1/schedules/import", "text/csv", csv, &rep); code != http.StatusOK || rep.Updated != 1 || !rep.Applied {
		t.Fatalf("import: %d %+v", code, rep)
	}
	var h store.Holiday
	if code := s.post("/api/v1/holidays", map[string]any{"customer_id": 0, "date": "2026-12-25", "name": "Christmas Day"}, &h); code != http.StatusCreated || h.ID == 0 {
		t.Fatalf("holiday: %d %+v", code, h)
	}
	if code := s.post("/api/v1/holidays", map[string]any{"date": "Dec 25", "name": "x"}, &e); code != http.StatusBadRequest || e.Field != "date" {
		t.Fatalf("a bad date: %d %+v", code, e)
	}
	var list struct{ Items []store.Holiday }
	if code := s.call("GET", "/api/v1/holidays?customer_id=0", "", "", &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("holidays: %d %+v", code, list)
	}
	if code := s.call("GET", "/api/v1/holidays?customer_id="+itoa(hq.ID), "", "", &list); code != http.StatusOK || len(list.Items) != 0 {
		t.Fatalf("the HQ's holidays: %d %+v", code, list)
	}
	if code := s.call("DELETE", "/api/v1/holidays/"+itoa(h.ID), "", "", nil); code != http.StatusNoContent {
		t.Fatalf("delete holiday: %d", code)
	}

	// The portal.
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", hq.ID), "kind": "manager", "username": "boss", "password": "boss's password"})
	boss, _ := s.portalLogin(t, hq.Identifier, "boss", "boss's password")
	if code := boss.call("POST", "/portal/api/users", map[string]any{"username": "clerk", "password": "clerk's password"}, nil, true); code != http.StatusCreated {
		t.Fatalf("manager creates staff: %d", code)
	}
	clerk, _ := s.portalLogin(t, hq.Identifier, "clerk", "clerk's password")
	ppath := "/portal/api/accounts/" + itoa(acct) + "/schedule"
	if code := clerk.call("GET", ppath, nil, &got, false); code != http.StatusOK || len(got.Windows) != 2 || got.CloseGraceMinutes != 30 {
		t.Fatalf("staff read the schedule: %d %+v", code, got)
	}
	if code := clerk.call("PUT", ppath, week, nil, true); code != http.StatusForbidden {
		t.Fatalf("staff without the right set it: %d", code)
	}
	if code := boss.call("GET", "/portal/api/accounts/"+itoa(otherAcct)+"/schedule", nil, nil, false); code != http.StatusNotFound {
		t.Fatalf("another client's schedule: %d", code)
	}
	if code := boss.call("PUT", "/portal/api/accounts/"+itoa(otherAcct)+"/schedule", week, nil, true); code != http.StatusNotFound {
		t.Fatalf("setting another client's schedule: %d", code)
	}
	week["close_grace_minutes"] = 45
	if code := boss.call("PUT", ppath, week, &got, true); code != http.StatusOK || got.CloseGraceMinutes != 45 ||
		got.UpdatedBy != "portal:"+store.ScopeOf("customer", hq.ID)+"/boss" {
		t.Fatalf("the manager sets it: %d %+v", code, got)
	}
	if code := boss.call("PUT", "/portal/api/users/"+itoa(clerkID(t, s, boss)), map[string]any{"rights": []string{"schedules"}}, nil, true); code != http.StatusOK {
		t.Fatalf("the manager gives the right: %d", code)
	}
	clerk, _ = s.portalLogin(t, hq.Identifier, "clerk", "clerk's password")
	if code := clerk.call("PUT", ppath, week, nil, true); code != http.StatusOK {
		t.Fatalf("staff with the right set it: %d", code)
	}
	if code := s.call("DELETE", path, "", "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
}

// clerkID is the id of the portal user clerk, as its manager lists it.
func clerkID(t *testing.T, s *stationServer, boss *operator) int64 {
	t.Helper()
	var users struct{ Items []store.PortalUser }
	boss.call("GET", "/portal/api/users", nil, &users, false)
	for _, u := range users.Items {
		if u.Username == "clerk" {
			return u.ID
		}
	}
	t.Fatal("no clerk")
	return 0
}

// TestActionPlanEndpoints: plans are made, listed, replaced and removed
// over the API; a plan naming a contact not on the site's call list is 400
// naming the field, a second plan of one scope and match 409.
func TestActionPlanEndpoints(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	other := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Yard"})
	party := s.mustCreate("/api/v1/responding-parties", map[string]any{"site_id": site, "position": 1, "name": "Dana"})
	elsewhere := s.mustCreate("/api/v1/responding-parties", map[string]any{"site_id": other, "position": 1, "name": "Eli"})
	body := map[string]any{"scope": "site", "scope_id": site, "match": "category", "value": "burglary", "name": "Depot burglary",
		"steps": []map[string]any{{"kind": "call", "party_id": elsewhere}, {"kind": "dispatch", "authority": "guard"}}}
	var e apiError
	if code := s.post("/api/v1/action-plans", body, &e); code != http.StatusBadRequest || e.Field != "steps[0].party_id" {
		t.Fatalf("a plan naming another site's contact: %d %+v", code, e)
	}
	body["steps"] = []map[string]any{{"kind": "call", "party_id": party, "text": "she has the keys"}, {"kind": "dispatch", "authority": "guard"}}
	var p store.ActionPlan
	if code := s.post("/api/v1/action-plans", body, &p); code != http.StatusCreated || p.ID == 0 || p.Source != "api" {
		t.Fatalf("create: %d %+v", code, p)
	}
	if code := s.post("/api/v1/action-plans", body, &e); code != http.StatusConflict {
		t.Fatalf("a second plan of the scope and match: %d %+v", code, e)
	}
	body["steps"] = []map[string]any{{"kind": "wait", "minutes": 0}}
	b, _ := json.Marshal(body)
	if code := s.call("PUT", "/api/v1/action-plans/"+itoa(p.ID), "application/json", string(b), &e); code != http.StatusBadRequest || e.Field != "steps[0].minutes" {
		t.Fatalf("a wait of 0 minutes: %d %+v", code, e)
	}
	var list struct{ Items []store.ActionPlan }
	if code := s.call("GET", "/api/v1/action-plans", "", "", &list); code != http.StatusOK || list.Items[0].Source != "default" ||
		list.Items[len(list.Items)-1].Name != "Depot burglary" {
		t.Fatalf("list: %d %+v", code, list)
	}
	if code := s.call("DELETE", "/api/v1/action-plans/"+itoa(p.ID), "", "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
}

// TestInstructionEndpoints: an operator adds a temporary instruction to a
// site and one to an account; wrong ones are 400 naming the field; an
// account's list has its own and its site's, another account of the site
// only the site's; a deleted one is gone. (Expiry: TestInstructionsExpire.)
func TestInstructionEndpoints(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	other := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "5678", "site_id": site})
	until := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"site_id": site, "text": "", "until": until(time.Hour)}, "text"},
		{map[string]any{"site_id": site, "text": "x", "until": until(-time.Hour)}, "until"},
		{map[string]any{"site_id": site, "text": "x", "until": until(100 * 24 * time.Hour)}, "until"},
		{map[string]any{"site_id": 999999, "text": "x", "until": until(time.Hour)}, "site_id"},
		{map[string]any{"account_id": 999999, "text": "x", "until": until(time.Hour)}, "account_id"},
	} {
		var e apiError
		if code := s.post("/api/v1/instructions", c.body, &e); code != http.StatusBadRequest || e.Field != c.field {
			t.Errorf("%v: %d %+v, want 400 naming %s", c.body, code, e, c.field)
		}
	}
	var in store.Instruction
	if code := s.post("/api/v1/instructions", map[string]any{"site_id": site, "text": "Dog on premises", "until": until(48 * time.Hour)}, &in); code != http.StatusCreated || in.CreatedBy != "api" {
		t.Fatalf("site instruction: %d %+v", code, in)
	}
	if code := s.post("/api/v1/instructions", map[string]any{"account_id": acct, "text": "Panel battery low: do not dispatch on AC loss", "until": until(time.Hour)}, &in); code != http.StatusCreated || in.SiteID != site {
		t.Fatalf("account instruction: %d %+v", code, in)
	}
	var list struct{ Items []store.Instruction }
	if code := s.call("GET", "/api/v1/instructions?account_id="+itoa(acct), "", "", &list); code != http.StatusOK || len(list.Items) != 2 {
		t.Fatalf("the account's: %d %+v", code, list)
	}
	if code := s.call("GET", "/api/v1/instructions?account_id="+itoa(other), "", "", &list); code != http.StatusOK || len(list.Items) != 1 || list.Items[0].Text != "Dog on premises" {
		t.Fatalf("the other account's: %d %+v", code, list)
	}
	if code := s.call("GET", "/api/v1/instructions", "", "", &list); code != http.StatusBadRequest {
		t.Fatalf("neither site nor account: %d", code)
	}
	if code := s.call("DELETE", "/api/v1/instructions/"+itoa(in.ID), "", "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code := s.call("GET", "/api/v1/instructions?site_id="+itoa(site), "", "", &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("after the delete: %d %+v", code, list)
	}
}

// TestDisasterEndpoints: a supervisor switches a receiver's disaster mode
// on and off; an operator may not; a mode grouping fire is 400 naming the
// field, a second for the scope 409; the dashboard says it is on.
func TestDisasterEndpoints(t *testing.T) {
	s := newStationServer(t)
	s.post("/api/v1/users", map[string]any{"username": "sue", "role": "supervisor", "password": "sue's long password"}, nil)
	s.post("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	sue, _ := s.login(t, "sue", "sue's long password")
	ann, _ := s.login(t, "ann", "ann's long password")
	body := map[string]any{"scope": "receiver", "receiver": 1, "categories": []string{"trouble", "fire"}, "reason": "ice storm"}
	var e apiError
	if code := sue.call("POST", "/api/v1/disasters", body, &e, true); code != http.StatusBadRequest || e.Field != "categories[1]" {
		t.Fatalf("a mode grouping fire: %d %+v", code, e)
	}
	body["categories"] = []string{"trouble"}
	if code := ann.call("POST", "/api/v1/disasters", body, &e, true); code != http.StatusForbidden {
		t.Fatalf("an operator switching a mode on: %d", code)
	}
	// The live signal log's frames: supervisors, not operators.
	if code := ann.call("GET", "/api/v1/frames?order=desc&limit=10", nil, nil, false); code != http.StatusForbidden {
		t.Fatalf("frames for an operator: %d", code)
	}
	if code := sue.call("GET", "/api/v1/frames?order=desc&limit=10", nil, nil, false); code != http.StatusOK {
		t.Fatalf("frames for a supervisor: %d", code)
	}
	var d store.Disaster
	if code := sue.call("POST", "/api/v1/disasters", body, &d, true); code != http.StatusCreated || d.StartedBy != "sue" {
		t.Fatalf("on: %d %+v", code, d)
	}
	if code := sue.call("POST", "/api/v1/disasters", body, &e, true); code != http.StatusConflict {
		t.Fatalf("a second mode for the scope: %d", code)
	}
	var dash struct {
		Modes []store.Disaster `json:"disaster_modes"`
	}
	if code := ann.call("GET", "/api/v1/dashboard", nil, &dash, false); code != http.StatusOK || len(dash.Modes) != 1 || dash.Modes[0].Reason != "ice storm" {
		t.Fatalf("dashboard: %d %+v", code, dash)
	}
	if code := sue.call("DELETE", "/api/v1/disasters/"+itoa(d.ID), nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("off: %d", code)
	}
}

// TestDirectoryAndDispatchRecords: the authority directory answers the
// agencies serving a postal code, however it is written; one is added to a
// site's authorities; a dispatch carries the agency's case number and the
// operator, and its call-off is logged and shown on the plan's step.
func TestDirectoryAndDispatchRecords(t *testing.T) {
	s := newStationServer(t)
	var e apiError
	if code := s.post("/api/v1/authority-directory", map[string]any{"kind": "army", "name": "x", "postal_codes": []string{"1"}}, &e); code != http.StatusBadRequest || e.Field != "kind" {
		t.Fatalf("a bad kind: %d %+v", code, e)
	}
	var police, fire store.DirectoryAuthority
	s.post("/api/v1/authority-directory", map[string]any{"kind": "police", "name": "Springfield PD", "phones": []string{"911"},
		"postal_codes": []string{"62701", "62702", "sw1a 1aa"}}, &police)
	s.post("/api/v1/authority-directory", map[string]any{"kind": "fire", "name": "Springfield FD", "postal_codes": []string{"62701"}}, &fire)
	var list struct{ Items []store.DirectoryAuthority }
	if code := s.call("GET", "/api/v1/authority-directory?postal_code=SW1A%201AA", "", "", &list); code != http.StatusOK || len(list.Items) != 1 || list.Items[0].Name != "Springfield PD" {
		t.Fatalf("by postal code: %d %+v", code, list)
	}
	if code := s.call("GET", "/api/v1/authority-directory?postal_code=62701&kind=fire", "", "", &list); code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != fire.ID {
		t.Fatalf("by postal code and kind: %d %+v", code, list)
	}
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	var auth store.Authority
	if code := s.post("/api/v1/authority-directory/"+itoa(police.ID)+"/assign", map[string]any{"site_id": site}, &auth); code != http.StatusCreated ||
		auth.SiteID != site || auth.Name != "Springfield PD" || auth.Kind != "police" {
		t.Fatalf("assign: %d %+v", code, auth)
	}
	s.post("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	ann, _ := s.login(t, "ann", "ann's long password")
	s.alarm(t, "7")
	var q struct {
		Queue []store.Incident `json:"queue"`
	}
	ann.call("GET", "/api/v1/queue", nil, &q, false)
	id := itoa(q.Queue[0].ID)
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]any{"action": "dispatched", "contact": "police: Springfield PD",
		"case_number": "SPD-2026-4711"}, nil, true); code != http.StatusOK {
		t.Fatalf("dispatch: %d", code)
	}
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]any{"action": "dispatch_cancelled", "contact": "police: Springfield PD",
		"note": "keyholder on site, passcode correct"}, nil, true); code != http.StatusOK {
		t.Fatalf("call-off: %d", code)
	}
	var d incidentDetail
	ann.call("GET", "/api/v1/incidents/"+id, nil, &d, false)
	var dispatched, cancelled map[string]any
	for _, a := range d.Actions {
		var m map[string]any
		_ = json.Unmarshal(a.Detail, &m)
		m["by"] = a.UserName
		switch a.Action {
		case "dispatched":
			dispatched = m
		case "dispatch_cancelled":
			cancelled = m
		}
	}
	if dispatched["case_number"] != "SPD-2026-4711" || dispatched["contact"] != "police: Springfield PD" || dispatched["by"] != "ann" ||
		cancelled["note"] != "keyholder on site, passcode correct" || cancelled["by"] != "ann" {
		t.Fatalf("action log: %v / %v", dispatched, cancelled)
	}
	last := d.Plan.Steps[len(d.Plan.Steps)-1]
	if last.Label != "Dispatch police" || last.Progress != "police: Springfield PD (called off)" {
		t.Fatalf("the plan's dispatch step: %+v", last)
	}
}

// TestFalseAlarmsAndPermits: incidents resolved with a false alarm code
// count per site, account and customer (the parent's count covers its
// child's sites); the threshold's false alarm raises one station event;
// a permit is set, refused when malformed, and warned about once before
// it expires.
func TestFalseAlarmsAndPermits(t *testing.T) {
	s := newStationServer(t)
	hq := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	branch := s.mustCreate("/api/v1/customers", map[string]any{"name": "Branch", "parent_id": hq})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": branch, "name": "Depot"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	s.post("/api/v1/users", map[string]any{"username": "sue", "role": "supervisor", "password": "sue's long password"}, nil)
	sue, _ := s.login(t, "sue", "sue's long password")
	for i, code := range []string{"false_alarm", "police_dispatched", "false_alarm", "false_alarm"} {
		s.alarm(t, itoa(int64(10+i)))
		var q struct {
			Queue []store.Incident `json:"queue"`
		}
		sue.call("GET", "/api/v1/queue", nil, &q, false)
		if code := sue.call("POST", "/api/v1/incidents/"+itoa(q.Queue[0].ID)+"/steps", map[string]any{"action": "resolve", "code": code}, nil, true); code != http.StatusOK {
			t.Fatalf("resolve %d: %d", i, code)
		}
	}
	for _, q := range []string{"site_id=" + itoa(site), "account_id=" + itoa(acct), "customer_id=" + itoa(hq)} {
		var c store.FalseAlarmCount
		if code := s.call("GET", "/api/v1/false-alarms?"+q, "", "", &c); code != http.StatusOK || c.Count != 3 || c.Threshold != 3 {
			t.Errorf("%s: %d %+v, want 3 of 3", q, code, c)
		}
	}
	events, err := s.st.StationEvents(context.Background(), store.StationEventFilter{Kind: store.EventFalseAlarms, Limit: 10})
	if err != nil || len(events) != 1 {
		t.Fatalf("false alarm threshold events: %+v %v", events, err)
	}
	var e apiError
	b, _ := json.Marshal(map[string]any{"number": "SPD-ALM-0042", "expires": "Dec 31"})
	if code := s.call("PUT", "/api/v1/sites/"+itoa(site)+"/permit", "application/json", string(b), &e); code != http.StatusBadRequest || e.Field != "expires" {
		t.Fatalf("a bad expiry: %d %+v", code, e)
	}
	b, _ = json.Marshal(map[string]any{"number": "SPD-ALM-0042", "expires": now.Add(10 * 24 * time.Hour).Format("2006-01-02")})
	if code := s.call("PUT", "/api/v1/sites/"+itoa(site)+"/permit", "application/json", string(b), nil); code != http.StatusOK {
		t.Fatalf("permit: %d", code)
	}
	for _, want := range []int{1, 0} {
		if n, err := s.st.WarnExpiringPermits(context.Background(), 30*24*time.Hour); err != nil || n != want {
			t.Fatalf("permit warnings: %d %v, want %d", n, err, want)
		}
	}
	var d incidentDetail
	var q struct {
		Queue []store.Incident `json:"queue"`
	}
	s.alarm(t, "99")
	sue.call("GET", "/api/v1/queue", nil, &q, false)
	sue.call("GET", "/api/v1/incidents/"+itoa(q.Queue[0].ID), nil, &d, false)
	if d.Permit == nil || d.Permit.Number != "SPD-ALM-0042" || d.FalseAlarms == nil || d.FalseAlarms.Count != 3 {
		t.Fatalf("the incident page: permit %+v, false alarms %+v", d.Permit, d.FalseAlarms)
	}
}

// TestPortalHidesPasscodeResults: the portal's action log names whom a
// passcode check checked, never its result (a duress result must not
// show to whoever holds the client's phone).
func TestPortalHidesPasscodeResults(t *testing.T) {
	acts := portalActions([]store.IncidentAction{
		{Action: "passcode_checked", Detail: json.RawMessage(`{"contact":"Maria","party_id":1,"result":"duress"}`)},
		{Action: "note", Detail: json.RawMessage(`{"note":"result: keep"}`)},
	})
	if got := string(acts[0].Detail); got != `{"contact":"Maria","party_id":1}` {
		t.Errorf("passcode check as the portal shows it: %s", got)
	}
	if got := string(acts[1].Detail); got != `{"note":"result: keep"}` {
		t.Errorf("a note changed: %s", got)
	}
}

// TestSupervisorsKeepSchedulesAndPlans: the console's schedule, holiday and
// action plan pages are a supervisor's, as the other record pages: sue
// sets an account's schedule (a wrong window named), adds a holiday to a
// customer's calendar, makes a plan, changes and removes them; ann, an
// operator, may do none of it, nor read them.
func TestSupervisorsKeepSchedulesAndPlans(t *testing.T) {
	s := newStationServer(t)
	s.post("/api/v1/users", map[string]any{"username": "sue", "role": "supervisor", "password": "sue's long password"}, nil)
	s.post("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	sue, _ := s.login(t, "sue", "sue's long password")
	ann, _ := s.login(t, "ann", "ann's long password")
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	path := "/api/v1/accounts/" + itoa(acct) + "/schedule"
	var e apiError
	bad := map[string]any{"windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "17:00"}, {"day": "monday", "opens": "16:00", "closes": "18:00"}}}
	if code := sue.call("PUT", path, bad, &e, true); code != http.StatusBadRequest || e.Field != "windows[1].opens" {
		t.Fatalf("an overlapping window: %d %+v", code, e)
	}
	var sch store.Schedule
	week := map[string]any{"open_grace_minutes": 10, "close_grace_minutes": 20, "windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "17:00"}}}
	if code := sue.call("PUT", path, week, &sch, true); code != http.StatusOK || sch.UpdatedBy != "sue" || len(sch.Windows) != 1 {
		t.Fatalf("a supervisor's schedule: %d %+v", code, sch)
	}
	var h store.Holiday
	if code := sue.call("POST", "/api/v1/holidays", map[string]any{"customer_id": cust, "date": "2026-12-26", "name": "Boxing Day"}, &h, true); code != http.StatusCreated || h.CreatedBy != "sue" {
		t.Fatalf("a supervisor's holiday: %d %+v", code, h)
	}
	var p store.ActionPlan
	plan := map[string]any{"scope": "site", "scope_id": site, "match": "category", "value": "fire", "name": "Depot fire", "steps": []map[string]any{{"kind": "call_list"}}}
	if code := sue.call("POST", "/api/v1/action-plans", plan, &p, true); code != http.StatusCreated || p.UpdatedBy != "sue" {
		t.Fatalf("a supervisor's plan: %d %+v", code, p)
	}
	plan["steps"] = []map[string]any{{"kind": "dispatch", "authority": "fire"}, {"kind": "call_list"}}
	if code := sue.call("PUT", "/api/v1/action-plans/"+itoa(p.ID), plan, &p, true); code != http.StatusOK || len(p.Steps) != 2 {
		t.Fatalf("a supervisor's change of the plan: %d %+v", code, p)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", path}, {"PUT", path}, {"DELETE", path}, {"GET", "/api/v1/holidays"}, {"POST", "/api/v1/holidays"},
		{"DELETE", "/api/v1/holidays/" + itoa(h.ID)}, {"GET", "/api/v1/action-plans"}, {"POST", "/api/v1/action-plans"},
		{"PUT", "/api/v1/action-plans/" + itoa(p.ID)}, {"DELETE", "/api/v1/action-plans/" + itoa(p.ID)},
	} {
		if code := ann.call(c.method, c.path, map[string]any{}, nil, true); code != http.StatusForbidden {
			t.Errorf("an operator's %s %s: %d", c.method, c.path, code)
		}
	}
	for _, p := range []string{path, "/api/v1/holidays/" + itoa(h.ID), "/api/v1/action-plans/" + itoa(p.ID)} {
		if code := sue.call("DELETE", p, nil, nil, true); code != http.StatusNoContent {
			t.Errorf("a supervisor's DELETE %s: %d", p, code)
		}
	}
}
