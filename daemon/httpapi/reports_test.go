package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// download fetches a report file: its status, headers and body.
func (s *stationServer) download(path string) (int, http.Header, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestStationReportsInEveryFormat: the accounts-not-heard-from, on-test,
// operator-activity and open/close reports as JSON, CSV, HTML and PDF; a
// site's openings in its own time zone; the reports' bad requests each
// name their field.
func TestStationReportsInEveryFormat(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Acme"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Store 7", "time_zone": "America/Chicago"})
	heard := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "5678", "site_id": site})
	ev := protocols.Event{Format: "SIA", Account: "1234", Code: "OP", Qualifier: protocols.QualifierNew, User: "3",
		Category: protocols.CategoryOpenClose, Known: true, Description: "Opening Report"}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Events: []protocols.Event{ev}}
	rec := store.Receipt{ReceivedAt: now.Add(-time.Hour), Receiver: 1, Status: store.StatusAccepted, Raw: []byte("#1234|NOP3"),
		Resolutions: []store.Resolution{s.st.Resolve(1, "1234", &ev, now)},
		Handling:    []store.Handling{{Mode: store.HandlingLog, Priority: 9}}}
	if _, err := s.st.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}
	if code := s.post(fmt.Sprintf("/api/v1/accounts/%d/tests", heard), map[string]any{"duration": "2h", "reason": "panel swap",
		"authorised_by": "tech Jones"}, nil); code != http.StatusCreated {
		t.Fatalf("on test: %d", code)
	}

	var silent store.SilentReport
	if code := s.call("GET", "/api/v1/reports/silent-accounts?from=7d", "", "", &silent); code != http.StatusOK ||
		len(silent.Accounts) != 1 || silent.Accounts[0].Account != "5678" || silent.Accounts[0].Site != "Store 7" {
		t.Fatalf("silent accounts: %d %+v", code, silent)
	}
	rows := s.csv("/api/v1/reports/silent-accounts?from=7d&format=csv")
	if len(rows) != 2 || rows[0][2] != "account" || rows[1][2] != "5678" || rows[1][6] != "" {
		t.Errorf("silent accounts CSV: %q", rows)
	}
	// The period starts now: a range that holds it ends after now.
	later := "to=" + now.Add(3*time.Hour).Format(time.RFC3339)
	var tests store.OnTestReport
	if code := s.call("GET", "/api/v1/reports/on-test?"+later, "", "", &tests); code != http.StatusOK || len(tests.Periods) != 1 ||
		tests.Periods[0].Reason != "panel swap" || tests.Periods[0].Account != "1234" {
		t.Fatalf("on-test: %d %+v", code, tests)
	}
	var ops store.OperatorActivityReport
	if code := s.call("GET", "/api/v1/reports/operator-activity", "", "", &ops); code != http.StatusOK || ops.Operators == nil {
		t.Fatalf("operator activity: %d %+v", code, ops)
	}

	path := fmt.Sprintf("/api/v1/reports/open-close?site_id=%d", site)
	var oc store.OpenCloseReport
	if code := s.call("GET", path, "", "", &oc); code != http.StatusOK || len(oc.Events) != 1 || oc.Events[0].What != "Opened by user 3" {
		t.Fatalf("open/close: %d %+v", code, oc)
	}
	rows = s.csv(path + "&format=csv")
	if len(rows) != 2 || rows[1][1] != now.Add(-time.Hour).Format(time.RFC3339) || rows[1][6] != "Opened by user 3" {
		t.Errorf("open/close CSV: %q", rows)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	local := now.Add(-time.Hour).In(chicago).Format("2006-01-02 15:04")
	code, h, body := s.download(path + "&format=html")
	if code != http.StatusOK || h.Get("Content-Type") != "text/html; charset=utf-8" ||
		h.Get("Content-Disposition") != `attachment; filename="open-close-`+now.Format("2006-01-02")+`.html"` {
		t.Fatalf("open/close HTML: %d %v %s", code, h, body)
	}
	for _, want := range []string{"<h1>Openings and closings – Store 7</h1>", "<td>" + local + "</td>", "<td>Opened by user 3</td>", "(America/Chicago)"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("open/close HTML lacks %q:\n%s", want, body)
		}
	}
	code, h, body = s.download("/api/v1/reports/on-test?format=pdf&tz=Europe/Berlin&" + later)
	if code != http.StatusOK || h.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("on-test PDF: %d %v %.20q", code, h, body)
	}
	if text := pdfText(t, body); text != "" {
		berlin, _ := time.LoadLocation("Europe/Berlin")
		for _, want := range []string{"On-test history", "panel swap", "tech Jones", now.In(berlin).Format("2006-01-02 15:04")} {
			if !strings.Contains(text, want) {
				t.Errorf("on-test PDF lacks %q:\n%s", want, text)
			}
		}
	}

	var e apiError
	for q, field := range map[string]string{
		"/api/v1/reports/open-close":                     "site_id",
		"/api/v1/reports/open-close?site_id=x":           "site_id",
		"/api/v1/reports/on-test?tz=Mars/Olympus":        "tz",
		"/api/v1/reports/on-test?format=xls":             "format",
		"/api/v1/reports/operator-activity?from=tuesday": "from",
	} {
		if code := s.call("GET", q, "", "", &e); code != http.StatusBadRequest || e.Field != field {
			t.Errorf("%s: %d %+v, want 400 naming %s", q, code, e, field)
		}
	}
	if code := s.call("GET", "/api/v1/reports/open-close?site_id=999&format=pdf", "", "", &e); code != http.StatusNotFound {
		t.Errorf("an unknown site's PDF: %d %+v", code, e)
	}
}

