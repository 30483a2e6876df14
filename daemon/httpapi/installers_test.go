package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestTwoInstallersOnOneSite: an intruder panel installed by one installer
// and CCTV by another, with its technician; the API validates the pair,
// the site's systems and the operator's incident page show both
// installers, and the CCTV installer's technician sees the site in the
// portal.
func TestTwoInstallersOnOneSite(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Shop"})
	var alarms, video withIdentifier
	s.post("/api/v1/installers", map[string]any{"name": "Alarm Co", "phone": "+44 1"}, &alarms)
	s.post("/api/v1/installers", map[string]any{"name": "Video Co", "phone": "+44 2"}, &video)
	vic := s.mustCreate("/api/v1/technicians", map[string]any{"installer_id": video.ID, "name": "Vic", "phone": "+44 7700 1"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "High St", "installer_id": alarms.ID})
	panel := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	var apiErr apiError
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1235", "site_id": site, "system_type": "cctv",
		"installer_id": alarms.ID, "technician_id": vic}, &apiErr); code != http.StatusBadRequest || apiErr.Field != "technician_id" ||
		!strings.Contains(apiErr.Error, "works for installer") {
		t.Fatalf("a technician of another installer: %d %+v", code, apiErr)
	}
	var cctv store.Account
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1235", "site_id": site, "system_type": "cctv",
		"installer_id": video.ID, "technician_id": vic}, &cctv); code != http.StatusCreated || cctv.InstallerID == nil ||
		*cctv.InstallerID != video.ID || cctv.TechnicianID == nil || *cctv.TechnicianID != vic {
		t.Fatalf("cctv: %d %+v", code, cctv)
	}
	var byInstaller struct {
		Items []store.Account `json:"items"`
	}
	if code := s.call("GET", "/api/v1/accounts?installer_id="+itoa(video.ID), "", "", &byInstaller); code != http.StatusOK ||
		len(byInstaller.Items) != 1 || byInstaller.Items[0].ID != cctv.ID {
		t.Fatalf("the video installer's systems: %d %+v", code, byInstaller)
	}

	check := func(where string, systems []store.System) {
		t.Helper()
		var got []string
		for _, x := range systems {
			line := x.Number + " " + x.SystemLabel + " by " + x.Installer.Name + " (" + x.InstallerFrom + ")"
			if x.Technician != nil {
				line += ", " + x.Technician.Name
			}
			got = append(got, line)
		}
		if want := "1234 Intruder alarm by Alarm Co (site); 1235 CCTV by Video Co (account), Vic"; strings.Join(got, "; ") != want {
			t.Fatalf("%s: %q, want %q", where, strings.Join(got, "; "), want)
		}
	}
	var systems struct {
		Items []store.System `json:"items"`
	}
	if code := s.call("GET", "/api/v1/sites/"+itoa(site)+"/systems", "", "", &systems); code != http.StatusOK {
		t.Fatalf("site systems: %d", code)
	}
	check("GET /api/v1/sites/{id}/systems", systems.Items)
	if code := s.call("GET", "/api/v1/sites/999/systems", "", "", nil); code != http.StatusNotFound {
		t.Fatalf("systems of no site: %d", code)
	}

	s.alarm(t, "4")
	incs, _ := s.st.Incidents(t.Context(), store.IncidentFilter{AccountID: panel})
	if len(incs) != 1 {
		t.Fatalf("incidents %+v", incs)
	}
	var d incidentDetail
	if code := s.call("GET", "/api/v1/incidents/"+itoa(incs[0].ID), "", "", &d); code != http.StatusOK {
		t.Fatalf("incident: %d", code)
	}
	check("the incident page", d.Systems)

	// The video installer's technician sees the site, though the site's
	// installer is another.
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("installer", video.ID), "kind": "technician",
		"username": "vic", "password": "vic's password"})
	tech, code := s.portalLogin(t, video.Identifier, "vic", "vic's password")
	if code != http.StatusOK {
		t.Fatalf("technician login: %d", code)
	}
	var sites struct {
		Items []portalSite `json:"items"`
	}
	tech.call("GET", "/portal/api/sites", nil, &sites, false)
	if len(sites.Items) != 1 || sites.Items[0].ID != site || len(sites.Items[0].Accounts) != 2 {
		t.Fatalf("the technician sees %+v", sites.Items)
	}
	if code := tech.call("POST", "/portal/api/accounts/"+itoa(cctv.ID)+"/tests", map[string]any{"duration": "1h", "reason": "camera swap"}, nil, true); code != http.StatusCreated {
		t.Fatalf("the technician puts the CCTV on test: %d", code)
	}
}
