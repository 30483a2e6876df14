package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

const token = "t0ken"

// stationServer is the API on a real listener over a real SQLite file, with
// receiver 1 (no prefix) and receiver 2 (prefix ABC).
type stationServer struct {
	t   testing.TB
	url string
	st  *store.Store
}

func newStationServer(t testing.TB) *stationServer {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), store.FileName), store.Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Now: func() time.Time { return now },
		PasswordCost: bcrypt.MinCost, // the tests check logins, not the hash
		FalseAlarms:  store.FalseAlarmRules{Codes: []string{"false_alarm"}, Threshold: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.SyncReceivers(context.Background(), []store.Receiver{
		{Number: 1, Name: "IP 1"}, {Number: 2, Name: "Cloud", AccountPrefix: "ABC"},
	}); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Logger: zap.NewNop(), Gatherer: prometheus.NewRegistry(), Store: st, Station: st, Tables: tablesOf(st),
		AdminToken: token, MaxTestDuration: 24 * time.Hour, Now: func() time.Time { return now },
		Queue: store.QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm", "police_dispatched", "guard_dispatched"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &stationServer{t: t, url: srv.URL, st: st}
}

// call sends a request and decodes the JSON answer into out (if not nil),
// returning the status.
func (s *stationServer) call(method, path, contentType string, body string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func (s *stationServer) post(path string, body any, out any) int {
	s.t.Helper()
	b, _ := json.Marshal(body)
	return s.call("POST", path, "application/json", string(b), out)
}

func (s *stationServer) mustCreate(path string, body any) int64 {
	s.t.Helper()
	var got struct {
		ID int64 `json:"id"`
	}
	var raw map[string]any
	b, _ := json.Marshal(body)
	if code := s.call("POST", path, "application/json", string(b), &raw); code != http.StatusCreated {
		s.t.Fatalf("POST %s: %d %v", path, code, raw)
	}
	rb, _ := json.Marshal(raw)
	_ = json.Unmarshal(rb, &got)
	return got.ID
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	st := newStationServer(t)
	a := &api{opts: Options{Station: st.st, Tables: tablesOf(st.st), Connections: func() []receiver.ConnInfo { return nil },
		Cluster: func(context.Context) (any, error) { return nil, nil }, Trends: NewTrends(TrendsOptions{Gatherer: prometheus.NewRegistry()})}}
	served := map[string]bool{}
	for _, rt := range a.routes() {
		served[strings.ToLower(rt.method)+" "+rt.path] = true
	}
	served["post /api/v1/login"] = true // the one route served before authentication
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[method+" "+path] = true
		}
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not in openapi.yaml: %s", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("in openapi.yaml but not served: %s", k)
		}
	}
	if len(served) < 50 {
		t.Errorf("only %d routes compared", len(served))
	}
}

