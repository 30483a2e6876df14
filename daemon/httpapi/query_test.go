package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
	"go.yaml.in/yaml/v3"
)

// concretePath fills a route's path variables.
func concretePath(p string) string {
	return strings.NewReplacer("{id}", "1", "{receiver}", "1", "{number}", "1234").Replace(p)
}

// TestEveryRouteRefusesUnknownQueryParameters: no endpoint of the station
// API or of the portal API ignores a query parameter it does not
// understand; each answers 400 naming it, before doing anything. A
// parameter given twice is refused the same way.
func TestEveryRouteRefusesUnknownQueryParameters(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C", "identifier": "5550100"})
	s.mustCreate("/api/v1/portal-users", map[string]any{"scope": store.ScopeOf("customer", cust), "kind": "manager",
		"username": "boss", "password": "boss's password"})
	portal, code := s.portalLogin(t, "5550100", "boss", "boss's password")
	if code != http.StatusOK {
		t.Fatalf("portal login: %d", code)
	}
	a := &api{opts: Options{Station: s.st, Tables: tablesOf(s.st)}}
	routes := a.routes()
	if len(routes) < 50 {
		t.Fatalf("only %d station routes", len(routes))
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			var e apiError
			path := concretePath(rt.path) + "?bogus=1"
			if code := s.call(rt.method, path, "application/json", "{}", &e); code != http.StatusBadRequest || e.Field != "bogus" ||
				!strings.Contains(e.Error, "unknown query parameter bogus") {
				t.Fatalf("%s %s: %d %+v", rt.method, path, code, e)
			}
		})
	}
	for _, rt := range a.portalAPI() {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			var e apiError
			path := concretePath(rt.path) + "?bogus=1"
			if code := portal.call(rt.method, path, map[string]any{}, &e, true); code != http.StatusBadRequest || e.Field != "bogus" {
				t.Fatalf("%s %s: %d %+v", rt.method, path, code, e)
			}
		})
	}
	var e apiError
	if code := s.call("GET", "/api/v1/signals?limit=1&limit=2", "", "", &e); code != http.StatusBadRequest || e.Field != "limit" {
		t.Fatalf("limit twice: %d %+v", code, e)
	}
	// The parameters the old lists parsed and then ignored are refused
	// where they mean nothing.
	for _, path := range []string{"/api/v1/station-events?account=1234", "/api/v1/incidents?receiver=1", "/api/v1/audit?since=1h",
		"/api/v1/reports?account=1234", "/api/v1/frames?site_id=1", "/api/v1/sites?site_id=1"} {
		if code := s.call("GET", path, "", "", &e); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", path, code)
		}
	}
}

// TestOpenAPIDocumentsEveryQueryParameter: the parameters each route
// accepts are exactly those openapi.yaml documents for it.
func TestOpenAPIDocumentsEveryQueryParameter(t *testing.T) {
	st := newStationServer(t)
	a := &api{opts: Options{Station: st.st, Tables: tablesOf(st.st), Connections: nil}}
	type param struct {
		Ref  string `yaml:"$ref"`
		Name string `yaml:"name"`
		In   string `yaml:"in"`
	}
	var doc struct {
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components struct {
			Parameters map[string]param `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	queryOf := func(n yaml.Node) []string {
		var ps []param
		if err := n.Decode(&ps); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				p = doc.Components.Parameters[name]
			}
			if p.In == "query" {
				out = append(out, p.Name)
			}
		}
		return out
	}
	for _, rt := range a.routes() {
		ops := doc.Paths[rt.path]
		var documented []string
		if n, ok := ops["parameters"]; ok {
			documented = append(documented, queryOf(n)...)
		}
		var op struct {
			Parameters yaml.Node `yaml:"parameters"`
		}
		n := ops[strings.ToLower(rt.method)]
		if err := n.Decode(&op); err != nil {
			t.Fatal(err)
		}
		if op.Parameters.Kind != 0 {
			documented = append(documented, queryOf(op.Parameters)...)
		}
		accepted := slices.Clone(rt.query)
		slices.Sort(documented)
		slices.Sort(accepted)
		if !slices.Equal(documented, accepted) {
			t.Errorf("%s %s: accepts %v, openapi.yaml documents %v", rt.method, rt.path, accepted, documented)
		}
	}
}

// TestSignalsBySiteAndNewestFirst: site_id selects one site's signals (it
// was ignored before, returning every site's); order=desc lists the newest
// first and before_id pages back; the default stays oldest first.
func TestSignalsBySiteAndNewestFirst(t *testing.T) {
	s := newStationServer(t)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	one := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "One"})
	two := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "Two"})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "1111", "site_id": one})
	s.mustCreate("/api/v1/accounts", map[string]any{"receiver": 1, "number": "2222", "site_id": two})
	for _, acct := range []string{"1111", "2222", "1111", "2222", "1111"} {
		s.alarmOn(t, acct, "1")
	}
	ids := func(query string) []int64 {
		t.Helper()
		var out struct {
			Signals []store.Signal `json:"signals"`
		}
		if code := s.call("GET", "/api/v1/signals?"+query, "", "", &out); code != http.StatusOK {
			t.Fatalf("%s: %d", query, code)
		}
		var got []int64
		for _, sg := range out.Signals {
			got = append(got, sg.ID)
		}
		return got
	}
	if got := ids("site_id=" + itoa(one)); !slices.Equal(got, []int64{1, 3, 5}) {
		t.Fatalf("site one: %v", got)
	}
	if got := ids("site_id=" + itoa(two)); !slices.Equal(got, []int64{2, 4}) {
		t.Fatalf("site two: %v", got)
	}
	if got := ids("account=1111&order=desc&limit=2"); !slices.Equal(got, []int64{5, 3}) {
		t.Fatalf("newest two of 1111: %v", got)
	}
	if got := ids("account=1111&order=desc&limit=2&before_id=3"); !slices.Equal(got, []int64{1}) {
		t.Fatalf("page back: %v", got)
	}
	if got := ids("limit=2"); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("default order: %v", got)
	}
	if got := ids("order=asc&after_id=3"); !slices.Equal(got, []int64{4, 5}) {
		t.Fatalf("asc after 3: %v", got)
	}
	var frames struct {
		Frames []store.Frame `json:"frames"`
	}
	if code := s.call("GET", "/api/v1/frames?order=desc&limit=1", "", "", &frames); code != http.StatusOK || len(frames.Frames) != 1 || frames.Frames[0].ID != 5 {
		t.Fatalf("newest frame: %d %+v", code, frames.Frames)
	}
	var e apiError
	if code := s.call("GET", "/api/v1/signals?order=newest", "", "", &e); code != http.StatusBadRequest || e.Field != "order" {
		t.Fatalf("bad order: %d %+v", code, e)
	}
}
