package daemon

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
)

// apiSend sends body with method to path with the admin token and reads
// the answer into into.
func apiSend(t *testing.T, r *running, method, path string, body, into any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+r.d.HTTPAddr()+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(rb, into); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rb)
		}
	}
	return resp.StatusCode
}

// TestScheduleExceptionsThroughThePipeline: through the whole daemon, a
// schedule set over the API (a wrong one answered 400 naming the field)
// makes an opening on a closed day raise OJ "Unscheduled Opening", stored
// as a signal of the account and queued at the schedule priority; on an
// account on test the same is a test result and reaches no operator. The
// deadlines, with time the test's, are the service's unit tests
// (TestLateToCloseAndOpenAcrossDSTAndARestart).
func TestScheduleExceptionsThroughThePipeline(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var a, b store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site}, &a)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "2222", "site_id": site}, &b)

	var bad struct{ Error, Field string }
	if code := apiSend(t, r, http.MethodPut, "/api/v1/accounts/"+itoa(a.ID)+"/schedule", map[string]any{
		"windows": []map[string]any{{"day": "monday", "opens": "17:00", "closes": "08:00"}}}, &bad); code != http.StatusBadRequest ||
		bad.Field != "windows[0].closes" {
		t.Fatalf("an inverted window: %d %+v", code, bad)
	}
	// Closed today and tomorrow (the site is in UTC), whatever the week says.
	now := time.Now().UTC()
	closed := []map[string]any{{"date": now.Format("2006-01-02"), "closed": true}, {"date": now.AddDate(0, 0, 1).Format("2006-01-02"), "closed": true}}
	body := map[string]any{"open_grace_minutes": 15, "close_grace_minutes": 15, "days": closed,
		"windows": []map[string]any{{"day": "monday", "opens": "08:00", "closes": "17:00"}}}
	for _, acct := range []store.Account{a, b} {
		var got store.Schedule
		if code := apiSend(t, r, http.MethodPut, "/api/v1/accounts/"+itoa(acct.ID)+"/schedule", body, &got); code != http.StatusOK ||
			got.TimeZone != "UTC" || len(got.Days) != 2 || got.UpdatedBy != "api" {
			t.Fatalf("schedule of %s: %d %+v", acct.Number, code, got)
		}
	}
	apiPost(t, r, "/api/v1/accounts/"+itoa(b.ID)+"/tests", map[string]any{"duration": "1h", "reason": "service", "authorised_by": "tech"}, nil)

	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "1111", "0001", "#1111|Nri1/OP001", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "2222", "0002", "#2222|Nri1/OP001", false), "ACK")
	waitFor(t, 10*time.Second, func() bool {
		return len(signals(t, r, "account_id="+itoa(a.ID))) == 2 && len(signals(t, r, "account_id="+itoa(b.ID))) == 2
	})
	for _, c := range []struct {
		acct     store.Account
		handling string
	}{{a, "queued"}, {b, "test"}} {
		got := signals(t, r, "account_id="+itoa(c.acct.ID))
		raised := got[1]
		if got[0]["event_code"] != "OP" || raised["event_code"] != "OJ" || raised["description"] != "Unscheduled Opening" ||
			raised["category"] != "schedule" || raised["handling"] != c.handling || raised["partition"] != "1" {
			t.Errorf("%s's signals: %v, want the opening and an OJ %s", c.acct.Number, got, c.handling)
		}
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].AccountID == nil || *q.Queue[0].AccountID != a.ID || q.Queue[0].Priority != 8 {
		t.Fatalf("queue %+v, want 1111's unscheduled opening at priority 8", q.Queue)
	}
	var sch store.Schedule
	apiGet(t, r, "/api/v1/accounts/"+itoa(a.ID)+"/schedule", adminToken, &sch)
	if len(sch.States) != 1 || sch.States[0].Area != "" || !sch.States[0].Open {
		t.Errorf("area states %+v, want the account's open (area 1 has no windows of its own)", sch.States)
	}
	if v := counter(t, r, "alarmrx_schedule_exceptions_total", "kind", "unscheduled_open"); v != 2 {
		t.Errorf("unscheduled_open counted %v, want 2", v)
	}
}

