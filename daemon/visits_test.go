package daemon

import (
	"net/http"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// TestVisitPutsSignalsOnTestUntilItsWindowEnds: a technician's visit,
// started, makes the signals of its system test results that never reach
// the queue; when its window runs out the daemon's on-test sweep ends it
// and the system's signals are live again.
func TestVisitPutsSignalsOnTestUntilItsWindowEnds(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.OnTest.CheckEvery = 100 * time.Millisecond
	clk := newTestClock()
	r := startDaemonAt(t, cfg, clk)
	var inst, site, acct, tech struct {
		ID int64 `json:"id"`
	}
	apiPost(t, r, "/api/v1/installers", map[string]any{"name": "Secure Ltd"}, &inst)
	var cust struct {
		ID int64 `json:"id"`
	}
	apiPost(t, r, "/api/v1/customers", map[string]any{"name": "Acme"}, &cust)
	apiPost(t, r, "/api/v1/sites", map[string]any{"customer_id": cust.ID, "name": "Acme yard", "installer_id": inst.ID}, &site)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": site.ID}, &acct)
	if code := apiPost(t, r, "/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("installer", inst.ID), "kind": "technician",
		"username": "tom", "password": "tom's long password"}, &tech); code != http.StatusCreated {
		t.Fatalf("technician: %d", code)
	}
	var v store.Visit
	if code := apiPost(t, r, "/api/v1/visits", map[string]any{"site_id": site.ID, "account_ids": []int64{acct.ID}, "technician_user_id": tech.ID,
		"until": clk.Now().Add(3 * time.Second), "purpose": "repair"}, &v); code != http.StatusCreated {
		t.Fatalf("visit: %d %+v", code, v)
	}
	if code := apiPost(t, r, "/api/v1/visits/"+itoa(v.ID)+"/start", nil, &v); code != http.StatusOK || v.Status != store.VisitOpen {
		t.Fatalf("start: %d %+v", code, v)
	}
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "1111", "0001", "#1111|Nri1/BA012", false), "ACK")
	got := signals(t, r, "account_id="+itoa(acct.ID))
	if len(got) != 1 || got[0]["test"] != true || got[0]["on_test_id"] != float64(*v.Systems[0].OnTestID) {
		t.Fatalf("signal during the visit: %v", got)
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 0 {
		t.Fatalf("a test result reached the queue: %+v", q.Queue)
	}

	// The window runs out; the next on-test sweep ends the visit.
	clk.Advance(3 * time.Second)
	waitFor(t, 10*time.Second, func() bool {
		apiGet(t, r, "/api/v1/visits/"+itoa(v.ID), adminToken, &v)
		return v.Status == store.VisitEnded
	})
	if v.EndReason != store.EndExpired {
		t.Fatalf("ended %+v", v)
	}
	mustSend(t, p, frame("SIA-DCS", "1111", "0002", "#1111|Nri1/BA013", false), "ACK")
	got = signals(t, r, "account_id="+itoa(acct.ID))
	if len(got) != 2 || got[1]["test"] != false {
		t.Fatalf("signal after the visit: %v", got)
	}
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 {
		t.Fatalf("queue after the visit: %+v", q.Queue)
	}
}
