package httpapi

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// TestHistorySearchAndCSV: the history's filters over the API. A code
// alone is refused naming it; within an account it finds the signal, zone
// 17 finds the panel's 017, and the CSV keeps a panel's text that starts
// with = from being read as a formula. Incidents are found by a customer
// above the site, and downloaded as CSV.
func TestHistorySearchAndCSV(t *testing.T) {
	s := newStationServer(t)
	hq := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	store7 := s.mustCreate("/api/v1/customers", map[string]any{"name": "Store 7", "parent_id": hq})
	other := s.mustCreate("/api/v1/customers", map[string]any{"name": "Other"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": store7, "name": "Store 7 Main St"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	ev := protocols.Event{Format: "SIA", Account: "1234", Code: "BA", Zone: "017", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryBurglary, Known: true, Description: "Burglary Alarm", Text: "=HYPERLINK(\"http://x\")"}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Events: []protocols.Event{ev}}
	rec := store.Receipt{ReceivedAt: now, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("#1234|NBA017"),
		Resolutions: []store.Resolution{s.st.Resolve(1, "1234", &ev, now)},
		Handling:    []store.Handling{{Mode: store.HandlingQueue, Priority: 4}}}
	if _, err := s.st.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}

	var e apiError
	if code := s.call("GET", "/api/v1/signals?code=BA", "", "", &e); code != http.StatusBadRequest || e.Field != "code" {
		t.Fatalf("a code alone: %d %+v", code, e)
	}
	if code := s.call("GET", "/api/v1/signals?account=1234&category=nonsense", "", "", &e); code != http.StatusBadRequest || e.Field != "category" {
		t.Fatalf("an unknown category: %d %+v", code, e)
	}
	var got struct {
		Signals []store.Signal `json:"signals"`
	}
	for _, q := range []string{"account=1234&code=ba", "account=1234&zone=17", fmt.Sprintf("site_id=%d&q=burglary&category=burglary", site)} {
		if code := s.call("GET", "/api/v1/signals?"+q, "", "", &got); code != http.StatusOK || len(got.Signals) != 1 {
			t.Errorf("%s: %d %+v", q, code, got)
		}
	}
	if code := s.call("GET", "/api/v1/signals?account=1234&code=FA", "", "", &got); code != http.StatusOK || len(got.Signals) != 0 {
		t.Errorf("another code: %d %+v", code, got)
	}
	// A customer's signals are its sites' and those below it.
	for _, c := range []struct {
		q    string
		want int
	}{{fmt.Sprintf("customer_id=%d&code=BA&since=1h", hq), 1}, {fmt.Sprintf("customer_id=%d", store7), 1}, {fmt.Sprintf("customer_id=%d", other), 0}} {
		if code := s.call("GET", "/api/v1/signals?"+c.q, "", "", &got); code != http.StatusOK || len(got.Signals) != c.want {
			t.Errorf("%s: %d, %d signals, want %d", c.q, code, len(got.Signals), c.want)
		}
	}
	if code := s.call("GET", "/api/v1/signals?customer_id=x", "", "", &e); code != http.StatusBadRequest || e.Field != "customer_id" {
		t.Errorf("a bad customer_id: %d %+v", code, e)
	}
	if code := s.call("GET", fmt.Sprintf("/api/v1/signals?customer_id=%d&code=BA", hq), "", "", &e); code != http.StatusBadRequest || e.Field != "since" {
		t.Errorf("a customer's code without since: %d %+v", code, e)
	}
	rows := s.csv("/api/v1/signals?account=1234&order=desc&format=csv")
	if len(rows) != 2 || rows[0][5] != "code" || rows[1][5] != "BA" || rows[1][7] != "017" || rows[1][14] != `'=HYPERLINK("http://x")` {
		t.Fatalf("signals CSV: %q", rows)
	}

	var inc struct {
		Items []store.Incident `json:"items"`
	}
	if code := s.call("GET", fmt.Sprintf("/api/v1/incidents?customer_id=%d", hq), "", "", &inc); code != http.StatusOK || len(inc.Items) != 1 {
		t.Fatalf("the HQ's incidents: %d %+v", code, inc)
	}
	if code := s.call("GET", fmt.Sprintf("/api/v1/incidents?customer_id=%d", other), "", "", &inc); code != http.StatusOK || len(inc.Items) != 0 {
		t.Fatalf("another customer's incidents: %d %+v", code, inc)
	}
	if code := s.call("GET", "/api/v1/incidents?priority=10", "", "", &e); code != http.StatusBadRequest || e.Field != "priority" {
		t.Fatalf("priority 10: %d %+v", code, e)
	}
	rows = s.csv(fmt.Sprintf("/api/v1/incidents?customer_id=%d&q=1234&format=csv", hq))
	if len(rows) != 2 || rows[0][0] != "id" || rows[1][7] != "1234" || rows[1][8] != "Store 7 Main St" || rows[1][9] != "open" {
		t.Fatalf("incidents CSV: %q", rows)
	}
}

// csv reads a CSV answer, checking it is one.
func (s *stationServer) csv(path string) [][]string {
	s.t.Helper()
	code, h, b := s.download(path)
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		s.t.Fatalf("%s: %d %v %s", path, code, h, b)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		s.t.Fatal(err)
	}
	return rows
}
