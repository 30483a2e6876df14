package daemon

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
	dto "github.com/prometheus/client_model/go"
)

func apiPost(t *testing.T, r *running, path string, body any, into any) int {
	t.Helper()
	return apiSend(t, r, http.MethodPost, path, body, into)
}

// newSite creates a customer and a site through the API.
func newSite(t *testing.T, r *running) int64 {
	t.Helper()
	var c, s struct {
		ID int64 `json:"id"`
	}
	if code := apiPost(t, r, "/api/v1/customers", map[string]any{"name": "Acme"}, &c); code != http.StatusCreated {
		t.Fatalf("customer: %d", code)
	}
	if code := apiPost(t, r, "/api/v1/sites", map[string]any{"customer_id": c.ID, "name": "Acme yard"}, &s); code != http.StatusCreated {
		t.Fatalf("site: %d", code)
	}
	return s.ID
}

func counter(t *testing.T, r *running, name string, labels ...string) float64 {
	t.Helper()
	return sample(t, r, name, labels...).GetCounter().GetValue()
}

// sample is the first series of the named metric with the given label
// pairs.
func sample(t *testing.T, r *running, name string, labels ...string) *dto.Metric {
	t.Helper()
	mfs, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == labels[i] && lp.GetValue() == labels[i+1])
				}
				if !found {
					continue next
				}
			}
			return m
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return nil
}

// TestUnknownAccountThenClaim: signals from an account nobody added are
// stored and ACKed, raise one unknown-account event, and are attached to
// the account once it is added, on a receiver with prefix ABC.
func TestUnknownAccountThenClaim(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-cloud", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "4321", "0001", "#4321|Nri1/BA017", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "4321", "0002", "#4321|Nri1/BR017", false), "ACK")

	got := signals(t, r, "account=ABC4321")
	if len(got) != 2 || got[0]["resolution"] != "unknown" || got[0]["account_id"] != nil {
		t.Fatalf("unknown signals: %v", got)
	}
	var evs struct {
		Items []store.StationEvent `json:"items"`
	}
	apiGet(t, r, "/api/v1/station-events?kind=unknown_account", adminToken, &evs)
	if len(evs.Items) != 1 || evs.Items[0].Account != "ABC4321" || evs.Items[0].Receiver != 2 {
		t.Fatalf("unknown-account events: %+v (want exactly one for two signals)", evs.Items)
	}
	if v := counter(t, r, "alarmrx_unknown_account_events_total", "listener", "dc09-cloud"); v != 1 {
		t.Fatalf("alarmrx_unknown_account_events_total = %v", v)
	}

	// Added under its bare number: the receiver prefix makes it ABC4321.
	site := newSite(t, r)
	var acct store.Account
	if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 2, "number": "4321", "site_id": site}, &acct); code != http.StatusCreated {
		t.Fatalf("account: %d", code)
	}
	var zone struct{ ID int64 }
	apiPost(t, r, "/api/v1/zones", map[string]any{"account_id": acct.ID, "number": "17", "description": "Front door"}, &zone)
	var claim struct {
		Claimed int64 `json:"claimed"`
	}
	if code := apiPost(t, r, "/api/v1/accounts/"+itoa(acct.ID)+"/claim-signals?since=1h", nil, &claim); code != http.StatusOK || claim.Claimed != 2 {
		t.Fatalf("claim: %d %+v", code, claim)
	}
	got = signals(t, r, "account_id="+itoa(acct.ID))
	if len(got) != 2 || got[0]["resolution"] != "claimed" || got[0]["site_id"] != float64(site) || got[0]["zone_description"] != "Front door" {
		t.Fatalf("claimed signals: %v", got)
	}

	// From now on the account resolves at receipt, with its zone.
	mustSend(t, p, frame("SIA-DCS", "4321", "0003", "#4321|Nri1/BA017", false), "ACK")
	got = signals(t, r, "account_id="+itoa(acct.ID)+"&resolution=resolved")
	if len(got) != 1 || got[0]["zone_description"] != "Front door" || got[0]["category"] != "burglary" || got[0]["priority"] != 4.0 {
		t.Fatalf("resolved signal: %v", got)
	}
	if v := counter(t, r, "alarmrx_signals_resolved_total", "listener", "dc09-cloud", "result", "resolved"); v != 1 {
		t.Fatalf("resolved counter = %v", v)
	}
}

// TestStoredKeyComesBeforeListenerKey: the account's own key from the store
// decrypts its frames; the listener key for the same account no longer does.
func TestStoredKeyComesBeforeListenerKey(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	site := newSite(t, r)
	var acct store.Account
	if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site,
		"dc09_key": hexKey256, "dc09_key_format": "hex"}, &acct); code != http.StatusCreated {
		t.Fatalf("account: %d", code)
	}
	p := dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
	mustSend(t, p, frame("SIA-DCS", "1234", "0001", "#1234|Nri1/BA001", true), "ACK")
	old := dial(t, r, "dc09-main", "tcp", hexKey, "hex") // the listener's key for 1234
	mustSend(t, old, frame("SIA-DCS", "1234", "0002", "#1234|Nri1/BA001", true), "NAK")
	// A new account with a key on the prefixed receiver: looked up with the
	// prefix applied, as the signal is.
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 2, "number": "777", "site_id": site, "dc09_key": hexKey, "dc09_key_format": "hex"}, nil)
	c := dial(t, r, "dc09-cloud", "tcp", hexKey, "hex")
	mustSend(t, c, frame("SIA-DCS", "777", "0001", "#777|Nri1/FA003", true), "ACK")
	if got := signals(t, r, "account=ABC777&resolution=resolved"); len(got) != 1 {
		t.Fatalf("cloud signal: %v", got)
	}
}

