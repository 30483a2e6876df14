package daemon

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// TestPollsCostNoRows: DC-09 NULL polls over TCP and UDP are ACKed, check
// their account in, and leave no frame row; what is kept of them is one
// poll_evidence row per account and listener with their count, written by
// the periodic flush, and the polls answered last are written at shutdown.
func TestPollsCostNoRows(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Store.PollFlushInterval = time.Hour // only the shutdown flush writes
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var acct store.Account
	if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "4321", "site_id": site}, &acct); code != http.StatusCreated {
		t.Fatalf("account: %d", code)
	}
	// The bytes of DC-09 NULL polls without L and their ACKs, from the
	// independent script of TestNoLineFrames.
	const poll, ack = "\n1F5D0011\"NULL\"0000#4321[]\r", "\nDFD80010\"ACK\"0000#4321[]\r"
	for _, network := range []string{"tcp", "udp", "udp", "udp"} {
		p := dial(t, r, "dc09-main", network, "", "")
		f := noLineFrame("NULL", "4321", "0000", "", false)
		rep, err := p.SendRaw(context.Background(), []byte(poll), f)
		if err != nil || string(rep.Raw) != ack {
			t.Fatalf("%s poll: reply %q, %v; want %q", network, rep.Raw, err, ack)
		}
	}
	unknown := dial(t, r, "dc09-main", "udp", "", "")
	mustSend(t, unknown, noLineFrame("NULL", "7777", "0001", "", false), "ACK")

	var frames struct {
		Frames []store.Frame `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames", adminToken, &frames)
	if len(frames.Frames) != 0 {
		t.Fatalf("polls stored %d frames: %+v", len(frames.Frames), frames.Frames)
	}
	if v := counter(t, r, "alarmrx_polls_total", "listener", "dc09-main", "account", "known"); v != 4 {
		t.Fatalf("known polls counted %v, want 4", v)
	}
	if v := counter(t, r, "alarmrx_polls_total", "listener", "dc09-main", "account", "unknown"); v != 1 {
		t.Fatalf("unknown polls counted %v, want 1", v)
	}
	r.stop()

	r2 := startDaemon(t, cfg)
	var polls struct {
		Polls []store.PollEvidence `json:"polls"`
	}
	if code := apiGet(t, r2, "/api/v1/polls?account=4321", adminToken, &polls); code != http.StatusOK {
		t.Fatalf("polls: HTTP %d", code)
	}
	if len(polls.Polls) != 1 {
		t.Fatalf("poll evidence of 4321 = %+v, want one row", polls.Polls)
	}
	e := polls.Polls[0]
	if e.Polls != 4 || e.Listener != "dc09-main" || e.Raw != poll || e.AccountID == nil || *e.AccountID != acct.ID ||
		e.Transport != "udp" || e.Kind != "NULL" || e.Protocol != "dc09" {
		t.Fatalf("poll evidence of 4321 = %+v", e)
	}
	apiGet(t, r2, "/api/v1/polls?account=7777", adminToken, &polls)
	if len(polls.Polls) != 1 || polls.Polls[0].Polls != 1 || polls.Polls[0].AccountID != nil {
		t.Fatalf("poll evidence of the unknown 7777 = %+v", polls.Polls)
	}
}