// pdfText reads a PDF's text with poppler's pdftotext; "" when it is not
// installed and not required (ALARMRX_PDF_TESTS).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("ALARMRX_PDF_TESTS") == "required" {
			t.Fatal("pdftotext (poppler-utils) is required")
		}
		return ""
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	return string(out)
}

// TestIncidentShareLink: a share token opens its incident without a
// log-in, with the operators' steps in words and the video links in the
// site's time, and nothing a stranger should not see; a changed token is
// refused, an expired one is gone.
func TestIncidentShareLink(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Acme"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Store 7", "time_zone": "America/Chicago"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	ev := protocols.Event{Format: "SIA", Account: "1234", Code: "BA", Zone: "017", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryBurglary, Known: true, Description: "Burglary Alarm",
		Modifiers: []protocols.Modifier{{Name: "media_clip", Value: "https://video.example/clip/9"}}}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Events: []protocols.Event{ev}}
	rec := store.Receipt{ReceivedAt: now, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("#1234|NBA017 secret-frame"),
		Resolutions: []store.Resolution{s.st.Resolve(1, "1234", &ev, now)},
		Handling:    []store.Handling{{Mode: store.HandlingQueue, Priority: 4}}}
	if _, err := s.st.Commit(context.Background(), msg, rec); err != nil {
		t.Fatal(err)
	}
	q, _, err := s.st.Queue(context.Background(), now)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue: %v %v", q, err)
	}
	rules := store.QueueRules{ClaimTimeout: time.Hour}
	for _, step := range []store.Step{{Action: "claim"}, {Action: "dispatched", Contact: "Springfield PD", CaseNumber: "P-42"}} {
		if _, err := s.st.Act(context.Background(), q[0].ID, store.Actor{Name: "ann"}, step, rules); err != nil {
			t.Fatal(err)
		}
	}
	token, err := s.st.ShareToken(context.Background(), q[0].ID, now.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	get := func(tok string) (int, string) {
		resp, err := http.Get(s.url + "/portal/share?token=" + tok) // no log-in, no token header
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP %q", csp)
		}
		return resp.StatusCode, string(b)
	}
	code, body := get(token)
	chicago, _ := time.LoadLocation("America/Chicago")
	for _, want := range []string{"<h1>Burglary Alarm — zone 017</h1>", "Store 7", "ann dispatched Springfield PD (case P-42)",
		`<a class="media" href="https://video.example/clip/9"`, now.In(chicago).Format("2006-01-02 15:04:05 MST"), "017"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("shared page (%d) lacks %q:\n%s", code, want, body)
		}
	}
	if strings.Contains(body, "secret-frame") || strings.Contains(body, "<script") {
		t.Error("the shared page shows the raw frame or runs a script")
	}
	tampered := strings.Replace(token, token[:2], "MT", 1)
	if code, body := get(tampered); code != http.StatusBadRequest || !strings.Contains(body, "not valid") {
		t.Errorf("a changed token: %d %s", code, body)
	}
	old, err := s.st.ShareToken(context.Background(), q[0].ID, now.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(old); code != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("an expired token: %d %s", code, body)
	}
}
