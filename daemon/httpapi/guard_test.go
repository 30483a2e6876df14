package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestGuardIsSentLikeAnyAuthority: a guard or patrol company is an
// authority of its own kind (and a call-list role); the operator finds it
// in the incident and dispatches it, and the dispatch is logged as any
// other.
func TestGuardIsSentLikeAnyAuthority(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Depot"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	s.mustCreate("/api/v1/authorities", map[string]any{"site_id": site, "kind": "police", "name": "City Police"})
	guard := s.mustCreate("/api/v1/authorities", map[string]any{"site_id": site, "kind": "guard", "name": "Acme Patrol",
		"phones": []string{"+44 20 7946 0999"}})
	s.mustCreate("/api/v1/responding-parties", map[string]any{"site_id": site, "position": 2, "name": "Night Watch Ltd",
		"role": store.RoleGuard})
	var apiErr apiError
	if code := s.post("/api/v1/authorities", map[string]any{"site_id": site, "kind": "army", "name": "No"}, &apiErr); code != http.StatusBadRequest ||
		apiErr.Field != "kind" || !strings.Contains(apiErr.Error, "guard") {
		t.Fatalf("unknown kind: %d %+v", code, apiErr)
	}
	var guards struct {
		Items []store.Authority `json:"items"`
	}
	if code := s.call("GET", "/api/v1/authorities?kind=guard&site_id="+itoa(site), "", "", &guards); code != http.StatusOK ||
		len(guards.Items) != 1 || guards.Items[0].ID != guard {
		t.Fatalf("guards of the site: %d %+v", code, guards)
	}

	s.mustCreate("/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"})
	ann, _ := s.login(t, "ann", "ann's long password")
	s.alarm(t, "3")
	incs, err := s.st.Incidents(t.Context(), store.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents: %v %+v", err, incs)
	}
	id := itoa(incs[0].ID)
	var d incidentDetail
	if code := ann.call("GET", "/api/v1/incidents/"+id, nil, &d, false); code != http.StatusOK {
		t.Fatalf("detail: %d", code)
	}
	var kinds []string
	for _, a := range d.Authorities {
		kinds = append(kinds, a.Kind+": "+a.Name)
	}
	if strings.Join(kinds, ", ") != "police: City Police, guard: Acme Patrol" || len(d.RespondingParties) != 1 || d.RespondingParties[0].Role != "guard" {
		t.Fatalf("the operator's page: authorities %v, call list %+v", kinds, d.RespondingParties)
	}
	for _, step := range []map[string]string{
		{"action": "dispatched", "contact": "guard: Acme Patrol", "result": "en route", "note": "ETA 8 min"},
		{"action": "resolve", "code": "guard_dispatched", "note": "guard found a window open"},
	} {
		if code := ann.call("POST", "/api/v1/incidents/"+id+"/steps", step, &apiErr, true); code != http.StatusOK {
			t.Fatalf("%s: %d %+v", step["action"], code, apiErr)
		}
	}
	if code := ann.call("GET", "/api/v1/incidents/"+id, nil, &d, false); code != http.StatusOK || d.Incident.ResolutionCode != "guard_dispatched" {
		t.Fatalf("after: %d %+v", code, d.Incident)
	}
	var got []string
	for _, a := range d.Actions {
		var b bytes.Buffer
		_ = json.Compact(&b, a.Detail)
		got = append(got, a.Action+" "+b.String())
	}
	log := strings.Join(got, "\n")
	if !strings.Contains(log, `dispatched {"contact":"guard: Acme Patrol","note":"ETA 8 min","result":"en route"}`) ||
		!strings.Contains(log, `resolved {"code":"guard_dispatched"`) {
		t.Fatalf("action log:\n%s", log)
	}
}