// TestConfigActionPlans: the configuration's plans are checked when the
// daemon starts (the field named) and, once valid, apply to incidents over
// the built-in ones.
func TestConfigActionPlans(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Queue.ActionPlans = []configs.ActionPlan{{Match: "category", Value: "burglary", Name: "Burglary (station)",
		Steps: []configs.ActionPlanStep{{Kind: "dispatch", Authority: "army"}}}}
	if _, err := ActionPlans(cfg); err == nil || err.Error() != `config: queue.action_plans[0].steps[0].authority: must be one of police, fire, medical, guard` {
		t.Fatalf("a bad plan: %v", err)
	}
	cfg.Queue.ActionPlans[0].Steps[0].Authority = "guard"
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site}, nil)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "1111", "0001", "#1111|Nri1/BA012", false), "ACK")
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 {
		t.Fatalf("queue %+v", q.Queue)
	}
	var d struct {
		Plan store.IncidentPlan `json:"plan"`
	}
	apiGet(t, r, "/api/v1/incidents/"+itoa(q.Queue[0].ID), adminToken, &d)
	if d.Plan.Plan == nil || d.Plan.Plan.Name != "Burglary (station)" || d.Plan.Plan.Source != "config" || len(d.Plan.Steps) != 1 ||
		d.Plan.Steps[0].Label != "Dispatch guard" || d.Plan.Steps[0].State != "pending" {
		t.Fatalf("the incident's plan: %+v", d.Plan)
	}
}

// stationSession logs a station user in and returns a client with its
// cookie, and the CSRF token its unsafe requests carry.
func stationSession(t *testing.T, r *running, username, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := c.Post("http://"+r.d.HTTPAddr()+"/api/v1/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return c, me.CSRF
}

// TestDuressPasscode: the caller gives the keyholder's duress passcode;
// the operator's check answers duress (the action log says so, never the
// code), and a hold-up alarm (SIA HA) is raised as a signal of the account
// through the pipeline, lifting its incident to priority 2.
func TestDuressPasscode(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var a store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site}, &a)
	var party store.RespondingParty
	if code := apiPost(t, r, "/api/v1/responding-parties", map[string]any{"site_id": site, "position": 1, "name": "Maria Keyholder",
		"passcode": "blue-heron", "duress_passcode": "red-heron"}, &party); code != http.StatusCreated || !party.HasDuressPasscode ||
		party.DuressPasscode != nil {
		t.Fatalf("party: %d %+v", code, party)
	}
	var bad struct{ Field string }
	if code := apiPost(t, r, "/api/v1/responding-parties", map[string]any{"site_id": site, "position": 2, "name": "Tom",
		"passcode": "same", "duress_passcode": "same"}, &bad); code != http.StatusBadRequest || bad.Field != "duress_passcode" {
		t.Fatalf("a duress passcode equal to the passcode: %d %+v", code, bad)
	}
	apiPost(t, r, "/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "1111", "0001", "#1111|Nri1/BA012", false), "ACK")
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Priority != 4 {
		t.Fatalf("queue %+v", q.Queue)
	}
	c, csrf := stationSession(t, r, "ann", "ann's long password")
	b, _ := json.Marshal(map[string]any{"action": "passcode_check", "party_id": party.ID, "passcode": "red-heron"})
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.d.HTTPAddr()+"/api/v1/incidents/"+itoa(q.Queue[0].ID)+"/steps", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		PasscodeResult string `json:"passcode_result"`
		DuressAlarm    string `json:"duress_alarm"`
	}
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusOK || out.PasscodeResult != "duress" ||
		out.DuressAlarm != "raised" || bytes.Contains(body, []byte("heron")) {
		t.Fatalf("duress check: %d %s", resp.StatusCode, body)
	}
	waitFor(t, 5*time.Second, func() bool { return len(codes(t, r, "account_id="+itoa(a.ID))) == 2 })
	got := signals(t, r, "account_id="+itoa(a.ID))
	if got[1]["event_code"] != "HA" || got[1]["category"] != "holdup" || got[1]["remote_addr"] != "operator" {
		t.Fatalf("the duress alarm: %v", got[1])
	}
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Priority != 2 {
		t.Fatalf("queue after the duress code %+v, want the incident at hold-up priority", q.Queue)
	}
}
