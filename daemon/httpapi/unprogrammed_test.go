package httpapi

import (
	"net/http"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestUnprogrammedZonesListAndAdd: zones that signal without a zone
// record are listed for the account (and on its incident) with first and
// last signal and count; adding one through the API takes it off.
func TestUnprogrammedZonesListAndAdd(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	s.mustCreate("/api/v1/zones", map[string]any{"account_id": acct, "number": "1", "description": "Front door"})
	for _, zone := range []string{"001", "023", "23", "023", "4"} {
		s.alarm(t, zone)
	}
	type list struct {
		AccountID int64                    `json:"account_id"`
		Items     []store.UnprogrammedZone `json:"items"`
	}
	var got list
	if code := s.call("GET", "/api/v1/accounts/"+itoa(acct)+"/unprogrammed-zones", "", "", &got); code != http.StatusOK ||
		got.AccountID != acct || len(got.Items) != 2 || got.Items[0].Zone != "4" || got.Items[0].Signals != 1 ||
		got.Items[1].Zone != "23" || got.Items[1].Signals != 3 || !got.Items[1].FirstSignalAt.Equal(now) || !got.Items[1].LastSignalAt.Equal(now) {
		t.Fatalf("unprogrammed zones: %d %+v", code, got)
	}
	incs, _ := s.st.Incidents(t.Context(), store.IncidentFilter{})
	var d incidentDetail
	if code := s.call("GET", "/api/v1/incidents/"+itoa(incs[0].ID), "", "", &d); code != http.StatusOK || len(d.UnprogrammedZones) != 2 ||
		len(d.Zones) != 1 {
		t.Fatalf("incident page: %d zones %+v unprogrammed %+v", code, d.Zones, d.UnprogrammedZones)
	}
	// The console's "add zone": the number as listed.
	s.mustCreate("/api/v1/zones", map[string]any{"account_id": acct, "number": got.Items[1].Zone, "description": "Stock room PIR"})
	if code := s.call("GET", "/api/v1/accounts/"+itoa(acct)+"/unprogrammed-zones", "", "", &got); code != http.StatusOK ||
		len(got.Items) != 1 || got.Items[0].Zone != "4" {
		t.Fatalf("after adding zone 23: %d %+v", code, got)
	}
	s.alarm(t, "023")
	if code := s.call("GET", "/api/v1/accounts/"+itoa(acct)+"/unprogrammed-zones", "", "", &got); code != http.StatusOK || len(got.Items) != 1 {
		t.Fatalf("zone 23 signalling again: %d %+v", code, got)
	}
	if code := s.call("GET", "/api/v1/accounts/999/unprogrammed-zones", "", "", nil); code != http.StatusNotFound {
		t.Fatalf("no such account: %d", code)
	}
}