func TestRecordsAPI(t *testing.T) {
	s := newStationServer(t)
	hq := s.mustCreate("/api/v1/customers", map[string]any{"name": "Bank HQ"})
	store7 := s.mustCreate("/api/v1/customers", map[string]any{"name": "Store 7", "parent_id": hq})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": store7, "name": "Store 7 High St", "time_zone": "Europe/London"})
	other := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": hq, "name": "HQ tower"})

	// An account with a key: the key never comes back.
	var acct map[string]any
	code := s.post("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site,
		"dc09_key": "000102030405060708090A0B0C0D0E0F", "supervision_interval": "25h"}, &acct)
	if code != http.StatusCreated || acct["has_dc09_key"] != true || acct["dc09_key"] != nil || acct["supervision_interval"] != "25h0m0s" {
		t.Fatalf("create account: %d %v", code, acct)
	}

	// The same number on the same receiver: 409 naming the site holding it.
	var apiErr apiError
	code = s.post("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": other}, &apiErr)
	if code != http.StatusConflict || apiErr.Field != "number" || !strings.Contains(apiErr.Error, "Store 7 High St") {
		t.Fatalf("duplicate: %d %+v", code, apiErr)
	}
	// On receiver 2 it is another account, and gets the prefix.
	code = s.post("/api/v1/accounts", map[string]any{"receiver": 2, "number": "1234", "site_id": other}, &acct)
	if code != http.StatusCreated || acct["number"] != "ABC1234" || acct["sent_number"] != "1234" {
		t.Fatalf("receiver 2: %d %v", code, acct)
	}
	// The same number sent again is the same account there.
	if code = s.post("/api/v1/accounts", map[string]any{"receiver": 2, "sent_number": "1234", "site_id": site}, &apiErr); code != http.StatusConflict {
		t.Fatalf("1234 again on receiver 2: %d", code)
	}
	// Found by number as a signal would be.
	var found map[string]any
	if code = s.call("GET", "/api/v1/receivers/2/accounts/1234", "", "", &found); code != http.StatusOK || found["number"] != "ABC1234" {
		t.Fatalf("find: %d %v", code, found)
	}

	// 400s name the field.
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{"receiver": 1, "number": "12", "site_id": 1}`, "number"},
		{`{"receiver": 1, "number": "5555", "site_id": 999}`, "site_id"},
		{`{"receiver": "one", "number": "5555", "site_id": 1}`, "receiver"},
		{`{"receiver": 1, "number": "5555", "site_id": 1, "colour": "red"}`, "colour"},
		{`{"receiver": 7, "number": "5555", "site_id": 1}`, "receiver"},
		{`{"receiver": 1, "number": "5555", "site_id": 1, "system_type": "toaster"}`, "system_type"},
	} {
		apiErr = apiError{}
		if code := s.call("POST", "/api/v1/accounts", "application/json", c.body, &apiErr); code != http.StatusBadRequest || apiErr.Field != c.field {
			t.Errorf("%s: %d %+v, want 400 on %s", c.body, code, apiErr, c.field)
		}
	}
	if code := s.call("GET", "/api/v1/accounts/999", "", "", nil); code != http.StatusNotFound {
		t.Errorf("missing account: %d", code)
	}
	if code := s.call("DELETE", "/api/v1/sites/"+itoa(site), "", "", &apiErr); code != http.StatusConflict {
		t.Errorf("deleting a site with an account: %d", code)
	}

	// Lists filter; zones and call list hang off account and site.
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if code := s.call("GET", "/api/v1/customers?parent_id="+itoa(hq), "", "", &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("children of HQ: %d %v", code, list)
	}
	if code := s.call("GET", "/api/v1/customers?colour=red", "", "", &apiErr); code != http.StatusBadRequest || apiErr.Field != "colour" {
		t.Fatalf("unknown filter: %d %+v", code, apiErr)
	}
	s.mustCreate("/api/v1/responding-parties", map[string]any{"site_id": site, "position": 1, "name": "Ann Keyholder",
		"phones": []string{"+44 20 7946 0000"}, "passcode": "swordfish"})
	if code := s.call("GET", "/api/v1/responding-parties?site_id="+itoa(site), "", "", &list); code != http.StatusOK ||
		len(list.Items) != 1 || list.Items[0]["passcode"] != nil || list.Items[0]["has_passcode"] != true {
		t.Fatalf("call list: %d %v", code, list)
	}
	s.mustCreate("/api/v1/authorities", map[string]any{"site_id": site, "kind": "police", "name": "Met Police", "phones": []string{"999"}})
	inst := s.mustCreate("/api/v1/installers", map[string]any{"name": "Secure Ltd"})
	s.mustCreate("/api/v1/technicians", map[string]any{"installer_id": inst, "name": "Tom Tech"})
	var put map[string]any
	var audit struct {
		Items []store.AuditEntry `json:"items"`
	}
	s.call("GET", "/api/v1/audit?limit=1000", "", "", &audit)
	var created int
	for _, e := range audit.Items {
		if e.Action == "account.create" && e.UserName == "api" && e.Target != "" {
			created++
		}
	}
	if created != 2 {
		t.Fatalf("audited account creations %d, want 2 (the refused ones are not changes): %+v", created, audit.Items)
	}
	if code := s.call("PUT", "/api/v1/sites/"+itoa(site), "application/json",
		`{"customer_id": `+itoa(store7)+`, "installer_id": `+itoa(inst)+`, "name": "Store 7", "identifier": "+441234"}`, &put); code != http.StatusOK || put["installer_id"] != float64(inst) {
		t.Fatalf("put site: %d %v", code, put)
	}
}

func TestImportAPI(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "S1", "identifier": "5550001"})
	s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "S2", "identifier": "5550002"})

	bad := "receiver,number,site,system_type,test_interval\n" +
		"1,1001,5550001,intrusion,24h\n" +
		"1,10-2,5550001,intrusion,24h\n" + // bad number
		"2,1003,5559999,fire,24h\n" + // no such site
		"1,1004,5550002,toaster,24h\n" + // bad type
		"1,1001,5550002,fire,\n" // twice in the file
	var rep store.ImportReport
	if code := s.call("POST", "/api/v1/accounts/import", "text/csv", bad, &rep); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad import: %d %+v", code, rep)
	}
	// Every bad row in one run, the duplicate among them.
	var lines []string
	for _, e := range rep.Errors {
		lines = append(lines, itoa(int64(e.Line))+":"+e.Field)
	}
	if want := []string{"3:number", "4:site", "5:system_type", "6:"}; rep.Applied || !slices.Equal(lines, want) {
		t.Fatalf("row errors %v, want %v (%+v)", lines, want, rep.Errors)
	}
	var list struct {
		Items []store.Account `json:"items"`
	}
	s.call("GET", "/api/v1/accounts", "", "", &list)
	if len(list.Items) != 0 {
		t.Fatalf("a bad import wrote %d accounts", len(list.Items))
	}

	good := "receiver,number,site,system_type,test_interval,dc09_key\n" +
		"1,1001,5550001,intrusion,24h,\n" +
		"2,1001,5550002,fire,25h,000102030405060708090A0B0C0D0E0F\n"
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/accounts/import?dry_run=true", "text/csv", good, &rep); code != http.StatusOK || rep.Applied || rep.Created != 2 {
		t.Fatalf("dry run: %d %+v", code, rep)
	}
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/accounts/import", "text/csv", good, &rep); code != http.StatusOK || !rep.Applied || rep.Created != 2 {
		t.Fatalf("import: %d %+v", code, rep)
	}
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/accounts/import", "text/csv", good, &rep); code != http.StatusOK || rep.Unchanged != 2 || rep.Created+rep.Updated != 0 {
		t.Fatalf("second import not idempotent: %d %+v", code, rep)
	}
	changed := strings.Replace(good, "fire,25h", "fire,26h", 1)
	rep = store.ImportReport{}
	if s.call("POST", "/api/v1/accounts/import", "text/csv", changed, &rep); rep.Updated != 1 || rep.Unchanged != 1 {
		t.Fatalf("changed row: %+v", rep)
	}
	s.call("GET", "/api/v1/accounts?receiver=2", "", "", &list)
	if len(list.Items) != 1 || list.Items[0].Number != "ABC1001" || !list.Items[0].HasKey ||
		time.Duration(list.Items[0].TestInterval) != 26*time.Hour {
		t.Fatalf("imported receiver 2 account: %+v", list.Items)
	}
	if r := s.st.Resolve(2, "ABC1001", nil, now); !r.Known() {
		t.Fatal("imported account not in the resolution index")
	}
}

func TestOnTestAPI(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "S"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "4321", "site_id": site})
	base := "/api/v1/accounts/" + itoa(acct)

	var apiErr apiError
	if code := s.post(base+"/tests", map[string]any{"duration": "2h", "reason": "x"}, &apiErr); code != http.StatusBadRequest || apiErr.Field != "authorised_by" {
		t.Fatalf("no authoriser: %d %+v", code, apiErr)
	}
	if code := s.post(base+"/tests", map[string]any{"duration": "48h", "reason": "x", "authorised_by": "y"}, &apiErr); code != http.StatusBadRequest || apiErr.Field != "until" {
		t.Fatalf("over the maximum: %d %+v", code, apiErr)
	}
	var started store.OnTest
	if code := s.post(base+"/tests", map[string]any{"scope": "zones", "zones": []string{"003"}, "duration": "2h",
		"reason": "PIR swap", "authorised_by": "installer Secure Ltd"}, &started); code != http.StatusCreated ||
		!started.EndsAt.Equal(now.Add(2*time.Hour)) || started.Zones[0] != "3" {
		t.Fatalf("start: %d %+v", code, started)
	}
	var open struct {
		Items []testView `json:"items"`
	}
	if code := s.call("GET", base+"/tests?open=true", "", "", &open); code != http.StatusOK || len(open.Items) != 1 || !open.Items[0].Active {
		t.Fatalf("open tests: %d %+v", code, open)
	}
	var ended struct {
		Ended []store.OnTest `json:"ended"`
	}
	if code := s.post(base+"/tests/off", map[string]any{"by": "operator Ann"}, &ended); code != http.StatusOK || len(ended.Ended) != 1 {
		t.Fatalf("off: %d %+v", code, ended)
	}
	if code := s.post(base+"/tests/off", map[string]any{"by": "operator Ann"}, &apiErr); code != http.StatusNotFound {
		t.Fatalf("off twice: %d", code)
	}
	var evs struct {
		Items []store.StationEvent `json:"items"`
	}
	if code := s.call("GET", "/api/v1/station-events?account_id="+itoa(acct), "", "", &evs); code != http.StatusOK || len(evs.Items) != 2 ||
		evs.Items[0].Kind != store.EventTestOn || evs.Items[1].Kind != store.EventTestOff {
		t.Fatalf("transitions: %d %+v", code, evs)
	}
	var results struct {
		Signals []store.Signal `json:"signals"`
	}
	if code := s.call("GET", base+"/test-results?from=24h", "", "", &results); code != http.StatusOK || results.Signals == nil {
		t.Fatalf("test results: %d %+v", code, results)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSupervisorsKeepRecordsWithSearch: the console's record pages. A
// supervisor lists sites by a search on the server (a customer's name
// finds its sites), pages on, reads a page's customers by their ids and
// edits a site; an operator may not; station users stay with admins.
func TestSupervisorsKeepRecordsWithSearch(t *testing.T) {
	s := newStationServer(t)
	s.post("/api/v1/users", map[string]any{"username": "sue", "role": "supervisor", "password": "sue's long password"}, nil)
	s.post("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	sue, _ := s.login(t, "sue", "sue's long password")
	ann, _ := s.login(t, "ann", "ann's long password")
	acme := s.mustCreate("/api/v1/customers", map[string]any{"name": "Acme Stores"})
	other := s.mustCreate("/api/v1/customers", map[string]any{"name": "Other"})
	var ids []int64
	for i := range 3 {
		ids = append(ids, s.mustCreate("/api/v1/sites", map[string]any{"customer_id": acme, "name": fmt.Sprintf("Store %d", i+1)}))
	}
	s.mustCreate("/api/v1/sites", map[string]any{"customer_id": other, "name": "Depot"})
	type page struct {
		Items []store.Site `json:"items"`
	}
	var p page
	if code := sue.call("GET", "/api/v1/sites?q=ACME&limit=2", nil, &p, false); code != http.StatusOK || len(p.Items) != 2 || p.Items[0].ID != ids[0] {
		t.Fatalf("first page: %d %+v", code, p)
	}
	if code := sue.call("GET", fmt.Sprintf("/api/v1/sites?q=acme&limit=2&after_id=%d", p.Items[1].ID), nil, &p, false); code != http.StatusOK || len(p.Items) != 1 || p.Items[0].Name != "Store 3" {
		t.Fatalf("second page: %d %+v", code, p)
	}
	var cs struct {
		Items []store.Customer `json:"items"`
	}
	if code := sue.call("GET", fmt.Sprintf("/api/v1/customers?ids=%d,%d", other, acme), nil, &cs, false); code != http.StatusOK || len(cs.Items) != 2 || cs.Items[0].Name != "Acme Stores" {
		t.Fatalf("customers by ids: %d %+v", code, cs)
	}
	var e apiError
	for _, bad := range []string{"ids=1,x", "ids=" + strings.Repeat("1,", store.MaxListIDs) + "1", "q=" + strings.Repeat("x", store.MaxSearch+1)} {
		if code := sue.call("GET", "/api/v1/customers?"+bad, nil, &e, false); code != http.StatusBadRequest || (e.Field != "ids" && e.Field != "q") {
			t.Errorf("%.40s: %d %+v", bad, code, e)
		}
	}
	if code := sue.call("PUT", fmt.Sprintf("/api/v1/sites/%d", ids[0]), map[string]any{"customer_id": acme, "name": "Store 1", "time_zone": "Mars/Olympus"}, &e, true); code != http.StatusBadRequest || e.Field != "time_zone" {
		t.Fatalf("a bad time zone: %d %+v", code, e)
	}
	var site store.Site
	if code := sue.call("PUT", fmt.Sprintf("/api/v1/sites/%d", ids[0]), map[string]any{"customer_id": acme, "name": "Store 1 (mall)"}, &site, true); code != http.StatusOK || site.UpdatedBy != "station:sue" {
		t.Fatalf("a supervisor's edit: %d %+v", code, site)
	}
	if code := ann.call("GET", "/api/v1/sites?q=acme", nil, nil, false); code != http.StatusForbidden {
		t.Errorf("an operator listing sites: %d", code)
	}
	if code := ann.call("GET", "/api/v1/reports/response-times", nil, nil, false); code != http.StatusForbidden {
		t.Errorf("an operator reading the response times: %d", code)
	}
	if code := ann.call("GET", "/api/v1/reports/false-alarms", nil, nil, false); code != http.StatusForbidden {
		t.Errorf("an operator reading the false alarms: %d", code)
	}
	var rt store.ResponseTimes
	if code := sue.call("GET", "/api/v1/reports/response-times?from=7d", nil, &rt, false); code != http.StatusOK || rt.To.Sub(rt.From) != 7*24*time.Hour {
		t.Errorf("a supervisor reading the response times: %d %+v", code, rt)
	}
	if code := sue.call("GET", "/api/v1/users", nil, nil, false); code != http.StatusForbidden {
		t.Errorf("a supervisor listing station users: %d", code)
	}
	if code := sue.call("POST", fmt.Sprintf("/api/v1/customers/%d/identifier/regenerate", acme), nil, nil, true); code != http.StatusForbidden {
		t.Errorf("a supervisor giving a customer a new portal identifier: %d", code)
	}
}
