package daemon

import (
	"net/http"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestEncryptionAuthenticates: an account with a key accepts encrypted
// frames only, and one account's key cannot speak for another.
func TestEncryptionAuthenticates(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	site := newSite(t, r)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "2001", "site_id": site}, nil)

	t.Run("a plain frame for an account with a key gets DUH, is kept and raises one trouble an hour", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", "", "")
		mustSend(t, p, frame("SIA-DCS", "1234", "0001", "#1234|Nri1/BA001", false), "DUH")
		mustSend(t, p, frame("NULL", "1234", "0002", "", false), "DUH") // a forged poll too
		mustSend(t, p, frame("SIA-DCS", "5678", "0003", "#5678|Nri1/BA001", false), "DUH")
		if got := signals(t, r, "account=1234"); len(got) != 0 {
			t.Fatalf("plain frames for 1234 stored as %d signals", len(got))
		}
		var out struct {
			Frames []store.Frame `json:"frames"`
		}
		apiGet(t, r, "/api/v1/frames?status=rejected&account=1234", adminToken, &out)
		if len(out.Frames) != 2 || out.Frames[0].Reason != "unencrypted" {
			t.Fatalf("rejected frames of 1234 = %+v", out.Frames)
		}
		if v := counter(t, r, "alarmrx_frames_rejected_total", "listener", "dc09-main", "reason", "unencrypted"); v != 3 {
			t.Fatalf("rejected{reason=unencrypted} = %v, want 3", v)
		}
		var evs struct {
			Items []store.StationEvent `json:"items"`
		}
		apiGet(t, r, "/api/v1/station-events?kind=unencrypted", adminToken, &evs)
		if len(evs.Items) != 2 {
			t.Fatalf("%d unencrypted station events, want one per account (1234, 5678): %+v", len(evs.Items), evs.Items)
		}
		var q struct {
			Incidents []store.Incident `json:"queue"`
		}
		if code := apiGet(t, r, "/api/v1/queue", adminToken, &q); code != http.StatusOK {
			t.Fatalf("queue: %d", code)
		}
		troubles := 0
		for _, in := range q.Incidents {
			if in.Kind == store.IncidentUnencrypted {
				troubles++
				if in.Priority != 6 {
					t.Errorf("trouble incident priority %d, want 6", in.Priority)
				}
			}
		}
		if troubles != 2 {
			t.Fatalf("%d unencrypted trouble incidents, want 2: %+v", troubles, q.Incidents)
		}
	})

	t.Run("an encrypted frame naming another account is refused", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", hexKey, "hex") // 1234's key
		mustSend(t, p, frame("SIA-DCS", "1234", "0004", "#2001|Nri1/BA001", true), "NAK")
		if got := signals(t, r, "account=2001"); len(got) != 0 {
			t.Fatalf("account 2001 got %d signals through 1234's key", len(got))
		}
		if v := counter(t, r, "alarmrx_frames_rejected_total", "listener", "dc09-main", "reason", "account_mismatch"); v != 1 {
			t.Fatalf("rejected{reason=account_mismatch} = %v, want 1", v)
		}
		// Its own account, leading zeros aside, is fine.
		mustSend(t, p, frame("SIA-DCS", "1234", "0005", "#001234|Nri1/BA002", true), "ACK")
	})
}
