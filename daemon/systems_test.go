package daemon

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// TestEverySystemTypeClassifiesItsGenericAlarm sends, over DC-09 TCP, a
// SIA BA and a Contact ID 130 from an account of every system type and
// reads back what was stored: the category the system gives a generic
// alarm, its priority, a code rule (CID 130 at 2) overriding it, fire at
// 1 whatever the rule, and the incident at the best of its signals.
func TestEverySystemTypeClassifiesItsGenericAlarm(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Queue.Codes = []configs.CodeRule{{Format: "CID", Code: "130", Priority: 2}, {Format: "SIA", Code: "FA", Priority: 5}}
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	for i, sys := range store.SystemTypes {
		number := fmt.Sprint(3000 + i)
		var acct store.Account
		if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": number, "site_id": site, "system_type": sys}, &acct); code != http.StatusCreated {
			t.Fatalf("%s account: %d", sys, code)
		}
		mustSend(t, p, frame("SIA-DCS", number, "0001", "#"+number+"|Nri1/BA001", false), "ACK")
		mustSend(t, p, frame("ADM-CID", number, "0002", "#"+number+"|1130 01 002", false), "ACK")
		mustSend(t, p, frame("SIA-DCS", number, "0003", "#"+number+"|Nri1/FA003", false), "ACK")
		cat := store.SystemCategory(sys, protocols.CategoryBurglary)
		p130 := 2
		if cat == protocols.CategoryFire {
			p130 = 1
		}
		got := signals(t, r, "account_id="+itoa(acct.ID))
		if len(got) != 3 {
			t.Fatalf("%s: %d signals", sys, len(got))
		}
		for j, want := range []struct {
			category string
			priority int
		}{{cat.String(), cat.DefaultPriority()}, {cat.String(), p130}, {"fire", 1}} {
			if got[j]["category"] != want.category || got[j]["priority"] != float64(want.priority) {
				t.Errorf("%s signal %s: %v priority %v, want %s priority %d", sys, got[j]["event_code"], got[j]["category"],
					got[j]["priority"], want.category, want.priority)
			}
		}
		incs, err := r.d.Store().Incidents(t.Context(), store.IncidentFilter{AccountID: acct.ID})
		if err != nil || len(incs) != 1 || incs[0].Priority != 1 {
			t.Errorf("%s incidents: %v %+v", sys, err, incs)
		}
	}
}
