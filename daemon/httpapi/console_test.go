package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// operator is a logged-in browser-like client: cookie jar plus CSRF token.
type operator struct {
	t    *testing.T
	s    *stationServer
	c    *http.Client
	csrf string
}

func (s *stationServer) login(t *testing.T, username, password string) (*operator, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	o := &operator{t: t, s: s, c: &http.Client{Jar: jar}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	code := o.call("POST", "/api/v1/login", map[string]string{"username": username, "password": password}, &me, false)
	o.csrf = me.CSRF
	return o, code
}

func (o *operator) call(method, path string, body any, out any, withCSRF bool) int {
	o.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, o.s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if withCSRF {
		req.Header.Set("X-CSRF-Token", o.csrf)
	}
	resp, err := o.c.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// events opens a server-sent-events stream and returns its lines; it
// closes with the test.
func (o *operator) events(path string) <-chan string {
	o.t.Helper()
	req, _ := http.NewRequest("GET", o.s.url+path, nil)
	resp, err := o.c.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		o.t.Fatalf("events %s: %v %v", path, err, resp)
	}
	o.t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// alarm stores one queued burglary signal for account 1234, as the
// pipeline would.
func (s *stationServer) alarm(t *testing.T, zone string) { s.alarmOn(t, "1234", zone) }

// alarmOn stores one queued burglary signal for an account on receiver 1.
func (s *stationServer) alarmOn(t *testing.T, account, zone string) {
	t.Helper()
	ev := protocols.Event{Format: "SIA", Account: account, Code: "BA", Zone: zone, Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryBurglary, Known: true, Description: "Burglary Alarm"}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: account, Events: []protocols.Event{ev}}
	rec := store.Receipt{ReceivedAt: now, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("#" + account + "|NBA" + zone),
		Resolutions: []store.Resolution{s.st.Resolve(1, account, &ev, now)},
		Handling:    []store.Handling{{Mode: store.HandlingQueue, Priority: 4}}}
	if _, err := s.st.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleLoginQueueAndSteps(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	for _, u := range []map[string]any{
		{"username": "ann", "role": "operator", "password": "ann's long password"},
		{"username": "bob", "role": "operator", "password": "bob's long password"},
	} {
		s.mustCreate("/api/v1/users", u)
	}
	var apiErr apiError
	if code := s.post("/api/v1/users", map[string]any{"username": "cy", "role": "operator", "password": "short"}, &apiErr); code != http.StatusBadRequest || apiErr.Field != "password" {
		t.Fatalf("short password: %d %+v", code, apiErr)
	}

	ann, code := s.login(t, "ann", "ann's long password")
	if code != http.StatusOK || ann.csrf == "" {
		t.Fatalf("login: %d", code)
	}
	bob, _ := s.login(t, "bob", "bob's long password")
	// The session carries what the console draws with: the station's clock
	// and what each priority is.
	var me struct {
		Console struct {
			Clock          string   `json:"clock"`
			PriorityLabels []string `json:"priority_labels"`
		} `json:"console"`
	}
	if code := ann.call("GET", "/api/v1/me", nil, &me, false); code != http.StatusOK || me.Console.Clock != "24h" ||
		!slices.Equal(me.Console.PriorityLabels, []string{"Fire", "Hold-up/panic", "Medical/life safety", "Burglary", "Other alarm",
			"Trouble", "Tamper/battery", "Schedule exception", "Opening/closing"}) {
		t.Fatalf("me: %d %+v", code, me)
	}

	// SSE: subscribe before the alarm arrives.
	lines := ann.events("/api/v1/queue/events")
	s.alarm(t, "7")
	deadline := time.After(5 * time.Second)
	for got := false; !got; {
		select {
		case l := <-lines:
			got = strings.HasPrefix(l, "data: ") && strings.Contains(l, `"incident_id":1`)
		case <-deadline:
			t.Fatal("no queue event within 5 s")
		}
	}

	var q struct {
		Queue []store.Incident `json:"queue"`
	}
	if code := ann.call("GET", "/api/v1/queue", nil, &q, false); code != http.StatusOK || len(q.Queue) != 1 || q.Queue[0].SiteName != "Depot" {
		t.Fatalf("queue: %d %+v", code, q)
	}
	id := itoa(q.Queue[0].ID)
	// A step without the CSRF token is refused; with it, it works.
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "claim"}, nil, false); code != http.StatusForbidden {
		t.Fatalf("claim without CSRF: %d", code)
	}
	var in store.Incident
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "claim"}, &in, true); code != http.StatusOK || in.ClaimedByName != "ann" {
		t.Fatalf("claim: %d %+v", code, in)
	}
	if code := bob.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "claim"}, &apiErr, true); code != http.StatusConflict || !strings.Contains(apiErr.Error, "claimed by ann") {
		t.Fatalf("bob's claim: %d %+v", code, apiErr)
	}
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "note", "note": "keyholder on the way"}, nil, true); code != http.StatusOK {
		t.Fatalf("note: %d", code)
	}
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "resolve", "code": "bogus"}, &apiErr, true); code != http.StatusBadRequest || apiErr.Field != "code" {
		t.Fatalf("bad code: %d %+v", code, apiErr)
	}
	// The burglary plan's steps are open: an operator gives the reason.
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "resolve", "code": "false_alarm"}, &apiErr, true); code != http.StatusBadRequest || apiErr.Field != "note" {
		t.Fatalf("resolve with the plan's steps open, no reason: %d %+v", code, apiErr)
	}
	if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", map[string]string{"action": "resolve", "code": "false_alarm",
		"note": "user error, keyholder confirmed"}, &in, true); code != http.StatusOK || in.Status != "resolved" {
		t.Fatalf("resolve: %d %+v", code, in)
	}
	var detail incidentDetail
	if code := ann.call("GET", "/api/v1/incidents/"+id, nil, &detail, false); code != http.StatusOK || len(detail.Signals) != 1 ||
		detail.Site == nil || detail.Site.Name != "Depot" || len(detail.Actions) != 4 || detail.Signals[0].Raw != "#1234|NBA7" {
		t.Fatalf("detail: %d %+v", code, detail)
	}

	// Operators cannot manage records or users; the admin token cannot work
	// incidents.
	if code := ann.call("GET", "/api/v1/customers", nil, nil, false); code != http.StatusForbidden {
		t.Fatalf("operator listing customers: %d", code)
	}
	if code := s.call("POST", "/api/v1/incidents/"+id+"/steps", "application/json", `{"action":"note","note":"x"}`, &apiErr); code != http.StatusForbidden {
		t.Fatalf("token step: %d", code)
	}
	if code := ann.call("POST", "/api/v1/logout", nil, nil, true); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	if code := ann.call("GET", "/api/v1/queue", nil, nil, false); code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", code)
	}
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit", "", "", &audit)
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"user.create", "login", "incident.claim", "incident.note", "incident.resolve", "logout"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
}

func TestLoginIsRateLimited(t *testing.T) {
	s := newStationServer(t)
	s.mustCreate("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"})
	for i := range 5 {
		if _, code := s.login(t, "ann", "guess "+itoa(int64(i))); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	// The sixth try is refused even with the right password.
	o, code := s.login(t, "ann", "ann's long password")
	if code != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: %d", code)
	}
	_ = o
}

func TestConsoleIsServedWithCSP(t *testing.T) {
	s := newStationServer(t)
	for _, path := range []string{"/console/", "/console/app.js", "/console/style.css"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
			resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
