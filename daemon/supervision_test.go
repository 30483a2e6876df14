package daemon

import (
	"net/http"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

func codes(t *testing.T, r *running, query string) []string {
	t.Helper()
	var out []string
	for _, s := range signals(t, r, query) {
		out = append(out, s["event_code"].(string))
	}
	return out
}

// TestSupervisionOfSilentPanels: an account with a 2 s check-in interval
// that falls silent gets one YS (queued as trouble), and after a restart
// the next valid message a YK, through the whole daemon and its store.
// That refused frames do not check in, and that a failure survives a
// restart without a second YS, are the receiver's and the supervision
// service's unit tests (TestOnlyStoredFramesCheckIn,
// TestServiceKeepsAFailureAcrossARestart), where time is the test's.
func TestSupervisionOfSilentPanels(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Supervision.Grace = 0
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var acct store.Account
	if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site,
		"supervision_interval": "2s"}, &acct); code != http.StatusCreated {
		t.Fatalf("account: %d", code)
	}
	p := dial(t, r, "dc09-main", "tcp", hexKey, "hex")
	mustSend(t, p, frame("NULL", "1234", "0001", "", true), "ACK")
	q := "account_id=" + itoa(acct.ID)
	waitFor(t, 8*time.Second, func() bool { return len(codes(t, r, q)) == 1 })
	if got := codes(t, r, q); got[0] != "YS" {
		t.Fatalf("signals %v, want YS", got)
	}
	var queue queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &queue)
	if len(queue.Queue) != 1 || queue.Queue[0].Priority != 6 {
		t.Fatalf("queue %+v", queue.Queue)
	}
	// A frame that does not authenticate is answered NAK and stored as
	// rejected only: it is no signal of the account (the YS, RP, YK below
	// would show a restore it raised).
	bad := dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
	mustSend(t, bad, frame("NULL", "1234", "0002", "", true), "NAK")
	if v := counter(t, r, "alarmrx_supervision_failures_total", "kind", "checkin"); v != 1 {
		t.Fatalf("failures %v", v)
	}

	// Restart while failed: the failure was saved, and the next message
	// after the restart restores it.
	r.stop()
	r2 := startDaemon(t, cfg)
	p2 := dial(t, r2, "dc09-main", "tcp", hexKey, "hex")
	mustSend(t, p2, frame("SIA-DCS", "1234", "0003", "#1234|NRP", true), "ACK")
	waitFor(t, 5*time.Second, func() bool { return len(codes(t, r2, q)) == 3 })
	if got := codes(t, r2, q); got[1] != "RP" || got[2] != "YK" {
		t.Fatalf("signals %v, want YS RP YK", got)
	}
	apiGet(t, r2, "/api/v1/queue", adminToken, &queue)
	if len(queue.Queue) != 1 || !queue.Queue[0].Restored {
		t.Fatalf("queue after restore %+v", queue.Queue)
	}
}
