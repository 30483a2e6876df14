package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestPutWithoutIdentifierKeepsIt: a PUT of a site, customer or installer
// that leaves identifier out keeps it, and the portal users of the client
// still log in with it (before, each such PUT issued a new random
// identifier and locked them out).
func TestPutWithoutIdentifierKeepsIt(t *testing.T) {
	s := newStationServer(t)
	var cust, inst, site map[string]any
	s.post("/api/v1/customers", map[string]any{"name": "HQ", "identifier": "+49 30 1234567"}, &cust)
	s.post("/api/v1/installers", map[string]any{"name": "Secure Ltd", "identifier": "555-0199"}, &inst)
	s.post("/api/v1/sites", map[string]any{"customer_id": cust["id"], "name": "Store 7", "identifier": "+1 312 555 0101"}, &site)
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", int64(site["id"].(float64))), "kind": "manager",
		"username": "boss", "password": "boss's password"})

	for _, c := range []struct {
		path string
		rec  map[string]any
		edit string
	}{
		{"/api/v1/customers/", cust, "name"}, {"/api/v1/installers/", inst, "name"}, {"/api/v1/sites/", site, "name"},
	} {
		id := itoa(int64(c.rec["id"].(float64)))
		body := map[string]any{}
		for k, v := range c.rec {
			switch k {
			case "id", "identifier", "created_at", "updated_at", "created_by", "updated_by":
			default:
				body[k] = v
			}
		}
		body[c.edit] = "renamed"
		var got map[string]any
		b := mustJSON(t, body)
		if code := s.call("PUT", c.path+id, "application/json", b, &got); code != http.StatusOK || got["identifier"] != c.rec["identifier"] {
			t.Fatalf("PUT %s without identifier: %d %v (identifier was %v)", c.path, code, got, c.rec["identifier"])
		}
		// An empty identifier is "left out" too.
		body["identifier"] = ""
		if code := s.call("PUT", c.path+id, "application/json", mustJSON(t, body), &got); code != http.StatusOK || got["identifier"] != c.rec["identifier"] {
			t.Fatalf("PUT %s with empty identifier: %d %v", c.path, code, got)
		}
	}
	if _, code := s.portalLogin(t, "+1 312 555 0101", "boss", "boss's password"); code != http.StatusOK {
		t.Fatalf("portal login after the PUTs: %d", code)
	}
}

// TestIdentifiersCompareWithoutPunctuation: "+1 312 555 0101" and
// "13125550101" are one identifier: for the portal log-in, for uniqueness
// across sites, customers and installers, and for lookups. It is shown as
// entered.
func TestIdentifiersCompareWithoutPunctuation(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ"})
	var site map[string]any
	s.post("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Store 7", "identifier": "+1 312 555 0101"}, &site)
	if site["identifier"] != "+1 312 555 0101" {
		t.Fatalf("identifier shown as %v", site["identifier"])
	}
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("site", int64(site["id"].(float64))), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	for _, typed := range []string{"13125550101", "+1 (312) 555-0101", "1.312.555.0101", " +1 312 555 0101 "} {
		if _, code := s.portalLogin(t, typed, "boss", "boss's password"); code != http.StatusOK {
			t.Errorf("portal login with %q: %d", typed, code)
		}
	}
	if _, code := s.portalLogin(t, "13125550102", "boss", "boss's password"); code != http.StatusUnauthorized {
		t.Errorf("another number logged in: %d", code)
	}
	var e apiError
	for path, body := range map[string]map[string]any{
		"/api/v1/customers":  {"name": "Other", "identifier": "13125550101"},
		"/api/v1/installers": {"name": "Other", "identifier": "1-312-555-0101"},
		"/api/v1/sites":      {"customer_id": cust, "name": "Other", "identifier": "+13125550101"},
	} {
		if code := s.post(path, body, &e); code != http.StatusConflict || e.Field != "identifier" || !strings.Contains(e.Error, "Store 7") {
			t.Errorf("%s with the same number: %d %+v", path, code, e)
		}
	}
	var list struct {
		Items []store.Site `json:"items"`
	}
	if code := s.call("GET", "/api/v1/sites?identifier=13125550101", "", "", &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("lookup by identifier: %d %+v", code, list.Items)
	}
	// The site's own identifier may be rewritten in another form.
	body := map[string]any{"customer_id": cust, "name": "Store 7", "identifier": "(312) 555-0101"}
	if code := s.call("PUT", "/api/v1/sites/"+itoa(list.Items[0].ID), "application/json", mustJSON(t, body), nil); code != http.StatusOK {
		t.Fatalf("rewriting its own identifier: %d", code)
	}
}

// TestPortalZoneEditKeepsTheOtherField: a portal edit of a zone's
// description leaves its type as it was, and the other way round.
func TestPortalZoneEditKeepsTheOtherField(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "HQ", "identifier": "5550200"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Store"})
	acct := s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site})
	zone := s.mustCreate("/api/v1/zones", map[string]any{"account_id": acct, "number": "17", "description": "Front door", "type": "entry_exit"})
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", cust), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	p, _ := s.portalLogin(t, "5550200", "boss", "boss's password")
	var z store.Zone
	if code := p.call("PUT", "/portal/api/zones/"+itoa(zone), map[string]any{"description": "Front door (glass)"}, &z, true); code != http.StatusOK ||
		z.Description != "Front door (glass)" || z.Type != "entry_exit" {
		t.Fatalf("description edit: %d %+v", code, z)
	}
	if code := p.call("PUT", "/portal/api/zones/"+itoa(zone), map[string]any{"type": "24h"}, &z, true); code != http.StatusOK ||
		z.Description != "Front door (glass)" || z.Type != "24h" {
		t.Fatalf("type edit: %d %+v", code, z)
	}
	var stored store.Zone
	s.call("GET", "/api/v1/zones/"+itoa(zone), "", "", &stored)
	if stored.Description != "Front door (glass)" || stored.Type != "24h" {
		t.Fatalf("stored zone %+v", stored)
	}
}
