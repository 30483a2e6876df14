package daemon

import (
	"net/http"
	"testing"
	"time"
)

// TestStorageFailureStopsAcknowledgingAndRecovers: with the disk refusing
// writes (an injected SQLITE_FULL) DC-09 frames get NAK, readiness turns
// 503 and alarmrx_store_up 0; once writes succeed again everything comes
// back by itself and the panel's resend is stored once.
func TestStorageFailureStopsAcknowledgingAndRecovers(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-main", "tcp", "", "")
	r.d.store.InjectFault(func() error { return errStoreDown })
	mustSend(t, p, frame("SIA-DCS", "4444", "0001", "#4444|Nri1/BA001", false), "NAK")
	if code := apiGet(t, r, "/-/ready", "", nil); code != http.StatusServiceUnavailable {
		t.Fatalf("ready while failing: %d", code)
	}
	if v := gauge(t, r, "alarmrx_store_up"); v != 0 {
		t.Fatalf("alarmrx_store_up %v", v)
	}
	r.d.store.InjectFault(nil)
	// The panel resends; the store takes it; everything is green again.
	waitFor(t, 5*time.Second, func() bool {
		rep, err := p.Send(t.Context(), frame("SIA-DCS", "4444", "0001", "#4444|Nri1/BA001", false))
		return err == nil && rep.Token == "ACK"
	})
	if code := apiGet(t, r, "/-/ready", "", nil); code != http.StatusOK {
		t.Fatalf("ready after recovery: %d", code)
	}
	if v := gauge(t, r, "alarmrx_store_up"); v != 1 {
		t.Fatalf("alarmrx_store_up %v after recovery", v)
	}
	if got := signals(t, r, "account=4444"); len(got) != 1 {
		t.Fatalf("stored %d, want 1", len(got))
	}
}