// TestOnTestSignalsAreFlagged: signals in an on-test scope are stored and
// ACKed, flagged as test and listed as test results; others stay live.
func TestOnTestSignalsAreFlagged(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	site := newSite(t, r)
	var acct store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site}, &acct)
	if code := apiPost(t, r, "/api/v1/accounts/"+itoa(acct.ID)+"/tests", map[string]any{"scope": "zones", "zones": []string{"12"},
		"duration": "1h", "reason": "walk test", "authorised_by": "tech Tom"}, nil); code != http.StatusCreated {
		t.Fatalf("on test: %d", code)
	}
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "1111", "0001", "#1111|Nri1/BA012", false), "ACK")
	mustSend(t, p, frame("SIA-DCS", "1111", "0002", "#1111|Nri1/BA013", false), "ACK")
	got := signals(t, r, "account_id="+itoa(acct.ID))
	if len(got) != 2 || got[0]["test"] != true || got[1]["test"] != false {
		t.Fatalf("signals: %v", got)
	}
	var res struct {
		Signals []store.Signal `json:"signals"`
	}
	apiGet(t, r, "/api/v1/accounts/"+itoa(acct.ID)+"/test-results?from=1h", adminToken, &res)
	if len(res.Signals) != 1 || res.Signals[0].Zone != "012" {
		t.Fatalf("test results: %+v", res.Signals)
	}
	if v := counter(t, r, "alarmrx_signals_resolved_total", "listener", "dc09-main", "result", "test"); v != 1 {
		t.Fatalf("test counter = %v", v)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// queueView is the queue as the API returns it.
type queueView struct {
	Queue []store.Incident `json:"queue"`
}

// TestQueueFromSignals drives the queue with DC-09 frames: alarms group per
// account and raise priority, openings are logged only, on-test signals
// never queue, a runaway zone raises one runaway incident and its repeats
// are stored and auto-logged.
func TestQueueFromSignals(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Queue.Runaway.MaxSignals = 5
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var a, b store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site}, &a)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "2222", "site_id": site}, &b)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	seq := 0
	send := func(account, data string) {
		t.Helper()
		seq++
		mustSend(t, p, frame("SIA-DCS", account, fmt.Sprintf("%04d", seq), "#"+account+"|"+data, false), "ACK")
	}
	send("1111", "Nri1/BA012")
	send("1111", "Nri1/FA003") // fire: raises the incident to 1
	send("1111", "Nri1/BR012") // restore: attached
	send("1111", "Nri1/OP001") // opening: logged only
	send("2222", "Nri1/OP001")

	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Priority != 1 || q.Queue[0].SignalCount != 3 || !q.Queue[0].Restored {
		t.Fatalf("queue after 1111's alarms: %+v", q.Queue)
	}

	// 2222 on test: its burglary is stored and ACKed, never queued.
	apiPost(t, r, "/api/v1/accounts/"+itoa(b.ID)+"/tests", map[string]any{"duration": "1h", "reason": "service", "authorised_by": "tech"}, nil)
	send("2222", "Nri1/BA001")
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 {
		t.Fatalf("an on-test signal reached the queue: %+v", q.Queue)
	}
	if got := signals(t, r, "account_id="+itoa(b.ID)); len(got) != 2 || got[1]["handling"] != "test" || got[0]["handling"] != "logged" {
		t.Fatalf("2222 signals: %v", got)
	}

	// A swinging zone on 1111: 5 within the window are alarms joining the
	// open incident; the 6th trips the runaway; the rest are repeats.
	for range 9 {
		send("1111", "Nri1/BA044")
	}
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Kind != store.IncidentRunaway || q.Queue[0].SignalCount != 3+9 {
		t.Fatalf("queue after the runaway: %+v", q.Queue)
	}
	got := signals(t, r, "account_id="+itoa(a.ID)+"&limit=100")
	var handling []string
	for _, s := range got[len(got)-9:] {
		handling = append(handling, s["handling"].(string))
	}
	want := "queued queued queued queued queued queued repeat repeat repeat"
	if strings.Join(handling, " ") != want {
		t.Fatalf("runaway handling %q, want %q", strings.Join(handling, " "), want)
	}
	if v := counter(t, r, "alarmrx_runaways_total"); v != 1 {
		t.Fatalf("alarmrx_runaways_total = %v", v)
	}
	// Every incident change was published; the latency histogram saw them.
	mfs, _ := r.d.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "alarmrx_queue_visible_seconds" {
			if n := mf.GetMetric()[0].GetHistogram().GetSampleCount(); n < 12 {
				t.Fatalf("alarmrx_queue_visible_seconds count %d, want ≥ 12", n)
			}
			return
		}
	}
	t.Fatal("no alarmrx_queue_visible_seconds")
}
